"""A fast OpenAI-compatible chat upstream for benchmarks: one asyncio protocol, keep-alive, no framework.

tests/stubs/openai_stub.py (stdlib ThreadingHTTPServer, a thread per connection) tops out at a few hundred
requests a second on 2 cores, about what the LiteLLM proxy itself does, so it would be the bottleneck.
This one answers from a raw ``asyncio.Protocol`` (uvloop when installed) and does several thousand a
second on the same machine, so what a proxy benchmark measures is the proxy.

Replies are fixed and instant. One rule makes cascades escalate deterministically: a request for the
model named by ``--refuse-model`` whose last user message contains ``--refuse-marker`` gets a refusal
("I cannot help with that."), which the ``refusal`` validator rejects; every other request gets
``--reply``.

    python bench/stub_upstream.py --port 8000 [--reply TEXT] [--refuse-model bench-weak] [--refuse-marker '[[r]]']
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

REFUSAL = "I cannot help with that."


def _completion(model: str, text: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        },
        separators=(",", ":"),
    ).encode()


def _response(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


class _Upstream(asyncio.Protocol):
    def __init__(self, reply: str, refuse_model: str | None, marker: str) -> None:
        self.reply, self.refuse_model, self.marker = reply, refuse_model, marker
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:  # pipelined / back-to-back requests on one keep-alive connection
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            assert self.transport is not None
            self.transport.write(self._answer(head.split(" ", 2), body))

    def _answer(self, request_line: list[str], body: bytes) -> bytes:
        if request_line[0] == "GET":
            return _response("200 OK", b'{"object":"list","data":[{"id":"stub","object":"model"}]}')
        try:
            payload: dict[str, Any] = json.loads(body)
            model = str(payload.get("model", "stub"))
            last = payload["messages"][-1].get("content") or ""
        except (ValueError, KeyError, IndexError, AttributeError):
            return _response("400 Bad Request", b'{"error":{"message":"bad request","type":"stub_error"}}')
        refuse = model == self.refuse_model and isinstance(last, str) and self.marker in last
        return _response("200 OK", _completion(model, REFUSAL if refuse else self.reply))


async def serve(port: int, reply: str, refuse_model: str | None, marker: str) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Upstream(reply, refuse_model, marker), "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def run_loop(main: Any) -> None:
    """``asyncio.run`` on uvloop when it is installed (LiteLLM's proxy uses it too)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--reply", default="The answer is 42.")
    parser.add_argument("--refuse-model", default=None, help="upstream model name that refuses marked prompts")
    parser.add_argument("--refuse-marker", default="[[refuse]]")
    args = parser.parse_args()
    run_loop(serve(args.port, args.reply, args.refuse_model, args.refuse_marker))


if __name__ == "__main__":
    main()
