"""The calls page in its reader's language (issue 16, point 1): a call record keeps the router's "why",
skip reasons and notes as English text, and the Indonesian page shows them in Indonesian while the JSON
API keeps the stored words."""

from __future__ import annotations

import html

from kernel.settings import Settings
from tests.web.test_api_calls import calls  # noqa: F401  (the fixture: four calls through the record path)
from web import i18n
from web.calls.services import plan_in_language


def test_an_indonesian_call_page_shows_the_why_in_indonesian(login, calls: Settings) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    kota = login("kota")
    record = kota.get("/api/calls/call-3").json()
    first = record["plan"]["targets"][0]
    assert first["why"].startswith("nearest staffed puskesmas"), "the API keeps the stored English"
    page = html.unescape(kota.get(f"/calls/{record['id']}").text)
    assert "puskesmas terdekat yang ada petugas jaga" in page
    assert "nearest staffed" not in page and " on pagi shift" not in page
    assert " jaga shift " in page
    # Names, codes and endpoints are shown as stored.
    assert first["endpoint"] in page and first["why"].split("; ")[1].split(" on ")[0] in page
    with i18n.language("id"):
        shown = plan_in_language(record["plan"])
    assert shown["skipped"], "the sample's off-shift facilities are skipped"
    for skip in shown["skipped"]:
        assert skip["reason"] in page


def test_a_plan_in_english_is_the_stored_plan() -> None:
    plan = {
        "targets": [{"why": "nearest staffed puskesmas; Sari on malam shift", "endpoint": "e1"}],
        "skipped": [{"reason": "no one on duty (off shift)"}],
        "desks": [{"why": "desk serving Kota Semarang"}],
        "notes": ["location is on the border of 33.74.01 and 33.74.02; 33.74.01 chosen", "not ours"],
    }
    with i18n.language("en"):
        assert plan_in_language(plan) == plan
    with i18n.language("id"):
        shown = plan_in_language(plan)
    assert shown["targets"][0] == {
        "why": "puskesmas terdekat yang ada petugas jaga; Sari jaga shift malam",
        "endpoint": "e1",
    }
    assert shown["skipped"][0]["reason"] != "no one on duty (off shift)"
    assert shown["desks"][0]["why"] == "meja yang melayani Kota Semarang"
    assert shown["notes"] == ["lokasi di perbatasan 33.74.01 dan 33.74.02; dipilih 33.74.01", "not ours"]
    assert plan["targets"][0]["why"].startswith("nearest"), "the stored plan is not changed"
