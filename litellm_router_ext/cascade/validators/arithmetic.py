"""Answer consistency for worked numeric answers: does the arithmetic in the text actually hold?

Checks, each optional: every ``<<expr=result>>`` annotation (GSM8K style) evaluates to its result and
is followed by that result; every inline equation such as ``3 x 60 = 180``, ``$8 * 5 = $40`` or
``3 \\times 60 = 180`` holds (to the precision written); the final answer is given once (no two
different finals) and appears in the worked text; the answer uses the numbers the question gives.
Expressions are evaluated with a tiny AST walker (numbers and + - * / // % ** only), never ``eval``.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import ClassVar

from pydantic import Field, field_validator

from ...types import Verdict
from ..base import Answer
from ._params import Params, compile_patterns

_NUM = r"\d[\d,]*(?:\.\d+)?"
_ANNOTATION = re.compile(r"<<([^<>=]*)=([^<>]*)>>\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)?")
_OP = r"\s*(?:[-+*/×÷·⋅x]|\*\*|\\times|\\cdot)\s*"  # · (middle dot), ⋅ (dot operator), LaTeX \times, \cdot
_OPERAND = rf"\(*\s*\$?{_NUM}%?\s*\)*"
_EQUATION = re.compile(
    rf"(?<![\w.,/\-])({_OPERAND}(?:{_OP}{_OPERAND})+)\s*=\s*\$?\s*(-?{_NUM})(?![\d/])", re.IGNORECASE
)
_NUMBER = re.compile(rf"-?{_NUM}")
_BINOPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def evaluate(expr: str) -> float | None:
    """Value of a plain arithmetic expression, or ``None`` when it is not one (or overflows)."""
    cleaned = expr.replace(",", "").replace("$", "").replace("×", "*").replace("÷", "/").replace("^", "**")
    cleaned = cleaned.replace("·", "*").replace("⋅", "*").replace("\\times", "*").replace("\\cdot", "*")
    cleaned = re.sub(r"(?<=[\d)\s])[xX](?=[\s\d(])", "*", cleaned).strip()
    if not cleaned or len(cleaned) > 200:
        return None
    try:
        tree = ast.parse(cleaned, mode="eval")
    except (SyntaxError, ValueError):
        return None
    try:
        return _walk(tree.body)
    except (ZeroDivisionError, OverflowError, ValueError, TypeError):
        return None


def _walk(node: ast.expr) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _walk(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _walk(node.left), _walk(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
            raise OverflowError
        return _BINOPS[type(node.op)](left, right)
    raise ValueError("not arithmetic")


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").replace("$", "").strip())
    except ValueError:
        return None


def _matches(value: float, shown: str) -> bool:
    """True when ``value`` equals the number as written, allowing the rounding its decimals imply."""
    target = _number(shown)
    if target is None or not math.isfinite(value):
        return False
    decimals = len(shown.split(".", 1)[1]) if "." in shown else 0
    slack = 0.5 * 10 ** (-decimals) if decimals else 0.5 if abs(value - round(value)) > 1e-9 else 0.0
    return abs(value - target) <= slack + 1e-9 * max(1.0, abs(value))


def _equation_holds(lhs: str, rhs: str) -> bool | None:
    """Whether ``lhs = rhs`` holds; ``None`` when the left is not arithmetic. ``%`` may mean /100 or not."""
    readings = {lhs.replace("%", "/100"), lhs.replace("%", "")} if "%" in lhs else {lhs}
    values = [v for v in (evaluate(r) for r in readings) if v is not None]
    if not values:
        return None
    return any(_matches(v, rhs) for v in values)


class ArithmeticParams(Params):
    check_annotations: bool = Field(default=True, description="Check every <<expr=result>> annotation")
    check_equations: bool = Field(default=True, description="Check inline equations like '3 x 60 = 180'")
    final_pattern: str = Field(
        default=r"####\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)",
        description="Regex whose group 1 is the final answer's number",
    )
    single_final: bool = Field(default=True, description="Reject two different final answers")
    final_in_body: bool = Field(default=False, description="The final number must appear in the worked text")
    min_number_coverage: float = Field(
        default=0.0, ge=0, le=1, description="Share of the question's numbers the answer must use"
    )
    max_errors: int = Field(default=0, ge=0, description="Failed checks tolerated before rejecting")

    @field_validator("final_pattern")
    @classmethod
    def _one_group(cls, value: str) -> str:
        (rx,) = compile_patterns((value,))
        if rx.groups < 1:
            raise ValueError(f"final_pattern {value!r} needs a capture group around the number")
        return value


class ArithmeticValidator:
    """Score = share of consistency checks that pass (1.0 when there is nothing to check)."""

    needs_logprobs: ClassVar[bool] = False
    needs_samples: ClassVar[int] = 1
    can_stream: ClassVar[bool] = False

    def __init__(self, params: ArithmeticParams, *, name: str = "arithmetic") -> None:
        self.params = params
        self.name = name
        self._final = compile_patterns((params.final_pattern,))[0]

    def problems(self, answer: Answer) -> tuple[int, list[str]]:
        """(number of checks run, descriptions of the ones that failed)."""
        p = self.params
        text = answer.text
        checks, failed = 0, []
        if p.check_annotations:
            for expr, result, after in _ANNOTATION.findall(text):
                value = evaluate(expr)
                if value is None:
                    continue
                checks += 1
                if not _matches(value, result.strip()) or (after and not _matches(value, after)):
                    failed.append("a <<calculation>> annotation does not hold")  # never quote answer text
        if p.check_equations:
            for lhs, rhs in _EQUATION.findall(_ANNOTATION.sub(" ", text)):
                holds = _equation_holds(lhs, rhs)
                if holds is None:
                    continue
                checks += 1
                if not holds:
                    failed.append("an equation in the answer does not hold")  # never quote answer text
        finals = [m.group(1) for m in self._final.finditer(text)]
        values = {_number(f) for f in finals} - {None}
        if p.single_final and finals:
            checks += 1
            if len(values) > 1:
                failed.append(f"{len(values)} different final answers")
        if p.final_in_body and finals:
            checks += 1
            body = text[: self._final.search(text).start()]  # type: ignore[union-attr]
            target = _number(finals[-1])
            if not any(_number(n) == target for n in _NUMBER.findall(body)):
                failed.append("final answer does not appear in the worked text")
        if p.min_number_coverage > 0:
            given = {n.replace(",", "") for n in _NUMBER.findall(answer.request.text)}
            if given:
                checks += 1
                used = {n.replace(",", "") for n in _NUMBER.findall(text)}
                share = len(given & used) / len(given)
                if share < p.min_number_coverage:
                    failed.append(f"uses {share:.0%} of the question's numbers")
        return checks, failed

    def check(self, answer: Answer) -> Verdict:
        checks, failed = self.problems(answer)
        if checks == 0:
            return Verdict(True, self.name, 1.0, "nothing to check")
        score = 1.0 - len(failed) / checks
        if len(failed) > self.params.max_errors:
            return Verdict(False, self.name, score, f"{len(failed)}/{checks} checks failed: {failed[0]}")
        return Verdict(True, self.name, score, f"{checks - len(failed)}/{checks} checks hold")
