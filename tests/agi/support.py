"""Helpers for the FastAGI tests: handlers, polling, and a log readable across forked processes.

Workers are forked processes, so pytest's caplog cannot see their records; instead a FileHandler
is attached to the ``siaga.agi`` logger *before* the server forks, and tests read the file.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from agi.protocol import AgiSession
from agi.scripts import ScriptTable
from agi.server import FastAgiServer
from agi.testing import FakeAsterisk

ROUTE_TARGET = "PJSIP/puskesmas-cibinong"


def route(session: AgiSession) -> None:
    session.set_variable("SIAGA_ROUTE_TARGET", ROUTE_TARGET)
    session.set_variable("SIAGA_ROUTE_ARGS", ",".join(session.args))
    session.set_variable("SIAGA_UNIQUEID", session.unique_id)


def echo(session: AgiSession) -> None:
    for index, arg in enumerate(session.args, start=1):
        session.set_variable(f"ECHO_{index}", arg)


def unsafe(session: AgiSession) -> None:
    session.set_variable("SIAGA_ROUTE_TARGET", "PJSIP/a\nEXEC System touch /tmp/siaga-pwned")


def boom(session: AgiSession) -> None:
    raise RuntimeError("boom from the handler")


def hang(session: AgiSession) -> None:
    time.sleep(60)


def whoami(session: AgiSession) -> None:
    session.set_variable("WORKER_PID", str(os.getpid()))


def whoami_slowly(session: AgiSession) -> None:
    """Keeps its worker busy for a moment, so calls made meanwhile must go to the others."""
    time.sleep(0.2)
    whoami(session)


def make_scripts() -> ScriptTable:
    scripts = ScriptTable()
    for handler in (route, echo, unsafe, boom, hang, whoami, whoami_slowly):
        scripts.register(handler.__name__, handler)
    return scripts


def wait_until(predicate: Callable[[], Any], timeout_s: float = 3.0, interval_s: float = 0.02) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s}s: {predicate}")
        time.sleep(interval_s)


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (absent, or a zombie nobody has reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


class LogFile:
    """The records every process wrote to one file, searchable by substring."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8") if self.path.exists() else ""

    def lines_with(self, *needles: str) -> list[str]:
        return [line for line in self.text().splitlines() if all(needle in line for needle in needles)]

    def wait_for(self, *needles: str, timeout_s: float = 3.0) -> str:
        """The first line containing every needle, once some process has written it."""
        lines: list[str] = wait_until(lambda: self.lines_with(*needles), timeout_s)
        return lines[0]


@contextmanager
def logging_to(path: Path) -> Iterator[LogFile]:
    """Send ``siaga.agi`` records at DEBUG to ``path`` (inherited by processes forked meanwhile)."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(process)d %(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("siaga.agi")
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield LogFile(path)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
        handler.close()


def fake_for(server: FastAgiServer, timeout_s: float = 5.0) -> FakeAsterisk:
    return FakeAsterisk("127.0.0.1", server.port, timeout_s=timeout_s)


def worker_pid(fake: FakeAsterisk) -> int:
    """The pid of the worker that answered one "whoami" call."""
    result = fake.call("whoami")
    assert result.closed_cleanly, result.error
    return int(result.variables["WORKER_PID"])


def distinct_worker_pids(fake: FakeAsterisk, count: int) -> set[int]:
    """Make ``count`` calls at once until ``count`` different workers have answered; their pids.

    At once, because one after the other they may all go to the same worker: only an idle worker
    waiting for a connection is woken for the next one (EPOLLEXCLUSIVE), usually the same one.
    """
    seen: set[int] = set()

    def one() -> int:
        result = fake.call("whoami_slowly")
        assert result.closed_cleanly, result.error
        return int(result.variables["WORKER_PID"])

    def all_seen() -> bool:
        with ThreadPoolExecutor(max_workers=count) as pool:
            seen.update(pool.map(lambda _: one(), range(count)))
        return len(seen) >= count

    wait_until(all_seen)
    return seen
