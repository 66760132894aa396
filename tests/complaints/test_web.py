"""The complaints desk over HTTP: officers' API with the console's access rules, the public form (throttle,
size limit, escaping) and the public pages without personal data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from complaints.model import ComplaintRow
from complaints.numbers import new_number
from complaints.service import open_complaint, rules_from_settings
from kernel.db import make_engine
from kernel.settings import Settings
from tests.web.conftest import ApiUser
from web.complaints.services import FORM_LIMIT, MAX_FORM_BYTES

SCRIPT = "<script>alert(1)</script> antre lama"
PHONE = "081299887766"


def _count(settings: Settings) -> int:
    with Session(make_engine(settings.db_url)) as session:
        return int(session.scalar(select(func.count()).select_from(ComplaintRow)) or 0)


def _token(client: TestClient) -> str:
    page = client.get("/aduan")
    assert page.status_code == 200
    return page.text.split('name="form_token" value="')[1].split('"')[0]


def _submit(client: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    data = {"category": "pelayanan", "text": SCRIPT, "facility": "pkm-kagok", "phone": PHONE, **fields}
    data.setdefault("form_token", _token(client))
    return client.post("/aduan", data=data, follow_redirects=False)


def test_public_form_page_and_api_show_no_personal_data(app: FastAPI) -> None:
    client = TestClient(app)
    answer = _submit(client)
    assert answer.status_code == 303, answer.text
    number = answer.headers["location"].split("/")[-1].split("?")[0]
    page = client.get(f"/aduan/{number}?baru=1")
    assert page.status_code == 200 and number in page.text
    for secret in (PHONE, "<script>", "antre lama"):
        assert secret not in page.text
    data = client.get(f"/api/public/complaints/{number}").json()
    assert data["number"] == number and data["status"] == "received" and data["first_response_s"] is None
    assert PHONE not in str(data) and "script" not in str(data)
    assert [s["status"] for s in data["history"]] == ["received"]


def test_bad_numbers_and_throttle_of_lookups(app: FastAPI) -> None:
    client = TestClient(app)
    good = new_number(4242)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    answer = client.get(f"/api/public/complaints/{bad}")
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "number"
    assert client.get(f"/api/public/complaints/{good}").status_code == 404
    codes = [client.get(f"/api/public/complaints/{good}").status_code for _ in range(40)]
    assert codes[-1] == 429 and 404 in codes  # wrong numbers from one address are throttled


def test_public_form_refuses_bad_input_and_floods(app: FastAPI, settings: Settings) -> None:
    client = TestClient(app)
    forged = _submit(client, form_token="not-the-cookie")
    assert forged.status_code == 403  # a post from another site cannot know the cookie's token
    empty = _submit(client, text="  ", category="jamu")
    assert empty.status_code == 422 and "text" in empty.text and "category" in empty.text
    big = _submit(client, text="x" * (MAX_FORM_BYTES + 10))
    assert big.status_code == 413
    assert _count(settings) == 0  # nothing half-written
    codes = [_submit(client).status_code for _ in range(FORM_LIMIT + 2)]
    assert codes[:FORM_LIMIT] == [303] * FORM_LIMIT and codes[-1] == 429
    assert _count(settings) == FORM_LIMIT


def test_officers_api_with_access_rules(login: Callable[[str], ApiUser], settings: Settings) -> None:
    kota = login("kota")
    made = kota.post(
        "/api/complaints", json={"caller": PHONE, "category": "obat", "text": SCRIPT, "facility": "pkm-kagok"}
    )
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    assert made.json()["desk"] == "33.74"
    other = login("kabsmg")
    assert other.get(f"/api/complaints/{number}").status_code == 403
    assert number not in str(other.get("/api/complaints").json())
    assert (
        login("viewer")
        .post(f"/api/complaints/{number}/status", json={"status": "verified", "note": "x"})
        .status_code
        == 403
    )
    skip = kota.post(f"/api/complaints/{number}/status", json={"status": "done", "note": "selesai"})
    assert skip.status_code == 422 and skip.json()["errors"][0]["field"] == "status"
    ok = kota.post(
        f"/api/complaints/{number}/status", json={"status": "verified", "note": "Dicek", "public": True}
    )
    assert ok.status_code == 200 and ok.json()["first_response_s"] is not None
    listed = kota.get("/api/complaints", params={"overdue": "true", "at": "2099-01-01T00:00:00+07:00"}).json()
    assert [c["number"] for c in listed["complaints"]] == [number]
    assert kota.post(f"/api/complaints/{number}/assign", json={"facility": "pkm-ungaran"}).status_code == 403
    review = kota.get("/api/complaints/review").json()
    assert review["desks"][0]["desk"] == "33.74"
    public = TestClient(kota.client.app).get(f"/api/public/complaints/{number}").json()  # type: ignore[arg-type]
    assert (
        public["history"][1]["note"] == "Dicek"
        and public["first_response_s"] == ok.json()["first_response_s"]
    )


def test_console_page_escapes_text_and_recording_needs_login(
    login: Callable[[str], ApiUser],
    settings: Settings,
    app: FastAPI,
) -> None:
    recordings = settings.complaint_recordings_path
    recordings.mkdir(parents=True)
    (recordings / "call-1.wav").write_bytes(b"RIFF....WAVEfmt ")
    with Session(make_engine(settings.db_url)) as session, session.begin():
        number = open_complaint(
            session,
            caller=PHONE,
            category="obat",
            text=SCRIPT,
            facility="pkm-kagok",
            channel="phone",
            recording=str(recordings / "call-1.wav"),
            now=datetime.now(UTC),
            rules=rules_from_settings(settings),
        )
    kota = login("kota")
    page = kota.get(f"/complaints/{number}")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert(1)" not in page.text
    audio = kota.get(f"/complaints/{number}/recording")
    assert audio.status_code == 200 and audio.content.startswith(b"RIFF")
    anonymous = TestClient(app).get(f"/complaints/{number}/recording", follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    listing = kota.get("/complaints")
    assert number in listing.text and "complaints-review" in listing.text
    assert "/aduan" in TestClient(app).get("/aduan").text
