"""Helper processes the engine forks beside its AGI workers: the call-record writer, the roster scheduler.

Forked before the engine starts any thread of its own, so a child never inherits a lock held by a thread
that does not exist in it (a scheduler thread running a SQLite query during a fork stalled a worker once).
Each child stops on SIGTERM or when its parent is gone.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable

log = logging.getLogger("siaga.children")


class Child:
    def __init__(self, name: str, pid: int) -> None:
        self.name = name
        self.pid: int | None = pid

    def stop(self, timeout_s: float = 10.0) -> None:
        pid, self.pid = self.pid, None
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
            time.sleep(0.05)
        log.warning("%s (pid %d) did not stop within %.0f s; killing it", self.name, pid, timeout_s)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def fork_child(name: str, body: Callable[[threading.Event], None]) -> Child:
    """Run `body(stop)` in a forked child; `stop` is set on SIGTERM or when the parent dies."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return Child(name, pid)
    code = 0
    try:
        stop = threading.Event()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        threading.Thread(target=_watch_parent, args=(parent, stop), daemon=True).start()
        body(stop)
    except BaseException:
        log.exception("%s crashed", name)
        code = 70
    finally:
        os._exit(code)


def _watch_parent(parent: int, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()
