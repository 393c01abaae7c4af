"""With n > 1 a stream interleaves choices: what is checked and remembered is choice 0 alone."""

from __future__ import annotations

from litellm.types.utils import ChatCompletionDeltaToolCall, Delta, Function, ModelResponseStream, StreamingChoices

from litellm_router_ext.adapters.runtime import delta_text, delta_tool_call_ids


def chunk(*deltas: tuple[int, Delta]) -> ModelResponseStream:
    return ModelResponseStream(choices=[StreamingChoices(index=i, delta=d) for i, d in deltas])


def test_only_choice_zero_adds_to_the_answer() -> None:
    call = ChatCompletionDeltaToolCall(id="call_b", index=0, function=Function(name="f", arguments="{}"))
    stream = [
        chunk((1, Delta(content="other "))),
        chunk((0, Delta(content="first "))),
        chunk((1, Delta(content="sample")), (0, Delta(content="answer"))),
        chunk((1, Delta(content=None, tool_calls=[call]))),
    ]
    assert "".join(delta_text(c) for c in stream) == "first answer"
    assert [i for c in stream for i in delta_tool_call_ids(c)] == []
    assert delta_tool_call_ids(chunk((0, Delta(content=None, tool_calls=[call])))) == ["call_b"]
    assert delta_text(ModelResponseStream(choices=[])) == ""
