"""With n > 1 a stream interleaves choices: what is checked is choice 0 alone, what is remembered is each choice."""

from __future__ import annotations

from litellm.types.utils import ChatCompletionDeltaToolCall, Delta, Function, ModelResponseStream, StreamingChoices

from litellm_router_ext.adapters.runtime import delta_text, stream_answers


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
    assert delta_text(ModelResponseStream(choices=[])) == ""
    # the client may continue from any choice: each is remembered with its own text and tool calls
    assert stream_answers(stream) == [("first answer", []), ("other sample", ["call_b"])]
    assert stream_answers([]) == [("", [])]
