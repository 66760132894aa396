"""The public bed board (`/beds`, no login) and the hospitals' own writes (`PUT /api/beds/{hospital}/
{bed_class}` with a token for that hospital only)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dispatch.model import BedReportRow, BedToken
from dispatch.store import add_token
from kernel.settings import Settings
from web.app import build_services, create_app
from web.beds.services import MAX_BODY, BedsService, TokenThrottle


@pytest.fixture
def client(sample_settings: Settings) -> Iterator[TestClient]:
    services = build_services(sample_settings)
    services = dataclasses.replace(services, beds=BedsService(TokenThrottle(limit=3)))
    with TestClient(create_app(sample_settings, services)) as test_client:
        yield test_client
    services.engine.dispose()


def _token(engine: Engine, hospital: str) -> str:
    with Session(engine) as session, session.begin():
        return add_token(session, hospital, "test", datetime.now(UTC))[1]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_board_needs_no_login_and_marks_stale_counts(client: TestClient) -> None:
    page = client.get("/beds", follow_redirects=False)
    assert page.status_code == 200
    assert "RSUP Dr. Kariadi" in page.text and "RSUD K.R.M.T. Wongsonegoro" in page.text
    assert page.text.count('class="stale-flag"') == 1, "the sample's ponek count at Wongsonegoro is old"
    data = client.get("/api/beds").json()
    assert data["kabupaten"] == "33.74" and data["stale_after_hours"] == 6.0
    beds = {(h["hospital"], b["bed_class"]): b for h in data["hospitals"] for b in h["beds"]}
    assert beds[("rsud-wongsonegoro", "ponek")]["stale"] is True
    assert beds[("rsup-kariadi", "igd")] | {"updated_at": None} == {
        "hospital": "rsup-kariadi",
        "bed_class": "igd",
        "total": 40,
        "occupied": 33,
        "waiting": 2,
        "free": 7,
        "updated_at": None,
        "stale": False,
    }
    assert client.get("/beds?kabupaten=99.99").status_code == 404


def test_a_token_writes_its_own_hospital_only(client: TestClient, sample_engine: Engine) -> None:
    token = _token(sample_engine, "rsup-kariadi")
    body = {"total": 40, "occupied": 12, "waiting": 1}

    missing = client.put("/api/beds/rsup-kariadi/igd", json=body)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert (
        client.put("/api/beds/rsup-kariadi/igd", json=body, headers=_auth("not-a-token")).status_code == 401
    )
    other = client.put("/api/beds/rsud-wongsonegoro/igd", json=body, headers=_auth(token))
    assert other.status_code == 403
    assert "rsup-kariadi only" in other.json()["errors"][0]["reason"]

    done = client.put("/api/beds/rsup-kariadi/igd", json=body, headers=_auth(token))
    assert done.status_code == 200, done.text
    assert done.json()["free"] == 28 and done.json()["stale"] is False
    with Session(sample_engine) as session:
        row = session.get(BedReportRow, ("rsup-kariadi", "igd"))
        assert row is not None and row.occupied == 12 and row.source.startswith("token:")
        other_row = session.get(BedReportRow, ("rsud-wongsonegoro", "igd"))
        assert other_row is not None and other_row.occupied == 25, "the other hospital's count is untouched"


def test_bad_counts_are_refused_field_by_field_and_nothing_is_written(
    client: TestClient, sample_engine: Engine
) -> None:
    token = _token(sample_engine, "rsup-kariadi")
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    answer = client.put(
        "/api/beds/rsup-kariadi/igd",
        json={"total": 10, "occupied": 11, "waiting": -1, "updated_at": future},
        headers=_auth(token),
    )
    assert answer.status_code == 422
    fields = [e["field"] for e in answer.json()["errors"]]
    assert fields == ["waiting", "occupied", "updated_at"]
    assert client.put(
        "/api/beds/rsup-kariadi/vip", json={"total": 1, "occupied": 0}, headers=_auth(token)
    ).json() == {
        "errors": [
            {
                "field": "bed_class",
                "reason": "'vip' is not one of igd, icu, picu, nicu, ponek, isolation, ward",
            }
        ]
    }
    no_offset = client.put(
        "/api/beds/rsup-kariadi/igd",
        json={"total": 10, "occupied": 1, "updated_at": "2026-11-30T09:00"},
        headers=_auth(token),
    )
    assert no_offset.status_code == 422 and "no UTC offset" in no_offset.text
    big = client.put(
        "/api/beds/rsup-kariadi/igd",
        content=b" " * (MAX_BODY + 1),
        headers=_auth(token) | {"Content-Type": "application/json"},
    )
    assert big.status_code == 413
    with Session(sample_engine) as session:
        row = session.get(BedReportRow, ("rsup-kariadi", "igd"))
        assert row is not None and row.occupied == 33, "the sample's count is unchanged"


def test_unknown_tokens_from_one_address_are_throttled(client: TestClient, sample_engine: Engine) -> None:
    token = _token(sample_engine, "rsup-kariadi")
    body = {"total": 40, "occupied": 12}
    for _ in range(3):
        assert client.put("/api/beds/rsup-kariadi/igd", json=body, headers=_auth("guess")).status_code == 401
    refused = client.put("/api/beds/rsup-kariadi/igd", json=body, headers=_auth(token))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_only_the_token_s_hash_is_stored(sample_engine: Engine) -> None:
    token = _token(sample_engine, "rsup-kariadi")
    with Session(sample_engine) as session:
        stored = list(session.scalars(select(BedToken)))
    assert len(stored) == 1 and stored[0].hospital == "rsup-kariadi"
    assert token not in stored[0].token_sha256 and len(stored[0].token_sha256) == 64
