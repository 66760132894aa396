"""The staffing page and `/api/staffing` on the sample region: the PSC 119 desk's calls of one Monday pagi
against this week's sample roster, who may see which desk, and bad input named by its field."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desks.config import is_desk
from kernel.db import make_engine
from kernel.settings import Settings
from lab.sample import week_start
from routing.records.model import CallRecord
from shifts.model import Assignment
from staffing.erlang import agents_needed
from tests.web.conftest import KOTA

DESK = "psc119-semarang"
WIB = ZoneInfo("Asia/Jakarta")
MONDAY = week_start(datetime.now(WIB).date())  # the sample roster covers this week


def rostered(settings: Settings, shift: str) -> int:
    with Session(make_engine(settings.db_url)) as session:
        query = select(func.count()).where(
            Assignment.facility_code == DESK, Assignment.shift_date == MONDAY, Assignment.shift == shift
        )
        return int(session.scalar(query) or 0)


@pytest.fixture
def calls(settings: Settings) -> Settings:
    """14 calls to the PSC 119 desk on Monday's pagi (2 an hour), each answered after 5 s and talked 300 s;
    and one call to no desk, which the table must leave out."""
    records = []
    for n in range(14):
        started = datetime.combine(MONDAY, time(7, 15), tzinfo=WIB) + timedelta(minutes=30 * n)
        utc = started.astimezone(UTC).replace(tzinfo=None)
        records.append(
            CallRecord(
                call_id=f"desk-{n}",
                started_at=utc,
                ended_at=utc + timedelta(seconds=305),
                outcome="answered",
                time_to_answer_s=5.0,
                desk=DESK,
            )
        )
    noon = datetime.combine(MONDAY, time(12), tzinfo=WIB).astimezone(UTC).replace(tzinfo=None)
    records.append(CallRecord(call_id="no-desk", started_at=noon, outcome="answered", time_to_answer_s=1.0))
    with Session(make_engine(settings.db_url)) as session, session.begin():
        session.add_all(records)
    return settings


def period(**extra: str) -> dict[str, str]:
    return {"from": MONDAY.isoformat(), "to": MONDAY.isoformat(), **extra}


def test_the_api_gives_need_beside_roster_per_shift(login, calls: Settings) -> None:  # type: ignore[no-untyped-def]
    answer = login("kota").get("/api/staffing", params=period(desk=DESK))
    assert answer.status_code == 200, answer.text
    (table,) = answer.json()["desks"]
    assert (table["desk"], table["from"], table["to"], table["calls"]) == (
        DESK,
        *[MONDAY.isoformat()] * 2,
        14,
    )
    rows = {r["shift"]: r for r in table["rows"]}
    assert list(rows) == ["pagi", "siang", "malam"] and {r["day"] for r in rows.values()} == {"Monday"}
    pagi = rows["pagi"]
    assert pagi["calls_per_hour"] == 2.0 and pagi["aht_s"] == 300.0
    assert pagi["erlangs"] == pytest.approx(2 * 300 / 3600, abs=1e-3)
    # One operator answers 84 % within 15 s at 1/6 Erlang and 300 s calls: 90 % needs two.
    assert pagi["needed"] == 2 == agents_needed(2 * 300 / 3600, 300, 15, 0.9)
    assert pagi["measured_service_level"] == 1.0
    assert pagi["rostered"] == rostered(calls, "pagi") > 0
    assert pagi["service_level_if_rostered"] > 0.9
    assert rows["siang"]["calls"] == 0 and rows["siang"]["needed"] == 0
    assert rows["siang"]["rostered"] == rostered(calls, "siang")


def test_the_page_lists_the_users_desks_with_their_tables(login, app: FastAPI, calls: Settings) -> None:  # type: ignore[no-untyped-def]
    page = login("kota").get("/staffing", params=period())
    assert page.status_code == 200, page.text
    places = app.state.services.places
    for desk in (f for f in places.facilities_in({KOTA}) if is_desk(f)):
        assert f'data-desk="{desk.code}"' in page.text
    assert 'href="/staffing" class="here"' in page.text and 'href="/staff" class="here"' not in page.text
    section = page.text.split(f'data-desk="{DESK}"')[1].split("</section>")[0]
    assert "14 panggilan" in section  # Indonesian by default: 14 calls
    pagi = section.split('data-shift="pagi"')[1].split("</tr>")[0]
    assert '<td class="needed">2</td>' in pagi and "<td>2,00</td>" in pagi  # 2.00 written the Indonesian way
    quiet = login("kota").get("/staffing", params={"from": "2020-01-06", "to": "2020-01-06", "desk": DESK})
    assert "tidak ada panggilan dalam periode ini" in quiet.text  # no calls in this period


def test_a_supervisor_sees_only_the_desks_of_their_kabupaten(login, calls: Settings) -> None:  # type: ignore[no-untyped-def]
    other = login("kabsmg")
    assert other.get("/api/staffing", params=period()).json() == {"desks": []}
    assert 'id="no-desks"' in other.get("/staffing", params=period()).text
    assert other.get("/api/staffing", params=period(desk=DESK)).status_code == 403
    everyone = {t["desk"] for t in login("viewer").get("/api/staffing", params=period()).json()["desks"]}
    assert DESK in everyone


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({"target": "90/15"}, "target", "must be between 0 and 1"),
        ({"target": "0.9"}, "target", "is not SHARE/SECONDS"),
        ({"from": "2026-11-15", "to": "2026-11-02"}, "from", "is after"),
        ({"desk": "pkm-kagok"}, "desk", "not a desk"),
        ({"desk": "psc119-nowhere"}, "desk", "no facility"),
        ({"from": "yesterday"}, "from", ""),
    ],
)
def test_bad_input_is_named(login, params: dict[str, str], field: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    answer = kota.get("/api/staffing", params=params)
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["field"] == field and reason in error["reason"]
    assert kota.get("/staffing", params=params).status_code == 422


def test_logged_out_is_asked_to_log_in(app: FastAPI) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        assert client.get("/api/staffing").status_code == 401
        page = client.get("/staffing", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=/staffing")
