"""A call's report that reaches the database before its plan (issue 13): the engine that routed the call was
killed before its record writer moved the plan in, and the hangup report went to another node's engine.
The record must still say where the call was answered; the plan, landing later, changes nothing of it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from geo.model import FacilityRow
from kernel.db import make_engine
from routing.records.report import outcome_event, parse_report, plan_event
from routing.records.store import apply_event, find_call
from shifts.model import Assignment, Staff
from tests.routing.test_records import ATTEMPTS, CALL, START, plan

AT = datetime.fromtimestamp(START, UTC).replace(tzinfo=None)


def _facility(code: str, name: str) -> FacilityRow:
    return FacilityRow(
        code=code,
        name=name,
        kind="puskesmas",
        lat=-7.0,
        lon=110.4,
        area_code="33.74.01",
        timezone="Asia/Jakarta",
    )


def _people(session: Session, *, far_op_on_shift_at: str | None) -> None:
    session.add_all([_facility("mid", "Puskesmas mid"), _facility("far", "Puskesmas far")])
    session.add_all([_facility("elsewhere", "Puskesmas elsewhere")])
    session.add(Staff(id="s-mid", name="Mid", role="perawat", endpoint="mid-op", facility_code="mid"))
    session.add(Staff(id="s-far", name="Far", role="perawat", endpoint="far-op", facility_code="far"))
    session.flush()  # the people before their shifts (the assignment's foreign key)
    if far_op_on_shift_at is not None:
        session.add(
            Assignment(
                staff_id="s-far",
                facility_code=far_op_on_shift_at,
                shift_date=date(2026, 11, 22),
                shift="malam",
                start_utc=AT - timedelta(hours=3),
                end_utc=AT + timedelta(hours=5),
                timezone="Asia/Jakarta",
            )
        )


def test_a_report_before_its_plan_names_the_answering_phones_facility(db_url: str) -> None:
    engine = make_engine(db_url)
    the_plan = plan()
    with Session(engine) as session, session.begin():
        _people(session, far_op_on_shift_at=None)
    with Session(engine) as session, session.begin():
        apply_event(session, outcome_event(parse_report(the_plan.call_id, CALL, ATTEMPTS), "dispatch-desk"))
    with Session(engine) as session:
        record = find_call(session, the_plan.call_id)
        assert record is not None and record.plan_json == ""
        assert (record.outcome, record.answered_by, record.answered_facility) == ("answered", "far-op", "far")
        assert [(a.facility, a.facility_name) for a in record.attempts] == [
            ("mid", "Puskesmas mid"),
            ("far", "Puskesmas far"),
        ]
    with Session(engine) as session, session.begin():  # the dead engine is back: its spooled plan lands
        apply_event(session, plan_event(the_plan, START))
    with Session(engine) as session:
        record = find_call(session, the_plan.call_id)
        assert record is not None and record.plan_json != ""
        assert (record.answered_facility, record.area_code) == ("far", "33.74.01")


def test_the_phones_shift_at_the_call_counts_before_its_owners_own_facility(db_url: str) -> None:
    engine = make_engine(db_url)
    the_plan = plan()
    with Session(engine) as session, session.begin():
        _people(session, far_op_on_shift_at="elsewhere")
        apply_event(session, outcome_event(parse_report(the_plan.call_id, CALL, ATTEMPTS), "dispatch-desk"))
    with Session(engine) as session:
        record = find_call(session, the_plan.call_id)
        assert record is not None
        assert record.answered_facility == "elsewhere"


def test_a_phone_nobody_owns_stays_without_a_facility(db_url: str) -> None:
    engine = make_engine(db_url)
    the_plan = plan()
    with Session(engine) as session, session.begin():
        apply_event(session, outcome_event(parse_report(the_plan.call_id, CALL, ATTEMPTS), "dispatch-desk"))
    with Session(engine) as session:
        record = find_call(session, the_plan.call_id)
        assert record is not None
        assert (record.answered_by, record.answered_facility) == ("far-op", None)
