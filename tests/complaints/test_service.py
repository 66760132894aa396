"""The complaints service against a real database: numbers, all-or-nothing writes, the audit, the public
view without personal data, the review and the monthly figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from complaints.model import ComplaintRow, ComplaintStepRow
from complaints.numbers import check_number, new_number
from complaints.service import (
    ListFilter,
    assign_facility,
    change_status,
    list_complaints,
    monthly_figures,
    open_complaint,
    public_status,
    review,
    show,
)
from kernel.audit import AuditEntry
from kernel.dataerrors import InputError, NotFound
from tests.complaints.conftest import KOTA, OTHER, RULES

WIB = ZoneInfo("Asia/Jakarta")
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
SCRIPT = "<script>alert('x')</script> obat habis"


def _open(session: Session, **kw: object) -> str:
    values: dict[str, object] = {
        "caller": "081234567890",
        "category": "obat",
        "text": SCRIPT,
        "facility": "pkm-kagok",
        "channel": "web",
        "recording": None,
        "now": MONDAY_9,
        "rules": RULES,
    }
    values.update(kw)
    return open_complaint(session, **values)  # type: ignore[arg-type]


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_open_gives_a_checked_number_and_audits(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        first = _open(session)
        second = _open(
            session, facility=None, channel="phone", text="", recording="/x/1.wav", caller="anonymous"
        )
    assert check_number(first) is None and check_number(second) is None and first != second
    with Session(engine) as session:
        view = show(session, second, MONDAY_9, rules=RULES)
        assert view.caller == ""  # a hidden caller id is kept as nothing, the complaint is taken
        assert view.desk == KOTA  # no facility: the complaints line's DID area
        assert view.status == "received" and len(view.history) == 1
        assert show(session, first, MONDAY_9, rules=RULES).due.first_response_due == MONDAY_9 + timedelta(
            hours=4
        )
        actions = session.scalars(select(AuditEntry.action)).all()
    assert actions.count("complaint-open") == 2


def test_bad_input_names_every_field_and_writes_nothing(engine: Engine) -> None:
    with pytest.raises(InputError) as caught, Session(engine) as session, session.begin():
        _open(session, caller="abc", category="jamu", text="", facility="pkm-nowhere", channel="fax")
    fields = {e.field for e in caught.value.errors}
    assert fields == {"caller", "category", "text", "facility", "channel"}
    with pytest.raises(InputError) as caught, Session(engine) as session, session.begin():
        _open(session, text="x" * 4001)
    assert caught.value.errors[0].field == "text" and "4001" in caught.value.errors[0].reason
    with pytest.raises(InputError) as caught, Session(engine) as session, session.begin():
        _open(session, channel="phone", recording=None, text="")
    assert caught.value.errors[0].field == "recording"
    assert _count(engine, ComplaintRow) == 0 and _count(engine, ComplaintStepRow) == 0
    assert _count(engine, AuditEntry) == 0


def test_status_changes_one_step_at_a_time(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        number = _open(session)
    later = MONDAY_9 + timedelta(hours=3)
    with pytest.raises(InputError) as caught, Session(engine) as session, session.begin():
        change_status(session, number, "done", note="selesai", officer="kota", now=later, rules=RULES)
    assert (
        caught.value.errors[0].field == "status"
        and "received" in str(caught.value)
        and "done" in str(caught.value)
    )
    with pytest.raises(InputError) as caught, Session(engine) as session, session.begin():
        change_status(session, number, "verified", note="  ", officer="kota", now=later, rules=RULES)
    assert caught.value.errors[0].field == "note"
    assert _count(engine, ComplaintStepRow) == 1  # nothing half-written
    with Session(engine) as session, session.begin():
        view = change_status(
            session,
            number,
            "verified",
            note="Kami cek ke puskesmas",
            officer="kota",
            now=later,
            public=True,
            rules=RULES,
        )
    assert view.first_response_s == 3 * 3600 and view.status == "verified"
    assert [s.status for s in view.history] == ["received", "verified"]
    assert view.history[1].took_s == 3 * 3600
    with Session(engine) as session, session.begin():
        change_status(
            session,
            number,
            "in_progress",
            note="obat dipesan",
            officer="kota",
            now=later + timedelta(hours=1),
            rules=RULES,
        )
        done = change_status(
            session,
            number,
            "done",
            note="obat ada",
            officer="kota",
            now=later + timedelta(days=1),
            rules=RULES,
        )
    assert done.closed_at is not None and done.next_statuses == ()
    with Session(engine) as session:
        assert session.scalar(select(func.count()).where(AuditEntry.action == "complaint-status")) == 3


def test_public_view_has_no_personal_data(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        number = _open(session, recording="/spool/aduan/1.wav")
        change_status(
            session,
            number,
            "verified",
            note="private note 0812",
            officer="kota",
            now=MONDAY_9 + timedelta(hours=2),
            rules=RULES,
        )
        change_status(
            session,
            number,
            "in_progress",
            note="Sedang ditangani",
            officer="kota",
            public=True,
            now=MONDAY_9 + timedelta(hours=5),
            rules=RULES,
        )
    with Session(engine) as session:
        public = public_status(session, number, now=MONDAY_9 + timedelta(hours=6))
    data = str(public.to_json())
    for secret in ("081234567890", "<script>", "obat habis", "1.wav", "private note", "kota"):
        assert secret not in data
    assert public.first_response_s == 2 * 3600
    assert [s.took_s for s in public.history] == [None, 2 * 3600, 3 * 3600]
    assert public.history[2].note == "Sedang ditangani" and public.history[1].note is None
    with Session(engine) as session, session.begin():
        change_status(
            session,
            number,
            "done",
            note="Selesai",
            officer="kota",
            now=MONDAY_9 + timedelta(hours=7),
            text_public=True,
            rules=RULES,
        )
    with Session(engine) as session:
        assert public_status(session, number).text == SCRIPT  # marked public: shown (escaped by the pages)


def test_unknown_and_mistyped_numbers(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        number = _open(session)
    wrong_digit = number[:-2] + str((int(number[-2]) + 1) % 10) + number[-1]
    with Session(engine) as session:
        with pytest.raises(InputError) as caught:
            public_status(session, wrong_digit)
        assert caught.value.errors[0].field == "number"
    with Session(engine) as session, pytest.raises(NotFound):
        public_status(session, new_number(9999))  # well formed, no such complaint


def test_assign_moves_the_desk_and_list_filters(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        a = _open(session, facility=None, category="biaya")
        b = _open(session, category="obat")
        assign_facility(session, a, "pkm-ungaran", officer="admin", now=MONDAY_9, rules=RULES)
    with Session(engine) as session:
        assert show(session, a, MONDAY_9, rules=RULES).desk == OTHER
        kota_only = list_complaints(session, ListFilter(desks=frozenset({KOTA})), MONDAY_9, rules=RULES)
        assert [c.number for c in kota_only] == [b]
        late = MONDAY_9 + timedelta(hours=5)  # obat: first response due in 4 h, biaya in 8 h
        overdue = list_complaints(session, ListFilter(overdue=True), late, rules=RULES)
        assert [c.number for c in overdue] == [b]
        assert [
            c.number for c in list_complaints(session, ListFilter(category="biaya"), late, rules=RULES)
        ] == [a]
        with pytest.raises(InputError):
            list_complaints(session, ListFilter(status="closed"), late, rules=RULES)


def test_review_and_monthly_figures(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        a = _open(session, category="biaya")
        b = _open(session, category="biaya", now=MONDAY_9 + timedelta(hours=1))
        c = _open(session, category="biaya", now=MONDAY_9 + timedelta(hours=2))
        change_status(
            session, a, "verified", note="ok", officer="kota", now=MONDAY_9 + timedelta(hours=2), rules=RULES
        )
        change_status(
            session, b, "verified", note="ok", officer="kota", now=MONDAY_9 + timedelta(hours=10), rules=RULES
        )
    at = MONDAY_9 + timedelta(hours=10, minutes=30)
    with Session(engine) as session:
        result = review(session, at, rules=RULES)
        (desk,) = result.desks
        assert desk.desk == KOTA and desk.new == []  # all three older than one review interval (8 h)
        assert set(review(session, MONDAY_9 + timedelta(hours=3), rules=RULES).desks[0].new) == {a, b, c}
        assert desk.first_response_overdue == [c]  # c arrived 11:00, due 19:00: past at 19:30
        figures = monthly_figures(
            session, MONDAY_9 - timedelta(days=40), at + timedelta(days=1), at, rules=RULES
        )
    (month,) = figures
    assert month.month == "2026-11" and month.received == 3 and month.open_now == 3
    assert month.answered_on_time_pct == pytest.approx(33.3)  # a on time, b late, c overdue
    assert month.median_first_response_s == (2 * 3600 + 9 * 3600) // 2
