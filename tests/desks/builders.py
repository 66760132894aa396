"""A small desk world for the staffing tests: a PSC 119 desk in Makassar (WITA, UTC+8), its roster over
two weeks and its calls, written to a real SQLite database in a temporary folder.

The scenario (all times WITA; the period is Monday 2026-11-02 to Sunday 2026-11-15):
- Monday pagi: 35 calls on each Monday, 5 calls an hour, each keeping an operator 360 s (0.5 Erlang);
  half answered within 5 s, half after 20 s. Rostered 2 on the first Monday, 3 on the second (2.5).
- Monday siang: op1 the whole shift and op2 until leave starts at 17:30 on the first Monday, nobody on the
  second: 2 people for 3.5 h, 1 for 3.5 h, 0 for 7 h → 0.75 on average. No calls.
- Monday malam: one call at 02:00 on Tuesday morning (it belongs to Monday's night shift), op3 on duty.
- Tuesday pagi: one call at 07:30 WITA (06:30 in Jakarta: a WIB desk would have put it in the night).
- Tuesday siang: two calls abandoned in the queue: no handle time of its own.
- Wednesday 4th: op1 on pagi, op2 on malam, and not one call.
- Sunday malam: one call at 01:00 on Monday 16th, still Sunday's night shift, inside the period.
- Not the desk's: a call at 03:00 on Monday 2nd (the night of Sunday 1st, before the period), a call of
  the consultation desk, a call with no desk, and a record that never started.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from geo.facilities import Facility
from geo.store import write_facilities
from kernel.db import make_engine
from routing.records.model import CallRecord
from shifts.roster import Duty, Leave, Roster
from shifts.roster_csv import AssignmentRow, ParsedRoster, StaffRow
from shifts.store import add_leave, write_roster
from shifts.templates import DEFAULT_SHIFTS
from staffing.report import DeskCall

ZONE = "Asia/Makassar"
WITA = ZoneInfo(ZONE)
DESK = "psc119-makassar"
CONSULTATION = "konter-makassar"
PUSKESMAS = "pkm-mamajang"
FIRST, LAST = date(2026, 11, 2), date(2026, 11, 15)
SECOND_MONDAY = date(2026, 11, 9)
QUIET_WEDNESDAY = date(2026, 11, 4)

DESK_FACILITY = Facility(DESK, "PSC 119 Kota Makassar", "dispatch", -5.14, 119.42, "73.71.01", ZONE)
FACILITIES = [
    DESK_FACILITY,
    Facility(CONSULTATION, "Konter Dokter Makassar", "consultation", -5.14, 119.42, "73.71.01", ZONE),
    Facility(PUSKESMAS, "Puskesmas Mamajang", "puskesmas", -5.16, 119.41, "73.71.02", ZONE),
]
STAFF = [
    StaffRow("op1", "Andi Op", "dispatcher", "psc-op1", DESK),
    StaffRow("op2", "Besse Op", "dispatcher", "psc-op2", DESK),
    StaffRow("op3", "Cakra Op", "dispatcher", "psc-op3", DESK),
    StaffRow("dr1", "dr. Dewi", "doctor", "konter-dr1", CONSULTATION),
]
# (staff, day, shift)
SHIFTS = [
    ("op1", FIRST, "pagi"),
    ("op2", FIRST, "pagi"),
    ("op1", SECOND_MONDAY, "pagi"),
    ("op2", SECOND_MONDAY, "pagi"),
    ("op3", SECOND_MONDAY, "pagi"),
    ("op1", FIRST, "siang"),
    ("op2", FIRST, "siang"),
    ("op3", FIRST, "malam"),
    ("op3", SECOND_MONDAY, "malam"),
    ("op1", QUIET_WEDNESDAY, "pagi"),
    ("op2", QUIET_WEDNESDAY, "malam"),
    ("dr1", FIRST, "pagi"),  # the consultation desk's: never counted for the PSC desk
]
LEAVE = ("op2", datetime(2026, 11, 2, 17, 30, tzinfo=WITA), datetime(2026, 11, 2, 23, 0, tzinfo=WITA))


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=WITA)


def answered(at: datetime, answer_s: float, handle_s: float) -> DeskCall:
    return DeskCall(at, "answered", answer_s, handle_s)


def desk_calls() -> list[DeskCall]:
    """The desk's calls of the scenario, as `staffing.store` reads them."""
    calls = []
    for monday in (FIRST, SECOND_MONDAY):
        for i in range(35):
            calls.append(answered(local(monday, 7) + timedelta(minutes=12 * i), 5 if i % 2 == 0 else 20, 360))
    calls.append(answered(local(FIRST + timedelta(days=1), 2), 3, 120))  # Monday malam
    calls.append(answered(local(FIRST + timedelta(days=1), 7, 30), 4, 100))  # Tuesday pagi (WITA)
    calls += [DeskCall(local(FIRST + timedelta(days=1), 15), "abandoned", None, None)] * 2  # Tuesday siang
    calls.append(answered(local(LAST + timedelta(days=1), 1), 2, 60))  # Sunday malam
    return calls


def duties() -> list[Duty]:
    """The roster of the scenario as `shifts.store.load_roster(...).resolved()` gives it (leave applied)."""
    planned = []
    for staff_id, day, shift in SHIFTS:
        person = next(s for s in STAFF if s.staff_id == staff_id)
        start, end = DEFAULT_SHIFTS[shift].window(day, WITA)
        planned.append(
            Duty(staff_id, person.name, person.role, person.endpoint, person.facility_code or "", shift,
                 start.astimezone(UTC), end.astimezone(UTC), ZONE, day)
        )  # fmt: skip
    staff_id, start, end = LEAVE
    return Roster(tuple(planned), (Leave(staff_id, start.astimezone(UTC), end.astimezone(UTC)),)).resolved()


def _record(n: int, call: DeskCall, desk: str | None) -> CallRecord:
    started = call.started_at.astimezone(UTC).replace(tzinfo=None)
    ended = None
    if call.outcome == "answered":
        ended = started + timedelta(seconds=(call.answer_s or 0) + (call.handle_s or 0))
    elif call.outcome is not None:
        ended = started + timedelta(seconds=30)
    return CallRecord(
        call_id=f"call-{n}",
        started_at=started,
        ended_at=ended,
        service="emergency",
        outcome=call.outcome,
        time_to_answer_s=call.answer_s,
        answered_facility=desk if call.outcome == "answered" else None,
        desk=desk,
        queue_wait_s=call.answer_s,
        abandoned_in_queue=call.outcome == "abandoned",
    )


def build_database(data_dir: Path) -> Engine:
    """The scenario in `data_dir/siaga.db`, where `siaga --data-dir data_dir` finds it."""
    engine = make_engine(f"sqlite:///{data_dir / 'siaga.db'}")
    with Session(engine) as session, session.begin():
        write_facilities(session, FACILITIES)
        rows = []
        for line, (staff_id, day, shift) in enumerate(SHIFTS, start=2):
            facility = next(s.facility_code for s in STAFF if s.staff_id == staff_id) or ""
            start, end = DEFAULT_SHIFTS[shift].window(day, WITA)
            rows.append(AssignmentRow(line, staff_id, facility, day, shift, start, end, ZONE))
        write_roster(session, ParsedRoster(STAFF, rows))
        add_leave(session, *LEAVE, reason="sakit")
        records = [_record(n, call, DESK) for n, call in enumerate(desk_calls())]
        n = len(records)
        strangers = [
            (DeskCall(local(FIRST, 3), "answered", 5, 100), DESK),  # Sunday 1st's night: before the period
            (DeskCall(local(FIRST, 9), "answered", 5, 100), CONSULTATION),
            (DeskCall(local(FIRST, 9, 5), "answered", 5, 100), None),  # a puskesmas took it, no desk
        ]
        records += [_record(n + i, call, desk) for i, (call, desk) in enumerate(strangers)]
        records.append(CallRecord(call_id="never-started", desk=DESK, outcome="unanswered"))
        session.add_all(records)
    return engine
