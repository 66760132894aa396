"""Access rules over the API: who may read and edit what, CSRF on every state-changing call, sessions."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.web.conftest import OTHER_FACILITY, OTHER_KABUPATEN, OTHER_STAFF, PASSWORDS, ApiUser
from web.app import FEATURES

NEXT_MONDAY = date.today() - timedelta(days=date.today().weekday()) + timedelta(days=14)


def _shift(facility: str, staff: str, day: date = NEXT_MONDAY, shift: str = "pagi") -> dict[str, str]:
    return {"facility_code": facility, "staff_id": staff, "date": day.isoformat(), "shift": shift}


def _assignments(user: ApiUser, facility: str, week: date = NEXT_MONDAY) -> list[dict]:
    answer = user.get("/api/rosters", params={"facility_code": facility, "week": week.isoformat()})
    assert answer.status_code == 200, answer.text
    return answer.json()["assignments"]


def test_pages_and_api_need_a_login(app: FastAPI) -> None:
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/coverage").status_code == 401
        page = anonymous.get("/roster", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert (
            anonymous.post("/api/login", json={"name": "kota", "password": "wrong-password"}).status_code
            == 422
        )


def test_supervisor_gets_403_on_another_kabupatens_data(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    assert kota.get("/api/rosters", params={"facility_code": OTHER_FACILITY}).status_code == 403
    assert kota.get("/api/coverage", params={"kabupaten": OTHER_KABUPATEN}).status_code == 403
    assert kota.get("/api/staff", params={"facility_code": OTHER_FACILITY}).status_code == 403
    refused = kota.post("/api/rosters/assignments", json=_shift(OTHER_FACILITY, OTHER_STAFF))
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["field"] == "access"
    assert kota.patch(f"/api/staff/{OTHER_STAFF}", json={"name": "Someone Else"}).status_code == 403
    # Lists leave the other kabupaten out instead of refusing.
    facilities = {f["code"] for f in kota.get("/api/facilities").json()["facilities"]}
    assert OTHER_FACILITY not in facilities and "pkm-gayamsari" in facilities
    staff = {s["staff_id"] for s in kota.get("/api/staff").json()["staff"]}
    assert OTHER_STAFF not in staff
    # Nothing changed for the supervisor who does hold that kabupaten.
    kab = login("kabsmg")
    assert _assignments(kab, OTHER_FACILITY) == []
    assert (
        kab.get("/api/staff", params={"facility_code": OTHER_FACILITY}).json()["staff"][0]["name"]
        == "Wulan Sari"
    )
    added = kab.post("/api/rosters/assignments", json=_shift(OTHER_FACILITY, OTHER_STAFF))
    assert added.status_code == 201, added.text


def test_viewer_reads_everything_and_changes_nothing(login) -> None:  # type: ignore[no-untyped-def]
    viewer = login("viewer")
    assert viewer.get("/api/coverage", params={"kabupaten": OTHER_KABUPATEN}).status_code == 200
    before = _assignments(viewer, "pkm-gayamsari")
    assert (
        viewer.post("/api/rosters/assignments", json=_shift("pkm-gayamsari", "pkm-gayamsari-op1")).status_code
        == 403
    )
    refused = viewer.post(
        "/api/rosters/import",
        content=b"facility_code,staff_id,date,shift\n",
        headers={"Content-Type": "text/csv"},
    )
    assert refused.status_code == 403
    assert _assignments(viewer, "pkm-gayamsari") == before


def test_state_changing_calls_without_the_csrf_token_are_refused(login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    before = _assignments(admin, "pkm-gayamsari")
    bare = admin.client
    assert (
        bare.post("/api/rosters/assignments", json=_shift("pkm-gayamsari", "pkm-gayamsari-op1")).status_code
        == 403
    )
    wrong = bare.post(
        "/api/rosters/assignments",
        json=_shift("pkm-gayamsari", "pkm-gayamsari-op1"),
        headers={"X-CSRF-Token": "forged"},
    )
    assert wrong.status_code == 403
    assert "CSRF" in wrong.json()["errors"][0]["reason"]
    # A form post (as another site would forge it) without the token is refused too.
    form = bare.post(
        "/roster/copy-week",
        data={"facility_code": "pkm-gayamsari", "from_week": "2030-01-07", "to_week": "2030-01-14"},
    )
    assert form.status_code == 403
    assert _assignments(admin, "pkm-gayamsari") == before
    # With the token the same call works.
    assert (
        admin.post("/api/rosters/assignments", json=_shift("pkm-gayamsari", "pkm-gayamsari-op1")).status_code
        == 201
    )


def test_every_state_changing_route_checks_the_csrf_token(app: FastAPI, login) -> None:  # type: ignore[no-untyped-def]
    """Walks the app's own route table, so a route added later without the check fails here."""
    admin = login("admin")
    # A hospital's bed count is written with its bearer token, never the session cookie: a forged
    # cross-site request has no token to ride on (tests/dispatch/test_beds_web.py checks 401/403 there).
    exempt = {"/login", "/api/login", "/api/beds/{hospital}/{bed_class}"}
    checked = 0
    routes = [
        (prefix + route.path, route.methods)
        for module in FEATURES
        for router, prefix in ((module.pages, ""), (module.api, "/api"))
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
    for template, methods in routes:
        if template in exempt:
            continue
        for method in methods - {"GET", "HEAD"}:
            path = template.replace("{assignment_id}", "1").replace("{staff_id}", "pkm-gayamsari-op1")
            answer = admin.client.request(method, path, json={})
            assert answer.status_code == 403, (
                f"{method} {template} answered {answer.status_code} without a token"
            )
            checked += 1
    assert checked >= 10


def test_logout_ends_the_session(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    assert kota.get("/api/me").json()["name"] == "kota"
    assert kota.post("/api/logout").status_code == 204
    assert kota.client.get("/api/me").status_code == 401


def test_login_form_refuses_a_post_without_its_own_token(app: FastAPI) -> None:
    with TestClient(app) as client:
        answer = client.post(
            "/login", data={"name": "kota", "password": PASSWORDS["kota"]}, follow_redirects=False
        )
        assert answer.status_code == 200  # the form again, no session
        assert "siaga_session" not in answer.cookies
        assert client.get("/api/me").status_code == 401
