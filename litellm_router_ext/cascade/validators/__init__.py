"""Built-in validators, one module per family; ``cascade.build_validators`` picks them by name."""

from .agreement import AgreementValidator
from .arithmetic import ArithmeticValidator
from .custom import CustomValidator
from .format import FormatValidator
from .judge import JudgeValidator
from .logprob import LogprobValidator
from .refusal import RefusalValidator
from .structured import JsonValidator, SchemaValidator, ToolArgsValidator

__all__ = [
    "AgreementValidator",
    "ArithmeticValidator",
    "CustomValidator",
    "FormatValidator",
    "JsonValidator",
    "JudgeValidator",
    "LogprobValidator",
    "RefusalValidator",
    "SchemaValidator",
    "ToolArgsValidator",
]
