"""Calls the engine places through Asterisk and waits for (the callback placer, the crew alerter): one
synchronous AMI `Originate` each, in a thread of its own with its own manager connection, so a phone that
rings for half a minute holds up nobody else. The Originate answers Success only once the called phone
has answered; anything else (no answer, busy, unreachable) is a try not answered."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from ami.client import ManagerClient, ManagerError


def originate(
    connect: Callable[[float], ManagerClient],
    *,
    channel: str,
    context: str,
    ring_s: int,
    caller_id: str,
    variables: Mapping[str, object],
) -> tuple[bool, str]:
    """Ring `channel`; when it answers Asterisk runs `context,s,1` with `variables` set. Returns (answered,
    what Asterisk said)."""
    try:
        with connect(ring_s + 10.0) as client:
            reply = client.action(
                "Originate",
                Channel=channel,
                Context=context,
                Exten="s",
                Priority="1",
                Timeout=str(ring_s * 1000),
                CallerID=caller_id,
                Variable=",".join(f"{name}={value}" for name, value in variables.items()),
                Async="false",
            )
    except ManagerError as exc:
        return False, str(exc)[:200]
    return reply.response.is_success, reply.response.get("Message")[:200]


class InFlight:
    """The tries ringing now, by id: each runs in a daemon thread; an id is never run twice at once."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._ids: set[int] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def ids(self) -> set[int]:
        with self._lock:
            return set(self._ids)

    def start(self, key: int, work: Callable[[int], None]) -> None:
        with self._lock:
            self._ids.add(key)

        def run() -> None:
            try:
                work(key)
            finally:
                with self._lock:
                    self._ids.discard(key)

        thread = threading.Thread(target=run, name=f"{self.name}-{key}", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def wait_idle(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
