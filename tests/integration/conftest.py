"""Real processes for integration tests: stub upstreams, llama.cpp's server, and a `litellm --config` proxy.

Everything listens on 127.0.0.1 on a free port, waits for readiness with a deadline, and is killed in a
finalizer (its log tail is shown when it fails to come up).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

from litellm_router_ext.recipes import install_recipe

REPO_ROOT = Path(__file__).resolve().parents[2]
LITELLM_BIN = Path(sys.executable).with_name("litellm")
PROXY_START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    """A child process with its own process group (so its children die with it) and a log file."""

    name: str
    argv: Sequence[str]
    log: Path
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path = REPO_ROOT
    popen: subprocess.Popen[bytes] | None = None
    started_s: float = 0.0

    def start(self) -> Process:
        self.started_s = time.monotonic()
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                list(self.argv),
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_http(self, url: str, timeout_s: float, headers: Mapping[str, str] | None = None) -> float:
        """Poll ``url`` until it answers 200; return seconds since start. Fails with the log tail."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")
            try:
                if httpx.get(url, timeout=2.0, headers=dict(headers or {})).status_code == 200:
                    return time.monotonic() - self.started_s
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        pytest.fail(f"{self.name} not ready at {url} after {timeout_s:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def kill(self) -> None:
        """Die abruptly, like a crashed upstream."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


@dataclass
class Stub:
    process: Process
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def start_stub(tmp: Path, name: str, *args: str) -> Stub:
    port = free_port()
    process = Process(
        name, [sys.executable, "-m", "tests.stubs.openai_stub", "--port", str(port), *args], tmp / f"{name}.log"
    ).start()
    process.wait_http(f"http://127.0.0.1:{port}/v1/models", 20)
    return Stub(process, port)


@dataclass
class Proxy:
    process: Process
    port: int
    master_key: str
    folder: Path
    capture: Path
    startup_s: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.master_key}"}

    def logged(self) -> list[dict[str, object]]:
        """What the capturing callback has written so far (complete lines only)."""
        import json

        if not self.capture.exists():
            return []
        records = []
        for line in self.capture.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:  # the proxy may be half-way through writing the last line
                continue
        return records


def local_slm_env(local: Stub, frontier: Stub) -> dict[str, str]:
    """The `local-slm` recipe's environment with both tiers on stubs."""
    return {"LOCAL_SLM_API_BASE": local.base_url, "OPENAI_API_BASE": frontier.base_url, "OPENAI_API_KEY": "sk-fake"}


def dispatch_precall(proxy: Proxy, *, cascade: bool) -> None:
    """Switch the proxy's routers to ``dispatch: precall``, keeping or dropping their cascade (the router config
    is read on the first request)."""
    router_file = proxy.folder / "router.yaml"
    config = yaml.safe_load(router_file.read_text())
    for router in config["routers"]:
        if cascade:
            assert router["cascade"]["validators"]
        else:
            router.pop("cascade", None)
        router["dispatch"] = "precall"
    router_file.write_text(yaml.safe_dump(config, sort_keys=False))


def start_proxy(tmp: Path, recipe: str, env: Mapping[str, str]) -> Proxy:
    """Install ``recipe`` into ``tmp`` as a new user would, add a capturing callback, start `litellm --config`."""
    installed = install_recipe(recipe, tmp)
    return start_proxy_config(tmp, installed.proxy_config, env)


def start_proxy_config(tmp: Path, config_path: Path, env: Mapping[str, str]) -> Proxy:
    """`litellm --config` on the proxy config at ``config_path`` (in ``tmp``), with a capturing callback added."""
    shutil.copy(Path(__file__).with_name("capture_logger.py"), tmp / "capture_logger.py")
    config = yaml.safe_load(config_path.read_text())
    config.setdefault("litellm_settings", {}).setdefault("callbacks", []).append("capture_logger.capture")
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    port = free_port()
    master_key = "sk-" + secrets.token_urlsafe(32)
    capture = tmp / "logged.jsonl"
    process = Process(
        f"litellm proxy ({config_path.stem})",
        [str(LITELLM_BIN), "--config", str(config_path), "--host", "127.0.0.1", "--port", str(port)],
        tmp / "proxy.log",
        env={
            "LITELLM_MASTER_KEY": master_key,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LRE_CAPTURE_FILE": str(capture),
            "PYTHONPATH": str(REPO_ROOT),
            **env,
        },
        cwd=tmp,
    ).start()
    startup = process.wait_http(f"http://127.0.0.1:{port}/health/liveliness", PROXY_START_TIMEOUT_S)
    return Proxy(process, port, master_key, tmp, capture, startup)


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="module")
def processes() -> Iterator[list[Process]]:
    """Everything a module starts; all stopped when the module ends, even after a failure."""
    started: list[Process] = []
    yield started
    for p in reversed(started):
        p.stop()
