"""The dispatch service on the sample region: status changes kept and audited, refusals that write
nothing, incidents opened from a call record, dispatch refusals, and a whole run stamping the incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dispatch.model import IncidentDispatchRow, IncidentRow, UnitStatusChange
from dispatch.service import (
    close_incident,
    dispatch_unit,
    get_incident,
    open_incident,
    set_unit_status,
    unit_for_endpoint,
    update_incident,
)
from dispatch.store import statuses
from kernel.audit import AuditEntry
from kernel.dataerrors import FieldError, InputError, NotFound
from kernel.settings import Settings
from routing.records.model import CallRecord

CATEGORIES = Settings().incident_categories


def _count(session: Session, table: type) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _call(session: Session, call_id: str, started: datetime) -> None:
    session.add(
        CallRecord(
            call_id=call_id,
            started_at=started.replace(tzinfo=None),
            caller="0248000101",
            service="emergency",
            route_status="ok",
            location_source="directory",
            lat=-6.9932,
            lon=110.4203,
            location_label="test house 1",
            area_code="33.74.08",
            area_name="Candisari < Kota Semarang < Jawa Tengah",
        )
    )


def test_a_status_change_is_kept_audited_and_a_repeat_writes_nothing(sample_engine: Engine) -> None:
    now = datetime.now(UTC)
    with Session(sample_engine) as session, session.begin():
        change = set_unit_status(
            session,
            unit="119-smg-02",
            status="out_of_service",
            source="short_code",
            actor="unit-smg-02",
            now=now,
        )
        assert (change.previous, change.status, change.changed, change.incident) == (
            "available",
            "out_of_service",
            True,
            None,
        )
        again = set_unit_status(
            session, unit="119-smg-02", status="out_of_service", source="dtmf", actor="unit-smg-02", now=now
        )
        assert again.changed is False
    with Session(sample_engine) as session:
        rows = session.scalars(select(UnitStatusChange).where(UnitStatusChange.unit == "119-smg-02")).all()
        assert [(r.previous, r.status, r.source, r.by) for r in rows] == [
            ("available", "out_of_service", "short_code", "unit-smg-02")
        ]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "unit_status")).one()
        assert entry.facility_code == "rsup-kariadi" and entry.user_name == "unit-smg-02"
        assert entry.before == {"status": "available"} and entry.after["status"] == "out_of_service"


@pytest.mark.parametrize(
    ("unit", "status", "source", "field", "reason"),
    [
        ("119-smg-99", "available", "cli", "unit", "unknown unit '119-smg-99'"),
        ("119-smg-01", "on_scene", "dtmf", "status", "only after being dispatched"),
        ("119-smg-01", "dispatched", "console", "status", "siaga incidents dispatch"),
        ("119-smg-01", "parked", "console", "status", "'parked' is not one of"),
        ("119-smg-01", "out_of_service", "fax", "source", "source 'fax' is not one of"),
    ],
)
def test_a_refused_change_names_the_field_and_writes_nothing(
    sample_engine: Engine, unit: str, status: str, source: str, field: str, reason: str
) -> None:
    with Session(sample_engine) as session, session.begin():
        with pytest.raises(InputError) as refused:
            set_unit_status(
                session, unit=unit, status=status, source=source, actor="t", now=datetime.now(UTC)
            )
        assert refused.value.errors[0].field == field and reason in refused.value.errors[0].reason
        assert _count(session, UnitStatusChange) == 0 and _count(session, AuditEntry) == 0


def test_the_crews_phone_names_its_unit(sample_engine: Engine) -> None:
    with Session(sample_engine) as session:
        assert unit_for_endpoint(session, "unit-smg-03") == "119-smg-03"
        assert unit_for_endpoint(session, "pkm-kagok-op1") is None


def test_an_incident_from_a_call_takes_its_caller_place_and_arrival(sample_engine: Engine) -> None:
    now = datetime.now(UTC)
    with Session(sample_engine) as session, session.begin():
        _call(session, "siaga-1.1", now - timedelta(minutes=2))
        opened = open_incident(
            session,
            call_id="siaga-1.1",
            category="henti_jantung",
            priority="1",
            notes="tidak sadar",
            actor="op1",
            now=now,
            categories=CATEGORIES,
        )
    assert (opened.caller, opened.lat, opened.lon, opened.address) == (
        "0248000101",
        -6.9932,
        110.4203,
        "test house 1",
    )
    assert (opened.kabupaten, opened.area_code, opened.priority, opened.location_source) == (
        "33.74",
        "33.74.08",
        "merah",
        "directory",
    )
    assert opened.call_started_at == now - timedelta(minutes=2)
    with Session(sample_engine) as session, session.begin():
        with pytest.raises(InputError) as refused:
            open_incident(
                session,
                call_id="siaga-1.1",
                category="lainnya",
                priority="hijau",
                actor="op2",
                now=now,
                categories=CATEGORIES,
            )
        assert refused.value.errors == [
            FieldError("call_id", f"call siaga-1.1 already has incident {opened.id}")
        ]
        moved = update_incident(
            session, incident=str(opened.id), actor="op1", now=now, lat=-7.0, lon=110.41, address="RT 3"
        )
        assert (moved.lat, moved.address, moved.location_source) == (-7.0, "RT 3", "operator")


def test_bad_input_is_named_field_by_field_and_nothing_is_kept(sample_engine: Engine) -> None:
    with Session(sample_engine) as session, session.begin():
        with pytest.raises(InputError) as refused:
            open_incident(
                session,
                call_id="no-such-call",
                caller="08x",
                lat=95.0,
                lon=110.0,
                category="banjir",
                priority="biru",
                notes="a\x00b",
                actor="op",
                now=datetime.now(UTC),
                categories=CATEGORIES,
            )
        fields = [e.field for e in refused.value.errors]
        assert fields == ["category", "priority", "notes", "lat", "call_id", "caller"]
        assert _count(session, IncidentRow) == 0 and _count(session, AuditEntry) == 0
        with pytest.raises(NotFound):
            get_incident(session, "42")


def test_dispatch_refuses_a_unit_without_crew_busy_or_out_of_service(sample_engine: Engine) -> None:
    now = datetime.now(UTC)
    with Session(sample_engine) as session, session.begin():
        incident = open_incident(
            session,
            caller="081234567890",
            lat=-6.99,
            lon=110.42,
            category="kecelakaan",
            priority="merah",
            actor="op",
            now=now,
            categories=CATEGORIES,
        )
        for unit, reason in (
            ("119-smg-04", "no driver and medic on duty"),
            ("no-unit", "unknown unit"),
        ):
            with pytest.raises(InputError) as refused:
                dispatch_unit(session, incident=str(incident.id), unit=unit, actor="op", now=now)
            assert refused.value.errors[0].field == "unit" and reason in refused.value.errors[0].reason
        dispatch_unit(session, incident=str(incident.id), unit="119-smg-01", actor="op", now=now)
        with pytest.raises(InputError, match="busy \\(dispatched\\)"):
            dispatch_unit(session, incident=str(incident.id), unit="119-smg-01", actor="op", now=now)
        set_unit_status(session, unit="119-smg-03", status="out_of_service", source="cli", actor="t", now=now)
        with pytest.raises(InputError, match="out of service"):
            dispatch_unit(session, incident=str(incident.id), unit="119-smg-03", actor="op", now=now)
        with pytest.raises(InputError, match="still on incident"):
            close_incident(session, incident=incident.id, actor="op", now=now)
        assert _count(session, IncidentDispatchRow) == 1


def test_a_whole_run_stamps_the_incident_and_closes_it(sample_engine: Engine) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0)
    with Session(sample_engine) as session, session.begin():
        _call(session, "siaga-2.1", t0)
        incident = open_incident(
            session,
            call_id="siaga-2.1",
            category="persalinan",
            priority="kuning",
            actor="op",
            now=t0 + timedelta(seconds=30),
            categories=CATEGORIES,
        )
        sent = dispatch_unit(
            session, incident=str(incident.id), unit="119-smg-01", actor="op", now=t0 + timedelta(seconds=90)
        )
        assert sent.endpoint == "unit-smg-01" and "Insiden" in sent.announcement
        assert "persalinan" in sent.announcement and "0248000101" in sent.announcement
        for seconds, status in (
            (120, "en_route"),
            (600, "on_scene"),
            (900, "transporting"),
            (1500, "at_hospital"),
        ):
            change = set_unit_status(
                session,
                unit="119-smg-01",
                status=status,
                source="dtmf",
                actor="unit-smg-01",
                now=t0 + timedelta(seconds=seconds),
            )
            assert change.incident == incident.id
        assert get_incident(session, incident.id).is_open
        set_unit_status(
            session,
            unit="119-smg-01",
            status="returning",
            source="dtmf",
            actor="unit-smg-01",
            now=t0 + timedelta(seconds=1600),
        )
        set_unit_status(
            session,
            unit="119-smg-01",
            status="available",
            source="short_code",
            actor="unit-smg-01",
            now=t0 + timedelta(seconds=2400),
        )
        done = get_incident(session, incident.id)
        assert statuses(session)["119-smg-01"] == "available"
    assert done.intervals() == {
        "call_to_dispatch_s": 90.0,
        "dispatch_to_scene_s": 510.0,
        "scene_to_hospital_s": 900.0,
        "call_to_close_s": 1600.0,
    }
    assert done.close_reason == "unit 119-smg-01 returning"
    (run,) = done.dispatches
    assert (run.end_reason, run.ended_at, run.transporting_at) == (
        "completed",
        t0 + timedelta(seconds=2400),
        t0 + timedelta(seconds=900),
    )


def test_a_unit_stood_down_before_the_scene_leaves_the_incident_open(sample_engine: Engine) -> None:
    now = datetime.now(UTC)
    with Session(sample_engine) as session, session.begin():
        incident = open_incident(
            session,
            caller="081234567890",
            lat=-6.99,
            lon=110.42,
            category="sesak_napas",
            priority="2",
            actor="op",
            now=now,
            categories=CATEGORIES,
        )
        dispatch_unit(session, incident=str(incident.id), unit="119-smg-03", actor="op", now=now)
        set_unit_status(
            session, unit="119-smg-03", status="available", source="console", actor="sup", now=now
        )
        after = get_incident(session, incident.id)
        assert after.is_open and after.dispatches[0].end_reason == "stood down"
        assert after.dispatched_at is not None  # the first dispatch still counts for call → dispatch
        closed = close_incident(session, incident=incident.id, actor="op", now=now, reason="advice given")
        assert closed.close_reason == "advice given"
        with pytest.raises(InputError, match="is closed"):
            dispatch_unit(session, incident=str(incident.id), unit="119-smg-03", actor="op", now=now)
