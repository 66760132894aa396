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
from pathlib import Path

log = logging.getLogger("siaga.children")


def describe_exit(status: int) -> str:
    """How a child process ended, for logs (the engine's helpers use it too)."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


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
        signal.set_wakeup_fd(-1)  # a supervisor's wakeup socket belongs to the supervisor
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        threading.Thread(target=_watch_parent, args=(parent, stop), daemon=True).start()
        body(stop)
    except BaseException:
        log.exception("%s crashed", name)
        code = 70
    finally:
        os._exit(code)


class Supervised:
    """A helper process that is restarted when it dies, like the AGI workers are: the engine's record
    writer, roster scheduler and AstDB report collector must outlive a crash or a stray `kill`.

    `check()` is called from the engine's supervisor loop (every second, and at once on SIGCHLD); a
    child that dies within a second of starting is restarted with a growing delay, so a body that fails
    at once (database down) does not become a fork loop."""

    MIN_UPTIME_S = 1.0
    MAX_BACKOFF_S = 30.0

    def __init__(
        self, name: str, body: Callable[[threading.Event], None], pid_dir: Path | None = None
    ) -> None:
        self.name = name
        self._body = body
        # `<pid_dir>/<name>.pid` names the live process, for `siaga status` and for tests that kill it.
        self.pid_file = pid_dir / f"{name.replace(' ', '-')}.pid" if pid_dir is not None else None
        self._child: Child | None = None
        self._started_at = 0.0
        self._restart_at: float | None = None
        self._quick_exits = 0
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def start(self) -> Supervised:
        self._child = fork_child(self.name, self._body)
        self._started_at = time.monotonic()
        self._restart_at = None
        if self.pid_file is not None:
            self.pid_file.parent.mkdir(parents=True, exist_ok=True)
            self.pid_file.write_text(f"{self._child.pid}\n", encoding="ascii")
        log.info("%s started (pid %s)", self.name, self._child.pid)
        return self

    def check(self) -> None:
        now = time.monotonic()
        pid = self.pid
        if pid is not None:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if not done:
                return
            assert self._child is not None
            self._child.pid = None
            uptime = now - self._started_at
            self._quick_exits = self._quick_exits + 1 if uptime < self.MIN_UPTIME_S else 0
            delay = min(self.MAX_BACKOFF_S, 0.5 * 2 ** (self._quick_exits - 1)) if self._quick_exits else 0.0
            self._restart_at = now + delay
            log.warning(
                "%s (pid %d) %s after %.1f s; restarting in %.1f s",
                self.name,
                pid,
                describe_exit(status),
                uptime,
                delay,
            )
        if self._restart_at is not None and now >= self._restart_at:
            self.restarts += 1
            self.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._restart_at = None
        if self._child is not None:
            self._child.stop(timeout_s)
            self._child = None
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)


def _watch_parent(parent: int, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()
