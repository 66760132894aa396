"""Answering bots for tests: many operator softphones, spread over processes of at most 8 each.

pjsua2 allows 8 accounts per process, so a fleet is several `python -m softphone` processes. Each
writes its events to DIR/bots-N.jsonl; tests read those files to learn which operator a call reached.
"""

from __future__ import annotations

import csv
import ctypes
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from softphone.cli import PASSWORDS_ENV
from softphone.events import ANSWERED, REGISTERED, REGISTRATION_FAILED, Event
from softphone.phone import DEFAULT_SERVER, MAX_OPERATORS

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class BotFleetError(RuntimeError):
    pass


@dataclass(frozen=True)
class Bot:
    """One answering operator. no_answer: ring but never answer (failover tests)."""

    username: str
    answer_after_s: float = 0.0
    no_answer: bool = False


BEHAVIOUR_COLUMNS = ("bot_answer_after_s", "bot_no_answer")
_TRUE = {"1", "yes", "true", "y"}


def behaviours_from_staff_csv(text: str) -> dict[str, Bot]:
    """Bots with a ring delay or no answer, from the optional `bot_answer_after_s` / `bot_no_answer`
    columns of a staff CSV (keyed by its `endpoint`, else `staff_id`). Failover tests and demos describe
    slow and absent operators next to the staff they stand for; rows without either value are left out
    (they get the default bot), and a bad value is an error naming its line, not a silently prompt bot."""
    reader = csv.DictReader(io.StringIO(text))
    if not set(BEHAVIOUR_COLUMNS) & set(reader.fieldnames or []):
        return {}
    bots: dict[str, Bot] = {}
    for line, row in enumerate(reader, start=2):
        endpoint = (row.get("endpoint") or row.get("staff_id") or "").strip()
        delay_raw = (row.get("bot_answer_after_s") or "").strip()
        no_answer = (row.get("bot_no_answer") or "").strip().lower() in _TRUE
        if not endpoint or (not delay_raw and not no_answer):
            continue
        try:
            delay = float(delay_raw) if delay_raw else 0.0
        except ValueError:
            raise ValueError(f"staff line {line}: bot_answer_after_s {delay_raw!r} is not seconds") from None
        if not 0 <= delay <= 120:
            raise ValueError(f"staff line {line}: bot_answer_after_s must be 0..120 s")
        bots[endpoint] = Bot(endpoint, answer_after_s=delay, no_answer=no_answer)
    return bots


def read_events(directory: str | Path) -> list[Event]:
    """All events of all *.jsonl files in `directory`, oldest first; a half-written last line is skipped."""
    events: list[Event] = []
    for path in sorted(Path(directory).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict):
                events.append(event)
    events.sort(key=lambda e: str(e.get("ts", "")))
    return events


def answered_by(events: Iterable[Event], caller: str) -> list[str]:
    """Accounts that answered a call from `caller`, in the order they answered."""
    return [e["account"] for e in events if e.get("event") == ANSWERED and e.get("caller") == caller]


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the parent dies, so no bot outlives a test run."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class BotFleet:
    """Starts answering bots as `python -m softphone` processes of at most `per_process` users.

    The parent-death signal is tied to the thread that calls start(): start the fleet from a thread
    that outlives it (the main thread in tests).
    """

    def __init__(
        self,
        bots: Iterable[Bot | str],
        workdir: str | Path,
        *,
        server: str = DEFAULT_SERVER,
        password: str | None = None,
        passwords: Mapping[str, str] | None = None,
        per_process: int = MAX_OPERATORS,
        register_timeout_s: float = 60.0,
        pj_log_level: int = 3,
        python: str = sys.executable,
        detached: bool = False,
    ) -> None:
        self.bots = [Bot(b) if isinstance(b, str) else b for b in bots]
        names = [b.username for b in self.bots]
        if len(set(names)) != len(names):
            raise ValueError("duplicate bot usernames")
        if not 1 <= per_process <= MAX_OPERATORS:
            raise ValueError(f"per_process must be 1..{MAX_OPERATORS}")
        self.workdir = Path(workdir)
        self.server = server
        # One password for every bot (test rigs), or each bot's own (`passwords`, user → secret: siaga's
        # endpoints each have one). Each process is handed only its own users' secrets.
        if password is not None:
            passwords = dict.fromkeys(names, password)
        self.passwords = dict(passwords or {})
        missing = [name for name in names if name not in self.passwords]
        if missing:
            raise ValueError(f"no SIP password for bots: {', '.join(missing)} (give password= or passwords=)")
        self.per_process = per_process
        self.register_timeout_s = register_timeout_s
        self.pj_log_level = pj_log_level
        self.python = python
        # Detached bots outlive the process that started them (`siaga up` exits once all is ready).
        self.detached = detached
        self.processes: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    @property
    def usernames(self) -> list[str]:
        return [b.username for b in self.bots]

    def groups(self) -> list[list[Bot]]:
        return [self.bots[i : i + self.per_process] for i in range(0, len(self.bots), self.per_process)]

    def command(self, index: int, group: list[Bot]) -> list[str]:
        stem = self.workdir / f"bots-{index}"
        # Bots never open a sound card: the null device, whatever the machine has.
        cmd = [
            self.python,
            "-m",
            "softphone",
            "--server",
            self.server,
            "--auto-answer",
            "--json",
            "--null-audio",
        ]
        cmd += ["--events", f"{stem}.jsonl", "--register-timeout", f"{self.register_timeout_s:g}"]
        cmd += ["--pj-log", f"{stem}.pjsip.log", "--pj-log-level", str(self.pj_log_level)]
        for bot in group:
            cmd += ["--user", bot.username]
            if bot.answer_after_s:
                cmd += ["--answer-after", f"{bot.username}={bot.answer_after_s:g}"]
            if bot.no_answer:
                cmd += ["--no-answer", bot.username]
        return cmd

    def secrets_env(self, group: list[Bot]) -> dict[str, str]:
        """The environment entry that hands one process its users' secrets: in the environment, not on
        the command line, where ps would show them, and only that process's own users."""
        return {PASSWORDS_ENV: json.dumps({b.username: self.passwords[b.username] for b in group})}

    def start(self) -> BotFleet:
        if self.processes:
            raise RuntimeError("fleet already started")
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        try:
            for index, group in enumerate(self.groups(), start=1):
                out = (self.workdir / f"bots-{index}.out").open("wb")
                err = (self.workdir / f"bots-{index}.err").open("wb")
                self._logs += [out, err]
                self.processes.append(
                    subprocess.Popen(
                        self.command(index, group),
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=err,
                        env={**env, **self.secrets_env(group)},
                        preexec_fn=None if self.detached else _die_with_parent,
                        start_new_session=self.detached,
                    )
                )
        except BaseException:
            self.stop()
            raise
        return self

    def events(self) -> list[Event]:
        return read_events(self.workdir)

    def wait_for_events(
        self, predicate: Callable[[Event], bool], timeout_s: float = 10.0, count: int = 1
    ) -> list[Event]:
        """Events matching `predicate` once there are at least `count` of them (or all there are at
        the timeout): bots write from their own processes, so tests poll rather than assume."""
        deadline = time.monotonic() + timeout_s
        while True:
            matches = [e for e in self.events() if predicate(e)]
            if len(matches) >= count or time.monotonic() >= deadline:
                return matches
            time.sleep(0.05)

    def wait_registered(self, timeout_s: float = 20.0) -> None:
        """Returns once every bot has a `registered` event; raises BotFleetError naming the missing."""
        deadline = time.monotonic() + timeout_s
        while True:
            events = self.events()
            registered = {e.get("account") for e in events if e.get("event") == REGISTERED}
            missing = [name for name in self.usernames if name not in registered]
            if not missing:
                return
            dead = [(i, p.returncode) for i, p in enumerate(self.processes, start=1) if p.poll() is not None]
            if dead or time.monotonic() >= deadline:
                raise BotFleetError(self._not_registered_message(missing, events, dead, timeout_s))
            time.sleep(0.05)

    def _not_registered_message(
        self, missing: list[str], events: list[Event], dead: list[tuple[int, int | None]], timeout_s: float
    ) -> str:
        failures = {e.get("account"): e for e in events if e.get("event") == REGISTRATION_FAILED}
        detail = [
            f"{name} ({failures[name].get('status_code')} {failures[name].get('reason')})"
            if name in failures
            else name
            for name in missing
        ]
        lines = [f"bots not registered at {self.server}: {', '.join(detail)}"]
        if dead:
            for index, code in dead:
                tail = (self.workdir / f"bots-{index}.err").read_text(errors="replace")[-1500:]
                lines.append(f"bot process {index} exited with status {code}; stderr:\n{tail}")
        else:
            lines.append(f"(waited {timeout_s:g} s; logs in {self.workdir})")
        return "\n".join(lines)

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM lets each bot unregister; whatever is still alive after `timeout_s` is killed."""
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for proc in self.processes:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for log in self._logs:
            log.close()
        self._logs.clear()

    def __enter__(self) -> BotFleet:
        if not self.processes:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
