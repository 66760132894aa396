"""Issue 17: a supervisor writes only their own kabupaten's roster and staff, whatever the CSV looks like,
and every staff change an import makes is in the audit log."""

from __future__ import annotations

from datetime import date, timedelta

from tests.web.conftest import OTHER_FACILITY, OTHER_STAFF, ApiUser

MONDAY = date.today() - timedelta(days=date.today().weekday()) + timedelta(days=28)  # empty weeks
OWN_FACILITY = "pkm-gayamsari"
OWN_STAFF = "pkm-gayamsari-op1"


def _import(user: ApiUser, text: str, replace: bool = False):  # type: ignore[no-untyped-def]
    return user.post(
        "/api/rosters/import",
        content=text.encode(),
        params={"replace": "true"} if replace else {},
        headers={"Content-Type": "text/csv"},
    )


def _week(user: ApiUser, facility: str) -> list[dict]:
    answer = user.get("/api/rosters", params={"facility_code": facility, "week": MONDAY.isoformat()})
    assert answer.status_code == 200, answer.text
    return answer.json()["assignments"]


def _staff(user: ApiUser, facility: str, staff_id: str) -> dict:
    found = user.get("/api/staff", params={"facility_code": facility}).json()["staff"]
    return next(s for s in found if s["staff_id"] == staff_id)


def test_a_header_with_a_trailing_space_does_not_slip_past_the_scope_check(login) -> None:  # type: ignore[no-untyped-def]
    kota, kab = login("kota"), login("kabsmg")
    text = f"facility_code ,staff_id,date,shift\n{OTHER_FACILITY},{OTHER_STAFF},{MONDAY},pagi\n"
    refused = _import(kota, text)
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert error["field"] == "facility_code" and error["line"] == 2
    assert "not in your kabupaten" in error["reason"] and "Kabupaten Semarang" in error["reason"]
    assert _week(kab, OTHER_FACILITY) == []


def test_a_repeated_column_does_not_slip_past_the_scope_check(login) -> None:  # type: ignore[no-untyped-def]
    kota, kab = login("kota"), login("kabsmg")
    text = (
        "facility_code,staff_id,date,shift,facility_code\n"
        f"{OTHER_FACILITY},{OTHER_STAFF},{MONDAY},pagi,{OWN_FACILITY}\n"
    )
    refused = _import(kota, text)
    assert refused.status_code == 422, refused.text
    assert any("facility_code" in e["reason"] and "twice" in e["reason"] for e in refused.json()["errors"])
    assert _week(kab, OTHER_FACILITY) == []


def test_an_import_cannot_rewrite_staff_of_another_kabupaten(login) -> None:  # type: ignore[no-untyped-def]
    kota, kab = login("kota"), login("kabsmg")
    before = _staff(kab, OTHER_FACILITY, OTHER_STAFF)
    text = (
        "facility_code,staff_id,date,shift,staff_name,role,endpoint\n"
        f"{OWN_FACILITY},{OTHER_STAFF},{MONDAY},pagi,Taken Over,operator,hijacked-phone\n"
    )
    refused = _import(kota, text)
    assert refused.status_code == 422, refused.text
    reasons = " ".join(e["reason"] for e in refused.json()["errors"])
    assert OTHER_STAFF in reasons and "Kabupaten Semarang" in reasons
    assert _staff(kab, OTHER_FACILITY, OTHER_STAFF) == before


def test_staff_changes_made_by_an_import_are_audited(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    old = _staff(kota, OWN_FACILITY, OWN_STAFF)
    text = (
        "facility_code,staff_id,date,shift,staff_name,role,endpoint\n"
        f"{OWN_FACILITY},{OWN_STAFF},{MONDAY},pagi,Nama Baru,{old['role']},{old['endpoint']}\n"
        f"{OWN_FACILITY},pkm-gayamsari-op9,{MONDAY},siang,Orang Baru,operator,pkm-gayamsari-op9\n"
    )
    answer = _import(kota, text)
    assert answer.status_code == 200, answer.text
    entries = [e for e in kota.get("/api/audit").json()["entries"] if e["action"] == "import-staff"]
    assert len(entries) == 1, entries
    entry = entries[0]
    assert entry["user_name"] == "kota" and entry["facility_code"] == OWN_FACILITY
    assert {"staff_id": OWN_STAFF, "name": old["name"]}.items() <= entry["before"][0].items()
    after = {s["staff_id"]: s for s in entry["after"]}
    assert after[OWN_STAFF]["name"] == "Nama Baru" and after["pkm-gayamsari-op9"]["name"] == "Orang Baru"
    assert "1 changed" in entry["summary"] and "1 new" in entry["summary"]


def test_add_swap_and_rotation_refuse_staff_of_another_kabupaten(login) -> None:  # type: ignore[no-untyped-def]
    for who in ("kota", "admin"):  # staff work in their own kabupaten, whoever plans the shift
        user = login(who)
        added = user.post(
            "/api/rosters/assignments",
            json={
                "facility_code": OWN_FACILITY,
                "staff_id": OTHER_STAFF,
                "date": MONDAY.isoformat(),
                "shift": "pagi",
            },
        )
        assert added.status_code == 422, added.text
        reason = added.json()["errors"][0]["reason"]
        assert OTHER_STAFF in reason and "Kabupaten Semarang" in reason and "33.22" in reason

    kota = login("kota")
    own = kota.post(
        "/api/rosters/assignments",
        json={
            "facility_code": OWN_FACILITY,
            "staff_id": OWN_STAFF,
            "date": MONDAY.isoformat(),
            "shift": "pagi",
        },
    )
    assert own.status_code == 201, own.text
    swapped = kota.post(f"/api/rosters/assignments/{own.json()['id']}/swap", json={"staff_id": OTHER_STAFF})
    assert swapped.status_code == 422, swapped.text
    reason = swapped.json()["errors"][0]["reason"]
    assert OTHER_STAFF in reason and "Kabupaten Semarang" in reason
    assert _week(kota, OWN_FACILITY)[0]["covered_by"] is None

    rotated = kota.post(
        "/api/rosters/rotation",
        json={
            "facility_code": OWN_FACILITY,
            "month": f"{MONDAY:%Y-%m}",
            "staff_ids": [OWN_STAFF, OTHER_STAFF],
        },
    )
    assert rotated.status_code == 422, rotated.text
    assert any(
        OTHER_STAFF in e["reason"] and "Kabupaten Semarang" in e["reason"] for e in rotated.json()["errors"]
    )
    assert [a["staff_id"] for a in _week(kota, OWN_FACILITY)] == [OWN_STAFF]


def test_the_console_refuses_reserved_endpoint_names(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    for name in ("anonymous", "caller-trunk", "transport-udp"):
        refused = kota.patch(f"/api/staff/{OWN_STAFF}", json={"endpoint": name})
        assert refused.status_code == 422, refused.text
        (error,) = refused.json()["errors"]
        assert error["field"] == "endpoint" and "reserved" in error["reason"]
    assert _staff(kota, OWN_FACILITY, OWN_STAFF)["endpoint"] == OWN_STAFF
