"""`siaga up`, `siaga down`, `siaga status`: the whole local system in the background.

`up` starts Asterisk (an endpoint for every operator in the staff table), the engine and, with `--bots`,
an answering softphone for every operator, then records their process ids in <run dir>/stack.json and
exits. `down` and `status` work from that file, so they can run from any shell.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kernel.messages import Message
from kernel.settings import Settings
from lab.pbx import asterisk_for, phone_endpoints
from lab.processes import alive
from lab.stack import Stack
from softphone.bots import Bot, behaviours_from_staff_csv


class LifecycleError(RuntimeError):
    pass


@dataclass
class StackState:
    asterisk_pid: int
    engine_pid: int | None
    bot_pids: list[int] = field(default_factory=list)
    bots: list[str] = field(default_factory=list)
    started_at: float = 0.0


def state_path(settings: Settings) -> Path:
    return settings.run_dir / "stack.json"


def read_state(settings: Settings) -> StackState | None:
    try:
        return StackState(**json.loads(state_path(settings).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def bot_behaviours(settings: Settings) -> dict[str, Bot]:
    """Ring delays and no-answer operators for `--bots`, from the region's staff.csv (optional columns)."""
    path = settings.region_dir / "staff.csv"
    if not path.exists():
        return {}
    try:
        # utf-8-sig: a spreadsheet's "CSV UTF-8" starts with a BOM, which would rename the first column
        return behaviours_from_staff_csv(path.read_text(encoding="utf-8-sig"))
    except ValueError as exc:
        raise LifecycleError(f"{path}: {exc}") from None


def up(settings: Settings, *, bots: bool) -> StackState:
    state = read_state(settings)
    if state is not None and alive(state.asterisk_pid):
        raise LifecycleError(
            f"siaga is already up (Asterisk pid {state.asterisk_pid}); run `siaga down` first"
        )
    stack = Stack(settings)
    endpoints = phone_endpoints(settings) if bots else []
    try:
        behaviours = bot_behaviours(settings) if bots else {}
        stack.start([behaviours.get(e, Bot(e)) for e in endpoints], detached=True)
    except BaseException:
        stack.stop()
        raise
    asterisk_pid = stack.asterisk.pid()
    assert asterisk_pid is not None  # start() returned, so it runs
    state = StackState(
        asterisk_pid=asterisk_pid,
        engine_pid=stack.engine.process.pid if stack.engine.process else None,
        bot_pids=[p.pid for p in stack.bots.processes] if stack.bots else [],
        bots=endpoints,
        started_at=time.time(),
    )
    state_path(settings).write_text(json.dumps(asdict(state), indent=2) + "\n", encoding="utf-8")
    return state


def _terminate_group(pid: int, timeout_s: float = 10.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.1)
    if alive(pid):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)


def down(settings: Settings) -> list[str]:
    """Stop whatever `up` started; returns what was stopped (nothing is an answer, not an error)."""
    state = read_state(settings)
    stopped: list[str] = []
    if state is not None:
        running_bots = [pid for pid in state.bot_pids if alive(pid)]
        for pid in running_bots:
            _terminate_group(pid)
        if running_bots:
            stopped.append(Message("{count} softphone bot process(es)", count=len(running_bots)))
        if alive(state.engine_pid):
            _terminate_group(state.engine_pid)  # type: ignore[arg-type]
            stopped.append(Message("engine (pid {pid})", pid=state.engine_pid))
    asterisk = asterisk_for(settings)
    if asterisk.pid() is not None:
        stopped.append(Message("Asterisk (pid {pid})", pid=asterisk.pid()))
        asterisk.stop()
    state_path(settings).unlink(missing_ok=True)
    return stopped


def status(settings: Settings) -> dict[str, object]:
    state = read_state(settings)
    asterisk = asterisk_for(settings)
    report: dict[str, object] = {
        "asterisk": Message("not running"),
        "engine": Message("not running"),
        "bots": Message("none"),
    }
    if asterisk.pid() is not None:
        try:
            contacts = asterisk.registered_endpoints()
            report["asterisk"] = Message(
                "running (pid {pid}), {count} softphone(s) registered",
                pid=asterisk.pid(),
                count=len(contacts),
            )
        except RuntimeError as exc:
            report["asterisk"] = Message(
                "pid {pid} but the CLI does not answer: {error}", pid=asterisk.pid(), error=exc
            )
    if state is not None and alive(state.engine_pid):
        try:
            with socket.create_connection((settings.agi_host, settings.agi_port), timeout=1):
                listening = Message("listening")
        except OSError:
            listening = Message("NOT listening")
        report["engine"] = Message(
            "running (pid {pid}), {listening} on {host}:{port}",
            pid=state.engine_pid,
            listening=listening,
            host=settings.agi_host,
            port=settings.agi_port,
        )
    if state is not None and state.bot_pids:
        running = sum(alive(p) for p in state.bot_pids)
        report["bots"] = Message(
            "{running}/{count} bot process(es) for {operators} operator(s)",
            running=running,
            count=len(state.bot_pids),
            operators=len(state.bots),
        )
    report["logs"] = str(settings.run_dir)
    return report
