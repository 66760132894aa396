"""Starting siaga's own long-running pieces as background processes, for the demo, tests and `siaga up`."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

from kernel.settings import Settings

log = logging.getLogger("siaga.processes")


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process exactly these settings (SIAGA_* beats siaga.toml)."""
    env = dict(os.environ)
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if value is None:
            continue
        if isinstance(value, tuple):
            value = ",".join(value)
        if isinstance(value, Path):
            value = value.resolve()
        env[f"SIAGA_{f.name.upper()}"] = str(value)
    return env


def alive(pid: int | None) -> bool:
    """Whether `pid` runs; a zombie child of ours (exited, not yet reaped) is reaped and counts as gone."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:  # not our child: kill(0) said it runs
        return True


def wait_for_port(
    host: str, port: int, timeout_s: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {host}:{port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s:.0f} s")


class EngineProcess:
    """`siaga serve` in the background, its log in the run directory."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.log_path = settings.run_dir / "engine" / "engine.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "siaga.cli", "serve", "-v"],
                env=settings_env(self.settings),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for_port(self.settings.agi_host, self.settings.agi_port, timeout_s, self.process)
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            raise RuntimeError(f"the engine did not start ({exc}); see {self.log_path}") from exc
        log.info(
            "engine up on %s:%d (pid %d)", self.settings.agi_host, self.settings.agi_port, self.process.pid
        )

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
