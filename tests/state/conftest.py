"""A real Redis server (Debian's redis-server) on a free loopback port, owned by the test."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class RedisProcess:
    def __init__(self, workdir: Path, cluster: bool = False) -> None:
        self.port = free_port()
        # A cluster node also listens on port + 10000 (its bus): keep that a valid, free port.
        while cluster and (self.port > 55_535 or not _port_free(self.port + 10_000)):
            self.port = free_port()
        self.workdir = workdir
        self.cluster = cluster
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI"):
                pytest.fail("redis-server is not installed; .ci/run must install Debian's redis-server")
            pytest.skip("redis-server not installed (apt-get install redis-server)")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                *(["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{self.port}.conf"]
                  if self.cluster else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start within 10 s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_cluster(tmp_path: Path) -> Iterator[RedisProcess]:
    """A one-node Redis Cluster owning every slot: what LiteLLM's ``startup_nodes`` settings connect to."""
    cli = shutil.which("redis-cli")
    if cli is None:
        pytest.skip("redis-cli not installed (Debian's redis-tools, a dependency of redis-server)")
    server = RedisProcess(tmp_path, cluster=True)
    server.start()
    try:
        subprocess.run([cli, "-p", str(server.port), "cluster", "addslotsrange", "0", "16383"], check=True,
                       capture_output=True, timeout=10)
        deadline = time.monotonic() + 30  # a shared 2-core machine can be slow to settle the cluster
        while b"cluster_state:ok" not in subprocess.run(
            [cli, "-p", str(server.port), "cluster", "info"], capture_output=True, timeout=10
        ).stdout:
            if time.monotonic() > deadline:
                raise RuntimeError("one-node Redis Cluster did not reach cluster_state:ok within 30 s")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()

