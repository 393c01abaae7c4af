"""Early streaming: decide on a streamed prefix with the validators whose verdict on a prefix is final."""

from __future__ import annotations

from collections.abc import Sequence

from ..types import RequestView, Verdict
from .base import Answer, Validator
from .combine import run_check


def streamable(validators: Sequence[Validator]) -> list[Validator]:
    """The validators that can judge a prefix (``can_stream``)."""
    return [v for v in validators if v.can_stream]


def reject_prefix(
    validators: Sequence[Validator], prefix: str, request: RequestView, *, prompt_text: str = ""
) -> Verdict | None:
    """The first rejecting verdict of a ``can_stream`` validator on ``prefix``, or ``None`` to keep streaming.

    ``None`` does not mean the answer is accepted: the rest of the stream is relayed unchecked, so a stream whose
    prefix passed is not verified as a whole (``Decision.verified`` is None), while a rejection is final.
    """
    answer = Answer(text=prefix, request=request, prompt_text=prompt_text, partial=True)
    for validator in streamable(validators):
        verdict = run_check(validator, answer)
        if not verdict.accepted:
            return verdict
    return None
