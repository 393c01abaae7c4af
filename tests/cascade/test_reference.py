"""docs/validators.md is the generated reference of every built-in validator and its params."""

from __future__ import annotations

from pathlib import Path

from litellm_router_ext.cascade import BUILTINS
from litellm_router_ext.cascade.reference import EXAMPLES, VALIDATORS, reference
from litellm_router_ext.config import CascadeConfig, parse_yaml

DOC = Path(__file__).resolve().parents[2] / "docs" / "validators.md"


def test_the_reference_covers_every_builtin_validator_and_param() -> None:
    assert list(VALIDATORS) == list(dict.fromkeys([*VALIDATORS, *BUILTINS]))  # no built-in left out
    text = reference()
    for name, (_, params) in VALIDATORS.items():
        assert f"## `{name}`" in text
        for field, info in params.model_fields.items():
            assert f"| `{info.alias or field}` |" in text


def test_docs_validators_md_is_the_generated_reference() -> None:
    # After changing a validator's params: python -m litellm_router_ext.cascade.reference > docs/validators.md
    assert DOC.read_text(encoding="utf-8") == reference()


def test_the_custom_section_says_how_to_name_the_function_and_what_it_gets_and_returns() -> None:
    # A walk-through found only `threshold` under `custom`: the required `path:` key was in no doc.
    section = reference().split("## `custom`", 1)[1].split("\n## ", 1)[0]
    assert "path: my_checks:cites_a_source" in section
    assert "package.module:function" in section and "package.module.function" in section
    assert "Answer" in section and "Verdict" in section and "bool" in section and "float" in section


def test_the_custom_example_is_a_valid_cascade() -> None:
    cascade = CascadeConfig.model_validate(parse_yaml(EXAMPLES["custom"]))
    assert cascade.validators[0].name == "custom" and cascade.validators[0].path == "my_checks:cites_a_source"
