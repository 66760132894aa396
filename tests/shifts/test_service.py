"""`shifts.service.RosterService`, the one roster service of the CLI, the console and the jobs: every edit
bumps the roster revision (the engines' cue to rebuild) and writes exactly one audit entry in the same
transaction; a refused edit leaves neither. `siaga roster` edits are audited as `cli:<login>`."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from geo.store import facility_kabupaten, read_facilities
from kernel.audit import AuditEntry
from kernel.dataerrors import InputError, NotFound
from kernel.db import make_engine
from shifts.scope import RosterBounds
from shifts.service import AUDIT_ROWS, RosterService, _capped
from shifts.store import assignments_between, current_revision
from tests.shifts.test_cli import Siaga, siaga  # noqa: F401  (the sample-region fixture)

WIB = ZoneInfo("Asia/Jakarta")
GAYAMSARI, KAGOK = "pkm-gayamsari", "pkm-kagok"
OP1, OP2 = f"{GAYAMSARI}-op1", f"{GAYAMSARI}-op2"
NEIGHBOUR = "pkm-bugangan-op1"  # same kabupaten, off duty on Tuesday 24 November's pagi
ACTOR = "tester"


def _engine(siaga: Siaga) -> Engine:  # noqa: F811
    return make_engine(f"sqlite:///{siaga.data_dir / 'siaga.db'}")


def _service(session: Session) -> RosterService:
    facilities = read_facilities(session)
    of_facility, names = facility_kabupaten(session)
    return RosterService(
        {f.code: f.timezone for f in facilities},
        {f.code: f.kind for f in facilities},
        RosterBounds(of_facility, names),
    )


def _pagi_of(session: Session, staff_id: str, day: date) -> int:
    (found,) = [
        a.id
        for a in assignments_between(session, [GAYAMSARI], day, day + timedelta(days=1))
        if a.staff_id == staff_id
    ]
    return found


def _op1_pagi_on_24th(session: Session) -> str:
    """Who works Gayamsari's pagi on Tuesday 24 November in the sample rotation."""
    (pagi,) = [
        a
        for a in assignments_between(session, [GAYAMSARI], date(2026, 11, 24), date(2026, 11, 25))
        if a.shift == "pagi"
    ]
    return pagi.staff_id


def _counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        entries = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        return current_revision(session), entries


def _newest(engine: Engine) -> AuditEntry:
    with Session(engine) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        session.expunge(entry)
        return entry


TUESDAY_PAGI = (datetime(2026, 11, 24, 7, tzinfo=WIB), datetime(2026, 11, 24, 14, tzinfo=WIB))


def _add(svc: RosterService, session: Session) -> object:
    return svc.add(session, ACTOR, GAYAMSARI, OP1, date(2026, 12, 1), "pagi")


def _remove(svc: RosterService, session: Session) -> object:
    return svc.remove(session, ACTOR, _pagi_of(session, _op1_pagi_on_24th(session), date(2026, 11, 24)))


def _swap(svc: RosterService, session: Session) -> object:
    who = _op1_pagi_on_24th(session)
    return svc.swap(session, ACTOR, _pagi_of(session, who, date(2026, 11, 24)), NEIGHBOUR)


def _swap_span(svc: RosterService, session: Session) -> object:
    return svc.swap_span(session, ACTOR, _op1_pagi_on_24th(session), NEIGHBOUR, *TUESDAY_PAGI, "tukar jaga")


def _leave(svc: RosterService, session: Session) -> object:
    return svc.leave(session, ACTOR, _op1_pagi_on_24th(session), *TUESDAY_PAGI, "sakit")


def _copy_week(svc: RosterService, session: Session) -> object:
    return svc.copy_week(session, ACTOR, GAYAMSARI, date(2026, 11, 23), date(2026, 11, 30))


def _rotate(svc: RosterService, session: Session) -> object:
    return svc.rotate(session, ACTOR, GAYAMSARI, date(2027, 1, 1))


def _import(svc: RosterService, session: Session) -> object:
    text = f"facility_code,staff_id,date,shift\n{GAYAMSARI},{OP2},2026-12-02,malam\n"
    return svc.import_csv(session, ACTOR, text, "december.csv")


def _fill(svc: RosterService, session: Session) -> object:
    return svc.fill(session, ACTOR, svc.month_rotation(session, 2027, 1, [KAGOK]))


OPERATIONS: dict[str, tuple[Callable[[RosterService, Session], object], str, str | None]] = {
    # name: (operation, audit action, facility the entry is filed under)
    "add": (_add, "add", GAYAMSARI),
    "remove": (_remove, "remove", GAYAMSARI),
    "swap": (_swap, "swap", GAYAMSARI),
    "swap-span": (_swap_span, "swap", GAYAMSARI),
    "leave": (_leave, "leave", GAYAMSARI),
    "copy-week": (_copy_week, "copy-week", GAYAMSARI),
    "rotate": (_rotate, "rotation", GAYAMSARI),
    "import": (_import, "import", GAYAMSARI),
    "fill": (_fill, "fill", KAGOK),
}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_every_edit_bumps_the_revision_and_writes_one_audit_entry(siaga: Siaga, name: str) -> None:  # noqa: F811
    operation, action, facility = OPERATIONS[name]
    engine = _engine(siaga)
    revision, entries = _counts(engine)
    with Session(engine) as session, session.begin():
        operation(_service(session), session)
    after_revision, after_entries = _counts(engine)
    assert after_revision > revision, "an edit the engines would not see"
    assert after_entries == entries + 1
    entry = _newest(engine)
    assert (entry.user_name, entry.action, entry.facility_code) == (ACTOR, action, facility)
    assert entry.summary and (entry.before is not None or entry.after is not None)


def test_a_leave_and_a_span_swap_record_what_they_touch(siaga: Siaga) -> None:  # noqa: F811
    engine = _engine(siaga)
    with Session(engine) as session, session.begin():
        svc = _service(session)
        who = _op1_pagi_on_24th(session)
        swapped = svc.swap_span(session, ACTOR, who, NEIGHBOUR, *TUESDAY_PAGI)
    assert [(d.facility_code, d.shift) for d in swapped] == [(GAYAMSARI, "pagi")]
    entry = _newest(engine)
    assert entry.after == [{**entry.before[0], "worked_by": NEIGHBOUR}]
    assert "works 1 shift(s)" in entry.summary
    with Session(engine) as session, session.begin():
        affected = _service(session).leave(session, ACTOR, who, *TUESDAY_PAGI, "sakit")
    assert len(affected) == 1
    entry = _newest(engine)
    assert entry.after["staff_id"] == who and entry.after["reason"] == "sakit"
    assert entry.after["start"] == "2026-11-24T00:00:00+00:00" and len(entry.after["shifts"]) == 1


@pytest.mark.parametrize(
    ("edit", "field", "reason"),
    [
        (lambda s, db: s.leave(db, ACTOR, "nobody", *TUESDAY_PAGI), "staff_id", "unknown staff 'nobody'"),
        (lambda s, db: s.leave(db, ACTOR, OP1, *reversed(TUESDAY_PAGI)), "end", "after the start"),
        (
            lambda s, db: s.swap_span(db, ACTOR, OP1, OP1, *TUESDAY_PAGI),
            "replacement",
            "a swap needs two different people",
        ),
        (
            lambda s, db: s.swap_span(db, ACTOR, OP1, "nobody", *TUESDAY_PAGI),
            "replacement",
            "unknown staff 'nobody'",
        ),
        (
            lambda s, db: s.add(db, ACTOR, "pkm-nowhere", OP1, date(2026, 12, 1), "pagi"),
            "facility_code",
            "unknown facility 'pkm-nowhere'",
        ),
        (
            lambda s, db: s.copy_week(db, ACTOR, GAYAMSARI, date(2026, 11, 23), date(2026, 11, 25)),
            "to_week",
            "same week",
        ),
        (
            lambda s, db: s.rotate(db, ACTOR, GAYAMSARI, date(2027, 1, 1), [OP1, OP1]),
            "staff_ids",
            "listed twice",
        ),
        (
            lambda s, db: s.import_csv(
                db, ACTOR, "facility_code,staff_id,date,shift\n", "x.csv", empty_ok=False
            ),
            "file",
            "no assignments",
        ),
    ],
)
def test_a_refused_edit_names_the_field_and_leaves_no_trace(
    siaga: Siaga,  # noqa: F811
    edit,  # type: ignore[no-untyped-def]
    field: str,
    reason: str,
) -> None:
    engine = _engine(siaga)
    before = _counts(engine)
    with pytest.raises(InputError) as refused, Session(engine) as session, session.begin():
        edit(_service(session), session)
    assert any(e.field == field and reason in e.reason for e in refused.value.errors), refused.value.errors
    assert _counts(engine) == before


def test_an_unknown_assignment_is_not_found(siaga: Siaga) -> None:  # noqa: F811
    with pytest.raises(NotFound), Session(_engine(siaga)) as session, session.begin():
        _service(session).remove(session, ACTOR, 10**9)


def test_an_import_that_replaces_says_how_many_and_a_dry_run_writes_nothing(siaga: Siaga) -> None:  # noqa: F811
    engine = _engine(siaga)
    text = f"facility_code,staff_id,date,shift\n{GAYAMSARI},{OP1},2026-11-24,pagi\n"
    before = _counts(engine)
    with Session(engine) as session, session.begin():
        result = _service(session).import_csv(session, ACTOR, text, "fix.csv", update=True, dry_run=True)
    assert (result.assignments, result.written) == (1, False) and _counts(engine) == before
    with Session(engine) as session, session.begin():
        result = _service(session).import_csv(session, ACTOR, text, "fix.csv", update=True)
    assert result.written and result.replaced_facilities == 1
    entry = _newest(engine)
    # Gayamsari's three shifts of that Tuesday go, the file's one comes in.
    assert entry.summary == f"1 assignment(s) from fix.csv for {GAYAMSARI}, replacing 3"
    assert [b["date"] for b in entry.before] == ["2026-11-24"] * 3 and len(entry.after) == 1


def test_an_audit_entry_keeps_a_bounded_number_of_rows() -> None:
    rows = [{"n": n} for n in range(AUDIT_ROWS + 5)]
    assert _capped(rows) == [*rows[:AUDIT_ROWS], {"truncated": 5}]
    assert _capped(rows[:AUDIT_ROWS], 10 * AUDIT_ROWS)[-1] == {"truncated": 9 * AUDIT_ROWS}
    assert _capped([]) is None


def _cli_entries(siaga: Siaga) -> list[tuple[str, str]]:  # noqa: F811
    with Session(_engine(siaga)) as session:
        query = select(AuditEntry.user_name, AuditEntry.action).order_by(AuditEntry.id)
        return [(user, action) for user, action in session.execute(query)]


def test_a_cli_edit_is_audited_with_the_login_name(siaga: Siaga, tmp_path: Path) -> None:  # noqa: F811
    leave = ("--from", "2026-11-24T07:00+07:00", "--to", "2026-11-24T14:00+07:00", "--reason", "sakit")
    code, _, err = siaga("roster", "leave", OP1, *leave)
    assert code == 0, err
    assert _cli_entries(siaga)[-1] == (f"cli:{getpass.getuser()}", "leave")
    roster = tmp_path / "d.csv"
    roster.write_text(f"facility_code,staff_id,date,shift\n{GAYAMSARI},{OP2},2026-12-03,pagi\n")
    assert siaga("roster", "import", str(roster))[0] == 0
    assert _cli_entries(siaga)[-1] == (f"cli:{getpass.getuser()}", "import")
    # A dry run and a refused edit write no entry.
    count = len(_cli_entries(siaga))
    roster.write_text(f"facility_code,staff_id,date,shift\n{GAYAMSARI},{OP2},2026-12-04,pagi\n")
    assert siaga("roster", "import", str(roster), "--dry-run")[0] == 0
    code, _, err = siaga("roster", "leave", "nobody", *leave)
    assert (code, err.strip()) == (2, "siaga: unknown staff 'nobody'")
    assert len(_cli_entries(siaga)) == count


def test_a_cli_edit_without_a_login_name_is_still_audited(
    siaga: Siaga,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_login() -> str:
        raise OSError("No username set in the environment")

    monkeypatch.setattr(getpass, "getuser", no_login)
    leave = ("--from", "2026-11-24T07:00+07:00", "--to", "2026-11-24T14:00+07:00")
    assert siaga("roster", "leave", OP1, *leave)[0] == 0
    assert _cli_entries(siaga)[-1] == ("cli:unknown", "leave")
