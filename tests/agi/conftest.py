"""Fixtures for the FastAGI tests; helpers live in support.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agi.server import FastAgiServer
from tests.agi.support import LogFile, logging_to, make_scripts


@pytest.fixture
def agi_log(tmp_path: Path) -> Iterator[LogFile]:
    with logging_to(tmp_path / "agi.log") as log:
        yield log


@pytest.fixture
def start_server(agi_log: LogFile) -> Iterator[Callable[..., FastAgiServer]]:
    """Start background servers with test-friendly timeouts; every one is stopped at teardown."""
    servers: list[FastAgiServer] = []

    def start(**options: Any) -> FastAgiServer:
        scripts = options.pop("scripts", None) or make_scripts()
        options.setdefault("workers", 2)
        options.setdefault("read_timeout_s", 0.5)
        options.setdefault("call_timeout_s", 1.0)
        options.setdefault("shutdown_grace_s", 2.0)
        server = FastAgiServer("127.0.0.1", 0, scripts, **options)
        servers.append(server)
        server.start_background()
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()
