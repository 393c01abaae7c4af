"""A tiny OpenAI-compatible chat server on 127.0.0.1 for tests (standard library only).

Behaviour is scripted per upstream: a fixed reply text, optional tool calls, optional token log-probs,
or a forced HTTP status (500/429) to play a failing provider; optionally slow (``delay_s``), strict about
tool schemas like OpenAI (``strict``: a 400 for a malformed tool), or replying by a marker in the prompt.
Runs in a daemon thread or, via
``python -m tests.stubs.openai_stub --port N --reply TEXT``, as its own process (to be killed mid-run).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Script:
    reply: str = "stub answer"
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    logprob: float | None = None
    status: int = 200
    delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    replies: dict[str, str] = field(default_factory=dict)
    """Reply text by requested model name (overrides ``reply`` for that model)."""
    logprobs: dict[str, float] = field(default_factory=dict)
    """Token log-prob by requested model name (overrides ``logprob`` for that model)."""
    replies_if: dict[str, str] = field(default_factory=dict)
    """Reply text, without tool calls, when the last message contains the key (overrides every other reply)."""
    function_call: dict[str, Any] | None = None
    """A deprecated ``function_call`` in the (non-streamed) answer, as to a request with ``functions``."""
    other_choices: list[str] = field(default_factory=list)
    """Texts of choices 1, 2, ... of a request with ``n`` > 1 (choice 0 is the reply); without them one choice."""
    strict: bool = False
    """Refuse (400) a request whose tools are malformed, as OpenAI does, instead of answering anyway."""
    request_headers: list[dict[str, str]] = field(default_factory=list)
    """The HTTP headers of each request, in the order of ``requests``."""
    peak_in_flight: dict[str, int] = field(default_factory=dict)
    """The most requests for each model name held at once (during ``delay_s``, before any answer left)."""
    _in_flight: dict[str, int] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def for_model(self, model: str, prompt: str = "") -> Script:
        """This script as seen by a request for ``model`` (its own reply and log-prob, if scripted)."""
        marked = next((text for key, text in self.replies_if.items() if key in prompt), None)
        if marked is None and model not in self.replies and model not in self.logprobs:
            return self
        return Script(
            reply=marked if marked is not None else self.replies.get(model, self.reply),
            tool_calls=self.tool_calls if marked is None else [],
            function_call=self.function_call if marked is None else None,
            logprob=self.logprobs.get(model, self.logprob),
            other_choices=self.other_choices,
        )


def _completion(script: Script, model: str, n: int, logprobs: bool) -> dict[str, Any]:
    """The whole answer; token log-probs only when asked for (as OpenAI does) and scripted."""
    message: dict[str, Any] = {"role": "assistant", "content": script.reply}
    if script.tool_calls:
        message["tool_calls"] = script.tool_calls
    if script.function_call:
        message["function_call"] = script.function_call
    choice: dict[str, Any] = {
        "index": 0,
        "message": message,
        "finish_reason": "tool_calls" if script.tool_calls else "stop",
    }
    if script.logprob is not None and logprobs:
        choice["logprobs"] = {
            "content": [
                {"token": w, "logprob": script.logprob, "bytes": None, "top_logprobs": []} for w in script.reply.split()
            ]
        }
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [choice, *({"index": k, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                              for k, text in enumerate(script.other_choices[:n - 1], 1))],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _chunks(script: Script, model: str, n: int) -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
    out = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
    for word in script.reply.split(" "):
        out.append({**base, "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}]})
    for i, call in enumerate(script.tool_calls):
        out.append(
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": None,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": i,
                                    "id": call["id"],
                                    "type": "function",
                                    "function": {
                                        "name": call["function"]["name"],
                                        "arguments": call["function"]["arguments"],
                                    },
                                }
                            ]
                        },
                    }
                ],
            }
        )
    for k, text in enumerate(script.other_choices[:n - 1], 1):
        out.append({**base, "choices": [{"index": k, "delta": {"role": "assistant", "content": text},
                                         "finish_reason": "stop"}]})
    finish = "tool_calls" if script.tool_calls else "stop"
    out.append(
        {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
    )
    return out


def _last_text(body: dict[str, Any]) -> str:
    messages = body.get("messages") or [{}]
    content = messages[-1].get("content") if isinstance(messages[-1], dict) else None
    return content if isinstance(content, str) else json.dumps(content)


def _tool_problem(body: dict[str, Any]) -> str | None:
    """What OpenAI would reject in ``tools`` (it checks names and parameter schemas before answering)."""
    for i, tool in enumerate(body.get("tools") or []):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            return f"Invalid 'tools[{i}].function.name': expected a string."
        if not isinstance(function.get("parameters", {}), dict):
            return f"Invalid schema for function '{function['name']}': parameters must be an object."
    return None


def make_handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            self._send(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            script.requests.append(body)
            script.request_headers.append(dict(self.headers))
            name = str(body.get("model", "stub"))
            # Counted while the answer is held back, and no longer once it leaves: a client that got its answer
            # may send the next request before this thread would get to count the last one done.
            with script._lock:
                script._in_flight[name] = script._in_flight.get(name, 0) + 1
                script.peak_in_flight[name] = max(script.peak_in_flight.get(name, 0), script._in_flight[name])
            try:
                if script.delay_s:
                    time.sleep(script.delay_s)
            finally:
                with script._lock:
                    script._in_flight[name] -= 1
            self._answer(body)

        def _answer(self, body: dict[str, Any]) -> None:
            if script.status != 200:
                self._send(
                    script.status,
                    {"error": {"message": f"stub status {script.status}", "type": "stub_error", "code": script.status}},
                )
                return
            problem = _tool_problem(body) if script.strict else None
            if problem:
                self._send(400, {"error": {"message": problem, "type": "invalid_request_error", "code": None}})
                return
            model = body.get("model", "stub")
            scripted = script.for_model(model, _last_text(body))
            if body.get("stream"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in _chunks(scripted, model, int(body.get("n") or 1)):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True
                return
            self._send(200, _completion(scripted, model, int(body.get("n") or 1), bool(body.get("logprobs"))))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timed-out slow tier)
                self.close_connection = True

    return Handler


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops connections under a burst (the client's SYN retries then
    # stall for seconds); a proxy under 200 concurrent requests opens that many at once.
    request_queue_size = 512
    daemon_threads = True


class StubServer:
    """``with StubServer(Script(reply="x")) as stub: stub.base_url`` — an OpenAI-style /v1 endpoint."""

    def __init__(self, script: Script | None = None, port: int = 0) -> None:
        self.script = script or Script()
        self.httpd = _Server(("127.0.0.1", port), make_handler(self.script))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--reply", default="stub answer")
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--logprob", type=float, default=None)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before answering (a slow tier)")
    parser.add_argument("--reply-for", action="append", default=[], metavar="MODEL=TEXT", help="reply by model")
    parser.add_argument("--logprob-for", action="append", default=[], metavar="MODEL=LP", help="log-prob by model")
    parser.add_argument("--reply-if", action="append", default=[], metavar="MARKER=TEXT", help="reply by prompt marker")
    parser.add_argument("--strict", action="store_true", help="400 for malformed tools, as OpenAI does")
    parser.add_argument("--other-choice", action="append", default=[], metavar="TEXT",
                        help="text of choice 1, 2, ... when a request asks n > 1")
    args = parser.parse_args()
    script = Script(
        reply=args.reply,
        status=args.status,
        logprob=args.logprob,
        delay_s=args.delay,
        replies=dict(item.split("=", 1) for item in args.reply_for),
        logprobs={k: float(v) for k, v in (item.split("=", 1) for item in args.logprob_for)},
        replies_if=dict(item.split("=", 1) for item in args.reply_if),
        strict=args.strict,
        other_choices=args.other_choice,
    )
    _Server(("127.0.0.1", args.port), make_handler(script)).serve_forever()


if __name__ == "__main__":
    main()
