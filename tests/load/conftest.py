"""The real chain under load: our Asterisk, the engine (`siaga serve`), SIPp callers and SIPp phones.

One lab per module (`lab.loadlab`), in a temporary data directory on free loopback ports, with the
sample region and its week roster, every operator's phone a SIPp UAS, Asterisk's resolver a loopback
listener that never answers. One facility's phone is a UAS of its own that rings and never answers, so
a test can make it vanish while it rings.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kernel.db import make_engine
from kernel.settings import Settings
from lab.loadcalls import LoadCall, make_load_calls
from lab.loadlab import DeadResolver, LoadLab, LoadResult, lab_settings, now_utc
from lab.sample import load_sample_roster, week_start
from lab.sipp import SCENARIOS, free_udp_port
from siaga.engine import build_router
from tests.telephony.conftest import free_tcp_port


@dataclasses.dataclass
class Load:
    lab: LoadLab
    resolver: DeadResolver
    ringing_endpoint: str
    ringing_port: int
    ringing_phone: subprocess.Popen[bytes] | None = None
    next_caller: int = 0

    @property
    def settings(self) -> Settings:
        return self.lab.settings

    def calls(self, count: int, *, to_ringing_phone: bool = False) -> list[LoadCall]:
        """Fresh callers (numbers never used before in this lab), expectations from the roster now; those
        whose nearest phone is the never-answering one are left out unless asked for."""
        router = build_router(self.settings)
        calls: list[LoadCall] = []
        while len(calls) < count:
            batch = make_load_calls(router, count, now_utc(), seed=self.next_caller, first=self.next_caller)
            self.next_caller += count
            calls += [c for c in batch if to_ringing_phone or c.expected_endpoint != self.ringing_endpoint]
        return calls[:count]

    def run(self, calls: list[LoadCall], rate: float, *, timeout_s: float = 40) -> LoadResult:
        since = now_utc()
        sipp = self.lab.place(calls, rate)
        return self.lab.judge(calls, sipp, since, timeout_s=timeout_s)

    def start_ringing_phone(self) -> None:
        out = self.settings.run_dir / "load" / "ringing-phone"
        out.mkdir(parents=True, exist_ok=True)
        self.ringing_phone = subprocess.Popen(
            [
                *("sipp", "-sf", str(SCENARIOS / "uas_no_answer.xml"), "-nostdin"),
                *("-i", "127.0.0.1", "-p", str(self.ringing_port)),
            ],
            cwd=out,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def kill_ringing_phone(self) -> None:
        if self.ringing_phone is not None and self.ringing_phone.poll() is None:
            os.killpg(self.ringing_phone.pid, signal.SIGKILL)
            self.ringing_phone.wait()

    def helper_pid(self, name: str) -> int:
        path = self.settings.run_dir / "engine" / "helpers" / f"{name}.pid"
        return int(path.read_text().strip())

    def pending_reports(self) -> str:
        return self.lab.asterisk.cli("database show siaga_pending")

    def wait_until(self, check: object, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if check():  # type: ignore[operator]
                return
            time.sleep(0.3)
        raise AssertionError(f"not within {timeout_s:g} s: {what}")


def busiest_endpoint(settings: Settings) -> str:
    """The on-duty endpoint that most load callers expect: the phone whose vanishing matters most."""
    calls = make_load_calls(build_router(settings), 300, now_utc(), seed=7, first=9_000_000)
    counts = Counter(c.expected_endpoint for c in calls if c.expected_facility != "dispatcher")
    return counts.most_common(1)[0][0]


@pytest.fixture(scope="module")
def load(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Load]:
    data_dir: Path = tmp_path_factory.mktemp("load")
    settings = dataclasses.replace(
        Settings(),
        data_dir=data_dir,
        sip_port=free_udp_port(),
        agi_port=free_tcp_port(),
        ami_port=free_tcp_port(),
        ring_timeout_s=4,
        records_retry_s=0.2,
        pending_drain_s=1.0,
        desk_wrapup_s=0,
        rtp_start=20000,  # media ports of its own: another Asterisk on this machine keeps its range
        rtp_end=29999,
        roster_refresh_s=0.5,
    )
    load_sample_roster(
        make_engine(settings.db_url), settings.region_dir, settings.facilities_path, week_start(date.today())
    )
    with DeadResolver() as resolver:
        settings = lab_settings(settings, resolver)
        ringing = busiest_endpoint(settings)
        ringing_port = free_udp_port()
        lab = LoadLab(settings, contacts={ringing: f"sip:{ringing}@127.0.0.1:{ringing_port}"})
        box = Load(lab, resolver, ringing, ringing_port)
        try:
            lab.start()
            box.start_ringing_phone()
            yield box
        finally:
            box.kill_ringing_phone()
            lab.stop()
