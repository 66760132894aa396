"""`/api/incidents`, `/api/units` and the board page with the console's access rules: a supervisor of
another kabupaten can neither see nor dispatch, a viewer only reads, a refused open keeps nothing; the
board JSON carries each open incident's unit, status and age; the console's bed form and the roster's
`unit` column."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.model import BedReportRow
from kernel.db import make_engine
from kernel.settings import Settings

IN_KOTA = {"lat": -6.99, "lon": 110.42}  # Semarang Selatan, Kota Semarang (33.74)


def _open(user, **extra):  # type: ignore[no-untyped-def]
    body = {"caller": "081234567890", **IN_KOTA, "category": "kecelakaan", "priority": "merah", **extra}
    return user.post("/api/incidents", json=body)


def test_another_kabupaten_can_neither_see_nor_dispatch(login) -> None:  # type: ignore[no-untyped-def]
    kota, kabsmg, viewer = login("kota"), login("kabsmg"), login("viewer")
    opened = _open(kota, address="Jl. Pandanaran 12")
    assert opened.status_code == 201, opened.text
    number = opened.json()["incident"]
    assert (opened.json()["kabupaten"], opened.json()["operator"]) == ("33.74", "kota")

    assert kabsmg.get(f"/api/incidents/{number}").status_code == 403
    assert kabsmg.get("/api/incidents").json() == {"incidents": []}
    assert kabsmg.get("/api/incidents/board").json()["incidents"] == []
    assert kabsmg.get("/api/incidents/board").json()["units"] == []  # every sample unit is based in 33.74
    refused = kabsmg.post(f"/api/incidents/{number}/dispatch", json={"unit": "119-smg-01"})
    assert refused.status_code == 403 and "33.74" in refused.json()["errors"][0]["reason"]
    assert kabsmg.patch(f"/api/incidents/{number}", json={"notes": "x"}).status_code == 403
    assert kabsmg.post("/api/units/119-smg-01/status", json={"status": "out_of_service"}).status_code == 403

    assert viewer.get(f"/api/incidents/{number}").status_code == 200  # a viewer of every kabupaten reads
    assert viewer.post(f"/api/incidents/{number}/dispatch", json={"unit": "119-smg-01"}).status_code == 403
    assert _open(viewer).status_code == 403

    sent = kota.post(f"/api/incidents/{number}/dispatch", json={"unit": "119-smg-01"})
    assert sent.status_code == 201 and sent.json()["endpoint"] == "unit-smg-01"
    assert kota.get(f"/api/incidents/{number}").json()["units"] == [
        {"unit": "119-smg-01", "status": "dispatched"}
    ]


def test_an_open_refused_for_its_kabupaten_keeps_nothing(login) -> None:  # type: ignore[no-untyped-def]
    kabsmg, admin = login("kabsmg"), login("admin")
    refused = _open(kabsmg)
    assert refused.status_code == 403
    assert admin.get("/api/incidents").json() == {"incidents": []}
    inside = _open(kabsmg, lat=-7.15, lon=110.40)  # Ungaran Barat, Kabupaten Semarang
    assert inside.status_code == 201 and inside.json()["kabupaten"] == "33.22"
    moved = kabsmg.patch(f"/api/incidents/{inside.json()['incident']}", json=IN_KOTA)
    assert moved.status_code == 403  # it may not move an incident into a kabupaten it does not hold
    assert admin.get(f"/api/incidents/{inside.json()['incident']}").json()["lat"] == -7.15


def test_bad_input_is_named_and_unknown_incidents_are_404(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    bad = kota.post(
        "/api/incidents", json={"call_id": "no-such", "category": "banjir", "priority": "biru", "lat": 91}
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["category", "priority", "lon", "call_id"]
    assert kota.get("/api/incidents/999").status_code == 404
    number = _open(kota).json()["incident"]
    busy = kota.post(f"/api/incidents/{number}/dispatch", json={"unit": "119-smg-04"})
    assert busy.status_code == 422 and busy.json()["errors"][0]["field"] == "unit"
    wrong = kota.post("/api/units/119-smg-01/status", json={"status": "on_scene"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "status"
    assert kota.client.post("/api/incidents", json={"category": "x"}).status_code == 403  # no CSRF token


def test_the_board_follows_the_units_status(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    number = _open(kota).json()["incident"]
    kota.post(f"/api/incidents/{number}/dispatch", json={"unit": "119-smg-03"})
    moved = kota.post("/api/units/119-smg-03/status", json={"status": "en_route"})
    assert moved.status_code == 200
    assert moved.json() | {"at": None} == {
        "unit": "119-smg-03",
        "status": "en_route",
        "previous": "dispatched",
        "at": None,
        "by": "kota",
        "source": "console",
        "changed": True,
        "incident": number,
    }
    board = kota.get("/api/incidents/board").json()
    assert board["poll_s"] > 0
    (row,) = board["incidents"]
    assert row["incident"] == number and row["units"] == [{"unit": "119-smg-03", "status": "en_route"}]
    assert 0 <= row["age_s"] < 120 and row["priority"] == "merah"
    units = {u["unit"]: u for u in board["units"]}
    assert set(units) == {"119-smg-01", "119-smg-02", "119-smg-03", "119-smg-04"}
    assert units["119-smg-03"]["status"] == "en_route" and units["119-smg-03"]["incident"] == number
    assert units["119-smg-04"]["in_service"] is False

    page = kota.get("/incidents")
    assert page.status_code == 200
    assert f'id="incident-{number}"' in page.text and "/api/incidents/board" in page.text
    assert 'data-unit="119-smg-03" data-status="en_route"' in page.text  # the map, units by status
    assert f'data-incident="{number}"' in page.text
    figures = kota.get("/api/incidents/figures").json()
    assert figures["figures"][0]["call_to_dispatch_s"]["count"] == 1
    assert kota.get("/api/incidents/figures?at=2026-01-01T00:00").status_code == 422


def test_the_console_bed_form_has_the_put_rules(login, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    kota, kabsmg = login("kota"), login("kabsmg")
    form = {"bed_class": "icu", "total": "10", "occupied": "4", "waiting": "1", "updated_at": ""}
    assert 'action="/beds/rsup-kariadi"' in kota.get("/beds").text
    assert 'action="/beds/rsup-kariadi"' not in kabsmg.get("/beds?kabupaten=33.74").text

    missing_token = kota.client.post("/beds/rsup-kariadi", data=form, follow_redirects=False)
    assert missing_token.status_code == 403
    saved = kota.client.post(
        "/beds/rsup-kariadi", data={**form, "csrf_token": kota.csrf}, follow_redirects=False
    )
    assert saved.status_code == 303
    other = kabsmg.client.post(
        "/beds/rsup-kariadi", data={**form, "csrf_token": kabsmg.csrf}, follow_redirects=False
    )
    assert other.status_code == 403
    bad = kota.client.post(
        "/beds/rsup-kariadi",
        data={**form, "occupied": "12", "updated_at": "2026-11-30T08:00", "csrf_token": kota.csrf},
        follow_redirects=False,
    )
    assert bad.status_code == 422 and "occupied" in bad.text and "updated_at" in bad.text
    engine = make_engine(settings.db_url)
    with Session(engine) as session:
        row = session.scalar(
            select(BedReportRow).where(
                BedReportRow.hospital == "rsup-kariadi", BedReportRow.bed_class == "icu"
            )
        )
        assert row is not None and (row.total, row.occupied, row.source) == (10, 4, "console:kota")
    engine.dispose()


def test_the_roster_editor_and_export_carry_the_unit(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    day = date.today() + timedelta(days=14)
    added = kota.post(
        "/api/rosters/assignments",
        json={
            "facility_code": "rsud-wongsonegoro",
            "staff_id": "amb04-med1",
            "date": day.isoformat(),
            "shift": "pagi",
            "unit": "119-smg-04",
        },
    )
    assert added.status_code == 201, added.text
    wrong = kota.post(
        "/api/rosters/assignments",
        json={
            "facility_code": "rsud-wongsonegoro",
            "staff_id": "amb04-med1",
            "date": day.isoformat(),
            "shift": "siang",
            "unit": "119-smg-01",
        },
    )
    assert wrong.status_code == 422 and "based at rsup-kariadi" in wrong.text
    exported = kota.get(
        "/api/rosters/export",
        params={
            "from": day.isoformat(),
            "to": (day + timedelta(days=1)).isoformat(),
            "facility_code": "rsud-wongsonegoro",
        },
    ).text.splitlines()
    assert exported[0].endswith(",endpoint,phone,unit")
    assert any(
        line.startswith("rsud-wongsonegoro,amb04-med1,") and line.endswith(",119-smg-04") for line in exported
    )
    page = kota.get("/roster?facility=rsud-wongsonegoro").text
    assert 'id="roster-unit"' in page and 'value="119-smg-04"' in page
