"""Roster operations over `/api/rosters`: each works, each is audited, and bad input names the field and
the reason and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.web.conftest import ApiUser

WEEK = date.today() - timedelta(days=date.today().weekday()) + timedelta(days=21)  # a Monday, empty
FACILITY = "pkm-gayamsari"
OP1, OP2, OP3 = (f"{FACILITY}-op{n}" for n in (1, 2, 3))


def _week(user: ApiUser, week: date = WEEK, facility: str = FACILITY) -> list[dict]:
    answer = user.get("/api/rosters", params={"facility_code": facility, "week": week.isoformat()})
    assert answer.status_code == 200, answer.text
    return answer.json()["assignments"]


def _audit(user: ApiUser) -> list[dict]:
    return user.get("/api/audit").json()["entries"]


def _add(user: ApiUser, staff: str = OP1, day: date = WEEK, shift: str = "malam") -> dict:
    answer = user.post(
        "/api/rosters/assignments",
        json={"facility_code": FACILITY, "staff_id": staff, "date": day.isoformat(), "shift": shift},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        (
            {"facility_code": "pkm-nowhere", "staff_id": OP1, "date": "2030-01-07", "shift": "pagi"},
            "facility_code",
            "unknown facility",
        ),
        (
            {"facility_code": FACILITY, "staff_id": "nobody-here", "date": "2030-01-07", "shift": "pagi"},
            "staff_id",
            "unknown staff",
        ),
        (
            {"facility_code": FACILITY, "staff_id": OP1, "date": "2030-02-30", "shift": "pagi"},
            "date",
            "valid date",
        ),
        (
            {"facility_code": FACILITY, "staff_id": OP1, "date": "2030-01-07", "shift": "sore"},
            "shift",
            "sore",
        ),
        ({"facility_code": FACILITY, "staff_id": OP1}, "shift", "give date and shift"),
        (
            {
                "facility_code": FACILITY,
                "staff_id": OP1,
                "start": "2030-01-07T08:00",
                "end": "2030-01-07T16:00+07:00",
            },
            "start",
            "timezone",
        ),
        (
            {"facility_code": FACILITY, "staff_id": OP1, "date": "2030-01-07", "shift": "pagi", "extra": 1},
            "extra",
            "Extra inputs",
        ),
        (
            {"facility_code": "", "staff_id": OP1, "date": "2030-01-07", "shift": "pagi"},
            "facility_code",
            "at least 1",
        ),
    ],
)
def test_bad_assignment_names_field_and_reason_and_changes_nothing(login, body, field, reason) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    before, audit_before = _week(admin, date(2030, 1, 7)), _audit(admin)
    answer = admin.post("/api/rosters/assignments", json=body)
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert any(e["field"] == field and reason in e["reason"] for e in errors), errors
    assert _week(admin, date(2030, 1, 7)) == before
    assert _audit(admin) == audit_before


def test_add_remove_and_a_double_booking_is_refused(login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    slot = _add(admin)
    assert slot["start"].endswith("+07:00") and slot["shift"] == "malam"
    clash = admin.post(
        "/api/rosters/assignments",
        json={
            "facility_code": "pkm-halmahera",
            "staff_id": OP1,
            "start": f"{WEEK}T23:00+07:00",
            "end": f"{WEEK + timedelta(days=1)}T05:00+07:00",
        },
    )
    assert clash.status_code == 422
    assert "already on duty" in clash.json()["errors"][0]["reason"]
    assert [a["id"] for a in _week(admin)] == [slot["id"]]
    removed = admin.delete(f"/api/rosters/assignments/{slot['id']}")
    assert removed.status_code == 200 and removed.json()["removed"]["staff_id"] == OP1
    assert _week(admin) == []
    assert admin.delete(f"/api/rosters/assignments/{slot['id']}").status_code == 404
    actions = [e["action"] for e in _audit(admin)]
    assert actions[:2] == ["remove", "add"]
    entry = _audit(admin)[0]
    assert entry["user_name"] == "admin" and entry["before"]["staff_id"] == OP1 and entry["after"] is None


def test_swap_hands_the_shift_to_someone_else(login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    slot = _add(admin, OP1)
    answer = admin.post(f"/api/rosters/assignments/{slot['id']}/swap", json={"staff_id": OP2})
    assert answer.status_code == 200, answer.text
    names = {
        s["staff_id"]: s["name"]
        for s in admin.get("/api/staff", params={"facility_code": FACILITY}).json()["staff"]
    }
    assert answer.json()["covered_by"] == names[OP2]
    (shown,) = _week(admin)
    assert shown["staff_id"] == OP1 and shown["covered_by"] == names[OP2]
    # Coverage at that night names the replacement, not the planner's choice.
    at = datetime.fromisoformat(slot["start"]) + timedelta(hours=2)
    cover = admin.get("/api/coverage", params={"kabupaten": "33.74", "at": at.isoformat()}).json()
    on = next(f for f in cover["facilities"] if f["code"] == FACILITY)["on_duty"]
    assert [d["staff_id"] for d in on] == [OP2]
    same = admin.post(f"/api/rosters/assignments/{slot['id']}/swap", json={"staff_id": OP1})
    assert same.status_code == 422 and same.json()["errors"][0]["field"] == "staff_id"
    assert _audit(admin)[0]["action"] == "swap"


def test_copy_week_and_rotation_fill_the_roster(login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    _add(admin, OP1, WEEK, "pagi")
    _add(admin, OP2, WEEK + timedelta(days=2), "malam")
    copied = admin.post(
        "/api/rosters/copy-week",
        json={
            "facility_code": FACILITY,
            "from_week": WEEK.isoformat(),
            "to_week": (WEEK + timedelta(days=7)).isoformat(),
        },
    )
    assert copied.status_code == 200 and copied.json()["written"] == 2
    moved = sorted((a["staff_id"], a["date"], a["shift"]) for a in _week(admin, WEEK + timedelta(days=7)))
    assert moved == [
        (OP1, str(WEEK + timedelta(days=7)), "pagi"),
        (OP2, str(WEEK + timedelta(days=9)), "malam"),
    ]

    month = WEEK + timedelta(days=40)
    rotation = admin.post(
        "/api/rosters/rotation",
        json={"facility_code": FACILITY, "month": f"{month:%Y-%m}", "staff_ids": [OP1, OP2, OP3]},
    )
    assert rotation.status_code == 200, rotation.text
    first = month.replace(day=1)
    days = ((first + timedelta(days=32)).replace(day=1) - first).days
    assert rotation.json()["written"] + rotation.json()["unfilled"] == 3 * days
    week = _week(admin, first + timedelta(days=7))
    by_day: dict[str, set[str]] = {}
    for a in week:
        by_day.setdefault(a["date"], set()).add(a["shift"])
    assert all(shifts == {"pagi", "siang", "malam"} for shifts in by_day.values()), by_day

    bad = admin.post("/api/rosters/rotation", json={"facility_code": FACILITY, "month": "2030-13"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "month"
    same = admin.post(
        "/api/rosters/copy-week",
        json={"facility_code": FACILITY, "from_week": WEEK.isoformat(), "to_week": WEEK.isoformat()},
    )
    assert same.status_code == 422 and same.json()["errors"][0]["field"] == "to_week"


def test_csv_import_lists_every_bad_line_and_is_all_or_nothing(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    before = _week(kota)
    text = (
        "facility_code,staff_id,date,shift\n"
        f"{FACILITY},{OP1},{WEEK},pagi\n"
        f"{FACILITY},{OP2},{WEEK},noon\n"
        f"pkm-ungaran,pkm-ungaran-op1,{WEEK},pagi\n"
        f"{FACILITY},{OP3},not-a-date,pagi\n"
    )
    answer = kota.post("/api/rosters/import", content=text.encode(), headers={"Content-Type": "text/csv"})
    assert answer.status_code == 422
    lines = {e["line"]: e["field"] for e in answer.json()["errors"]}
    assert lines == {3: "shift", 4: "facility_code", 5: "date"}
    assert _week(kota) == before

    good = f"facility_code,staff_id,date,shift\n{FACILITY},{OP1},{WEEK},pagi\n{FACILITY},{OP2},{WEEK},siang\n"
    answer = kota.post("/api/rosters/import", content=good.encode(), headers={"Content-Type": "text/csv"})
    assert answer.status_code == 200 and answer.json() == {"imported": 2}
    again = kota.post("/api/rosters/import", content=good.encode(), headers={"Content-Type": "text/csv"})
    assert again.status_code == 422 and "replace" in again.json()["errors"][0]["reason"]
    replaced = kota.post(
        "/api/rosters/import?replace=true", content=good.encode(), headers={"Content-Type": "text/csv"}
    )
    assert replaced.status_code == 200
    assert len(_week(kota)) == 2

    latin1 = "facility_code,staff_id,date,shift\nSuryadi,é\n".encode("latin-1")
    answer = kota.post("/api/rosters/import", content=latin1, headers={"Content-Type": "text/csv"})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "file"


def test_export_reimports_to_the_same_roster(login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    _add(admin, OP1, WEEK, "pagi")
    custom = admin.post(
        "/api/rosters/assignments",
        json={
            "facility_code": FACILITY,
            "staff_id": OP3,
            "start": f"{WEEK}T10:00+07:00",
            "end": f"{WEEK}T16:00+07:00",
        },
    )
    assert custom.status_code == 201, custom.text
    params = {
        "facility_code": FACILITY,
        "from": WEEK.isoformat(),
        "to": (WEEK + timedelta(days=7)).isoformat(),
    }
    exported = admin.get("/api/rosters/export", params=params)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    before = sorted((a["staff_id"], a["start"], a["end"]) for a in _week(admin))
    assert len(before) == 2
    answer = admin.post(
        "/api/rosters/import?replace=true", content=exported.content, headers={"Content-Type": "text/csv"}
    )
    assert answer.status_code == 200, answer.text
    assert sorted((a["staff_id"], a["start"], a["end"]) for a in _week(admin)) == before
    too_long = admin.get("/api/rosters/export", params={**params, "to": "2099-01-01"})
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "to"


def test_coverage_api_shows_gaps_and_checks_its_input(login) -> None:  # type: ignore[no-untyped-def]
    viewer = login("viewer")
    now = viewer.get("/api/coverage", params={"kabupaten": "33.74"}).json()
    assert "pkm-kagok" in now["gaps"]  # off this week in the sample
    assert any(g["scope"] == "facility" and g["code"] == "pkm-kagok" for g in now["gaps_ahead"])
    assert next(k for k in now["kecamatan"] if k["code"] == "33.74.08")["status"] in ("gap", "partial")
    far = viewer.get("/api/coverage", params={"date": "2030-01-01", "shift": "malam"}).json()
    assert far["summary"]["staffed"] == 0 and datetime.fromisoformat(far["at"]).astimezone(UTC).hour == 19
    for params, field in (
        ({"at": "yesterday"}, "at"),
        ({"date": "2030-01-01", "shift": "sore"}, "shift"),
        ({"shift": "pagi"}, "date"),
        ({"kabupaten": "99.99"}, "kabupaten"),
    ):
        answer = viewer.get("/api/coverage", params=params)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, answer.text


def test_staff_edit_checks_fields_and_is_audited(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    bad = kota.patch(f"/api/staff/{OP1}", json={"role": "astronaut", "endpoint": "bad endpoint!"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"role", "endpoint"}
    taken = kota.patch(f"/api/staff/{OP1}", json={"endpoint": OP2})
    assert taken.status_code == 422 and "already belongs" in taken.json()["errors"][0]["reason"]
    ok = kota.patch(f"/api/staff/{OP1}", json={"name": "Dewi Lestari", "role": "nurse"})
    assert ok.status_code == 200 and ok.json()["role"] == "nurse"
    staff = {
        s["staff_id"]: s for s in kota.get("/api/staff", params={"facility_code": FACILITY}).json()["staff"]
    }
    assert staff[OP1]["name"] == "Dewi Lestari" and staff[OP1]["registered"] is None
    entry = _audit(kota)[0]
    assert (
        entry["action"] == "staff-edit"
        and entry["before"]["role"] == "operator"
        and entry["after"]["role"] == "nurse"
    )
    added = kota.post(
        "/api/staff",
        json={
            "staff_id": "pkm-gayamsari-op9",
            "name": "Rina",
            "role": "nurse",
            "endpoint": "pkm-gayamsari-op9",
            "facility_code": FACILITY,
        },
    )
    assert added.status_code == 201, added.text
    moved = kota.patch("/api/staff/pkm-gayamsari-op9", json={"facility_code": "pkm-ungaran"})
    assert moved.status_code == 403


def test_openapi_lists_the_api(login) -> None:  # type: ignore[no-untyped-def]
    spec = login("viewer").get("/openapi.json").json()
    for path in (
        "/api/rosters",
        "/api/rosters/assignments",
        "/api/facilities",
        "/api/staff",
        "/api/coverage",
        "/api/rosters/import",
    ):
        assert path in spec["paths"], path
    assert "/roster" not in spec["paths"]
