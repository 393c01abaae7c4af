"""Fixtures of the fault suite: the shared fault proxy (one `litellm --config` for every fault and bad input).

The proxy and its in-process stub upstreams live for the whole session, so the fault, bad-input and
secrecy modules pay for one proxy start; everything is stopped in finalizers, even after a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Proxy
from tests.stubs.openai_stub import StubServer

from . import ladders
from .harness import Stubs, launch_proxy, proxy_config, ready, start_stubs, write_proxy_folder


@pytest.fixture(scope="session")
def fault_stubs() -> Iterator[Stubs]:
    started: list[StubServer] = []
    try:
        yield start_stubs(started, ladders.scripts())
    finally:
        for server in started:
            server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def fault_proxy(tmp_path_factory: pytest.TempPathFactory, fault_stubs: Stubs) -> Iterator[Proxy]:
    folder: Path = tmp_path_factory.mktemp("fault-proxy")
    routers = ladders.routers()
    config = proxy_config(
        ladders.model_list(fault_stubs),
        [*(r["alias"] for r in routers), ladders.GHOST_ALIAS],
        # LiteLLM's own switch for its logging payload; this package never puts text there either way.
        litellm_settings={"turn_off_message_logging": True},
    )
    write_proxy_folder(folder, config, {"routers": routers})
    proxy = launch_proxy(folder, "fault proxy")
    try:
        ready(proxy)
        print(f"\nfault proxy ready in {proxy.startup_s:.1f} s")
        yield proxy
    finally:
        proxy.process.stop()
