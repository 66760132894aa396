"""A shipped-configuration Asterisk (and engine) for hostile traffic, plus what the tests read back.

The stack is siaga's own (`lab.stack.Stack` → `lab.pbx.start_asterisk` → `lab.asterisk.render_config`
from config/asterisk and dialplans/), with every operator of the sample staff as an endpoint, on free
loopback ports in a temporary data directory, like tests/telephony: nothing here touches a developer's
running system or the default ports.

Which dialplan contexts ran is read from Asterisk's own log (`messages.log`, verbose level 3:
"Executing [exten@context:prio]"), so a check covers whatever path a message took through PJSIP,
identification and the dialplan, not just what our code saw.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy.orm import Session

from kernel.db import make_engine
from kernel.settings import Settings
from lab.asterisk import DIALPLANS
from lab.sample import load_sample_places, sample_staff
from lab.stack import Stack
from shifts.roster_csv import ParsedRoster
from shifts.store import write_roster
from softphone.bots import Bot
from tests.hostile.sip import SipTarget
from tests.telephony.conftest import GAYAMSARI_HOUSE, CallLab, lab_settings

# Hypothesis keeps a cache (.hypothesis/) in the working directory unless told otherwise: keep the work
# tree clean (the fuzz tests keep no example database either; see test_agi_fuzz.py).
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "siaga-hypothesis")

HOTLINE_ENTRY = "siaga-inbound"  # the caller trunk's context (config/asterisk/pjsip.conf)
OPERATOR_CONTEXT = "siaga-operators"  # reached only by an authenticated operator endpoint
ANSWERING_OPERATOR = "pkm-gayamsari-op1"
DISPATCHER = "psc119-dispatch"  # the sample staff's dispatcher (config/sample/semarang/staff.csv)
# Callers in the directory, at a house whose nearest puskesmas is Gayamsari (tests/telephony).
DIRECTORY_CALLERS = [f"02479000{n:02d}" for n in range(1, 10)]

_SECTION_RE = re.compile(r"^\[([A-Za-z0-9_-]+)\]", re.MULTILINE)
_REFERENCE_RE = re.compile(r"\b(siaga-[a-z0-9-]+)\s*[,^]")
# A real log entry starts with its timestamp; text a caller smuggled onto a new line does not count as
# one (and if it ever did, it could only make the check stricter).
_EXECUTING_RE = re.compile(
    r"^\[\d{4}-\d\d-\d\d [0-9:.]+\] VERBOSE\[\d+\](?:\[C-[0-9a-f]+\])? pbx\.c: "
    r"Executing \[(?P<exten>[^\]]*?)@(?P<context>[A-Za-z0-9_-]+):(?P<prio>[0-9]+)\]"
)


def dialplan_contexts(text: str) -> dict[str, str]:
    """Context name → its body, for every [context] in a dialplan file."""
    matches = list(_SECTION_RE.finditer(text))
    return {
        m.group(1): text[m.end() : (matches[i + 1].start() if i + 1 < len(matches) else len(text))]
        for i, m in enumerate(matches)
    }


def reachable_contexts(text: str, entry: str = HOTLINE_ENTRY) -> set[str]:
    """The contexts a call entering at `entry` can run: every siaga-* context named by a Goto, Gosub,
    GotoIf, hangup-handler push or Dial b() option of one it can already run, transitively."""
    bodies = dialplan_contexts(text)
    reached = {entry}
    todo = [entry]
    while todo:
        body = bodies.get(todo.pop(), "")
        for name in _REFERENCE_RE.findall(body):
            if name in bodies and name not in reached:
                reached.add(name)
                todo.append(name)
    return reached


def hotline_contexts() -> set[str]:
    return reachable_contexts((DIALPLANS / "siaga.conf").read_text(encoding="utf-8"))


def executed_contexts(lines: Iterable[str]) -> Counter[str]:
    """How often each context ran a priority, from messages.log lines."""
    found: Counter[str] = Counter()
    for line in lines:
        match = _EXECUTING_RE.match(line)
        if match:
            found[match.group("context")] += 1
    return found


def executed_lines(lines: Iterable[str], context: str) -> list[str]:
    return [line for line in lines if (m := _EXECUTING_RE.match(line)) and m.group("context") == context]


@dataclass
class HostileLab:
    """A running shipped-configuration stack and the SIP target it listens on."""

    settings: Settings
    stack: Stack
    target: SipTarget
    work_dir: Path

    @property
    def messages_log(self) -> Path:
        return self.settings.run_dir / "asterisk" / "log" / "messages.log"

    def log_lines(self) -> list[str]:
        if not self.messages_log.exists():
            return []
        return self.messages_log.read_text(encoding="utf-8", errors="replace").splitlines()

    def asterisk_alive(self) -> bool:
        return self.stack.asterisk.pid() is not None


def _callers_file(directory: Path) -> Path:
    path = directory / "callers.csv"
    rows = ["number,lat,lon,label"] + [
        f"{n},{GAYAMSARI_HOUSE[0]},{GAYAMSARI_HOUSE[1]},hostile suite house" for n in DIRECTORY_CALLERS
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def start_shipped_stack(data_dir: Path, *, engine: bool, bots: Iterable[Bot] = ()) -> tuple[Settings, Stack]:
    """The sample region's places and staff in a fresh database, then Asterisk (and the engine, bots)
    started exactly as `siaga up` starts them."""
    settings = lab_settings(data_dir)
    load_sample_places(
        make_engine(settings.db_url), settings.areas_path, settings.facilities_path, _callers_file(data_dir)
    )
    with Session(make_engine(settings.db_url)) as session, session.begin():
        write_roster(session, ParsedRoster(sample_staff(settings.region_dir), []))
    stack = Stack(settings)
    try:
        stack.start(list(bots), engine=engine)
    except BaseException:
        stack.stop()
        raise
    return settings, stack


@pytest.fixture(scope="module")
def torture_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileLab]:
    """Asterisk + engine + two answering bots (the dispatcher and Gayamsari's first operator)."""
    data_dir = tmp_path_factory.mktemp("hostile-sip")
    bots = [Bot(DISPATCHER), Bot(ANSWERING_OPERATOR)]
    settings, stack = start_shipped_stack(data_dir, engine=True, bots=bots)
    try:
        # Whatever desks the configuration has get their staff (tests/telephony's roster helper), so a
        # hostile call that reaches a desk is answered and hung up rather than left waiting.
        CallLab(settings, stack, data_dir / "calls").given_on_duty()
        yield HostileLab(settings, stack, SipTarget(settings.sip_port), data_dir / "work")
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def scan_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileLab]:
    """Asterisk alone, no softphone registered: the scanner talks SIP only, and any contact found
    registered afterwards is the scanner's."""
    data_dir = tmp_path_factory.mktemp("hostile-scan")
    settings, stack = start_shipped_stack(data_dir, engine=False)
    try:
        yield HostileLab(settings, stack, SipTarget(settings.sip_port), data_dir / "work")
    finally:
        stack.stop()
