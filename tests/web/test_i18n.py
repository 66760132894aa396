"""The console in Bahasa Indonesia by default and in English on request (issue 16, point 1): complete
catalogs, the language per user and per visitor, dates, numbers and zones written the Indonesian way,
and bad input refused in the reader's language, naming the field."""

from __future__ import annotations

import copy
import pickle
import re
from datetime import UTC, date, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from shapely.geometry import box

from geo.areas import Area, AreaIndex
from geo.facilities import Facility
from kernel.messages import Message
from tests.web.browser import log_in, screenshot
from tests.web.conftest import PASSWORDS, ServedApp
from web import i18n
from web.catalogs import KEYWORDS, extract, read, untranslated
from web.places import Places

PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)(?:![rs])?\}")


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def _lang_of(html: str) -> str:
    found = re.search(r'<html lang="(\w+)">', html)
    assert found, "no <html lang> on the page"
    return found.group(1)


# --- the catalogs -------------------------------------------------------------------------------------


def test_every_text_of_the_console_has_an_indonesian_translation() -> None:
    template = extract()
    msgids = [m.id for m in template if m.id]
    assert len(msgids) > 300, "extraction found too little: is babel.cfg still right?"
    assert "Nothing was changed: please fix these problems" in template  # from code (N_)
    assert "Log out" in template  # from a template
    assert "unknown facility {facility!r}" in template  # from code (Message)
    missing = untranslated(read("id"), template)
    assert missing == [], (
        f"without an Indonesian translation (run .venv/bin/python -m web.catalogs): {missing}"
    )


def test_each_translation_keeps_the_fields_of_its_message() -> None:
    """A translation that drops or renames `{facility}` or `%(n)s` would fail when it is shown."""
    catalog = read("id")
    wrong = [
        (m.id, m.string)
        for m in catalog
        if m.id and m.string and _placeholders(str(m.id)) != _placeholders(str(m.string))
    ]
    assert wrong == []


def test_the_extraction_keywords_include_the_kernel_markers() -> None:
    assert {"N_", "Message", "_", "gettext"} <= set(KEYWORDS)


# --- formatting, pure -----------------------------------------------------------------------------------


def test_dates_numbers_and_zones_are_written_the_indonesian_way() -> None:
    at = datetime(2026, 11, 23, 6, 5, 9, tzinfo=UTC)  # 14.05 in Makassar, 15.05 in Jayapura
    with i18n.language("id"):
        assert i18n.format_day(date(2026, 11, 23)) == "Senin, 23 November 2026"
        assert i18n.format_number(1234.5, 1) == "1.234,5"
        assert i18n.format_number(1234567) == "1.234.567"
        assert i18n.format_share(0.925, 1) == "92,5 %"
        assert i18n.format_time_in(at, "Asia/Jakarta", "clock") == "13.05 WIB"
        assert i18n.format_time_in(at, "Asia/Makassar", "clock") == "14.05 WITA"
        assert i18n.format_time_in(at, "Asia/Jayapura", "stamp") == "23 Nov 2026 15.05.09 WIT"
        assert i18n.format_time_in(at.replace(tzinfo=None), "Asia/Jakarta", "when") == "Sen 23 Nov 13.05 WIB"
    with i18n.language("en"):
        assert i18n.format_day(date(2026, 11, 23)) == "Monday, 23 November 2026"
        assert i18n.format_number(1234.5, 1) == "1,234.5"
        assert i18n.format_time_in(at, "Asia/Makassar", "clock") == "14:05 WITA"


def test_a_time_in_a_named_zone_stays_in_it() -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 11, 23, 14, 5, tzinfo=ZoneInfo("Asia/Makassar"))
    with i18n.language("id"):
        assert i18n.format_time_in(local, None, "minute") == "23 Nov 2026 14.05 WITA"


@pytest.mark.parametrize(
    ("asked", "remembered", "accept", "expected"),
    [
        (None, None, None, "id"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "fr-FR, en;q=0.5, id;q=0.8", "id"),
        (None, None, "fr-FR", "id"),
        (None, "en", "id-ID", "en"),
        ("id", "en", "en", "id"),
        ("xx", None, "en", "en"),
        (None, None, "en;q=0, id;q=bad", "id"),
    ],
)
def test_the_language_without_login(
    asked: str | None, remembered: str | None, accept: str | None, expected: str
) -> None:
    assert i18n.negotiate(asked, remembered, accept) == expected


def test_a_message_stays_english_for_scripts_and_translates_for_people() -> None:
    message = Message("unknown facility {facility!r}", facility="pkm-x")
    assert message == "unknown facility 'pkm-x'" and isinstance(message, str)
    assert pickle.loads(pickle.dumps(message)).msgid == message.msgid
    assert copy.deepcopy({"reason": message})["reason"] == message
    with i18n.language("id"):
        assert i18n.translate(message) == "fasilitas 'pkm-x' tidak dikenal"
        assert i18n.translate("log in first") == "masuk terlebih dahulu"
        assert i18n.translate("words no catalog knows") == "words no catalog knows"
    with i18n.language("en"):
        assert i18n.translate(message) == "unknown facility 'pkm-x'"


def test_a_notice_that_travelled_through_a_url_is_recognised() -> None:
    notice = i18n.recognise("copied 12 assignment(s)", ("status: {status}", "copied {n} assignment(s)"))
    assert isinstance(notice, Message) and notice.params == {"n": "12"}
    with i18n.language("id"):
        assert i18n.translate(notice) == "12 penugasan disalin"
    assert i18n.recognise("something else", ("copied {n} assignment(s)",)) == "something else"


def test_each_facility_and_area_has_its_own_zone() -> None:
    areas = AreaIndex(
        [
            Area("73", "Sulawesi Selatan", "provinsi", None, box(119, -6, 121, -4)),
            Area("73.71", "Kota Makassar", "kabupaten", "73", box(119.3, -5.3, 119.6, -5.0)),
            Area("73.71.01", "Mariso", "kecamatan", "73.71", box(119.3, -5.2, 119.5, -5.1)),
        ]
    )
    pkm = Facility("pkm-mariso", "Puskesmas Mariso", "puskesmas", -5.15, 119.4, "73.71.01", "Asia/Makassar")
    places = Places.build(areas, [pkm])
    assert places.zone_of_facility("pkm-mariso") == "Asia/Makassar"
    assert places.zone_of_area("73.71.01") == "Asia/Makassar"
    assert places.zone_of_area("99.99") == "Asia/Jakarta"
    assert places.zone_of_scope(frozenset({"73.71"})) == "Asia/Makassar"
    assert places.zone_of_scope(None) == "Asia/Jakarta"


# --- the console ----------------------------------------------------------------------------------------


def test_pages_are_indonesian_by_default_and_english_when_the_user_chooses(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    assert kota.get("/api/me").json()["lang"] == "id"
    page = kota.get("/calls")
    assert _lang_of(page.text) == "id"
    assert ">Panggilan</a>" in page.text and ">Keluar</button>" in page.text
    assert "Log out" not in page.text

    chosen = kota.client.put("/api/me/language", json={"lang": "en"}, headers=kota.headers())
    assert chosen.status_code == 200 and chosen.json()["lang"] == "en"
    page = kota.get("/calls")
    assert _lang_of(page.text) == "en"
    assert ">Calls</a>" in page.text and ">Log out</button>" in page.text
    assert login("kota").get("/api/me").json()["lang"] == "en", "the choice is stored for the user"


def test_the_header_form_changes_the_language_and_returns_to_the_page(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    form = {"csrf_token": kota.csrf, "lang": "en", "next": "/staff?facility=pkm-kagok"}
    answer = kota.client.post("/language", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/staff?facility=pkm-kagok"
    assert _lang_of(kota.get("/staff").text) == "en"
    forged = kota.client.post("/language", data={"lang": "id"}, follow_redirects=False)
    assert forged.status_code == 403, "no CSRF token, no change"
    assert _lang_of(kota.get("/staff").text) == "en"


def test_an_unknown_language_is_refused_naming_the_field(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    answer = kota.client.put("/api/me/language", json={"lang": "fr"}, headers=kota.headers())
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "lang", "reason": "'fr' is not one of id, en"}]


def test_the_fragment_cache_keeps_each_language_apart(login) -> None:  # type: ignore[no-untyped-def]
    """The coverage picture is cached per kabupaten and snapshot: an English reader after an Indonesian
    one must not get the Indonesian picture."""
    first = login("kota").get("/coverage")
    assert "puskesmas tanpa petugas jaga" in first.text
    english = login("admin")
    english.client.put("/api/me/language", json={"lang": "en"}, headers=english.headers())
    second = english.get("/coverage", params={"kabupaten": "33.74"})
    assert "puskesmas with no one on duty" in second.text
    assert "puskesmas tanpa petugas jaga" not in second.text


def test_dates_on_a_page_are_indonesian_with_their_zone(login) -> None:  # type: ignore[no-untyped-def]
    page = login("kota").get("/coverage").text
    shown = re.search(r'<strong id="coverage-at">([^<]+)</strong>', page)
    assert shown, "no time on the coverage page"
    day_names = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
    assert re.fullmatch(
        rf"({'|'.join(day_names)}), \d{{1,2}} \w+ \d{{4}} \d{{2}}\.\d{{2}} WIB", shown.group(1)
    )


def test_a_form_error_is_in_the_users_language_and_names_the_field(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    form = {
        "csrf_token": kota.csrf,
        "name": "Dewi",
        "role": "astronaut",
        "endpoint": "pkm-kagok-op1",
        "facility_code": "pkm-kagok",
    }
    answer = kota.client.post("/staff/pkm-kagok-op1", data=form, follow_redirects=False)
    assert answer.status_code == 422
    assert _lang_of(answer.text) == "id"
    assert "Tidak ada yang diubah" in answer.text and "<code>role</code>" in answer.text
    assert "bukan salah satu dari" in answer.text or "Isian harus" in answer.text
    assert "is not one of" not in answer.text and "Input should" not in answer.text

    kota.client.put("/api/me/language", json={"lang": "en"}, headers=kota.headers())
    answer = kota.client.post("/staff/pkm-kagok-op1", data=form, follow_redirects=False)
    assert answer.status_code == 422 and _lang_of(answer.text) == "en"
    assert "Nothing was changed" in answer.text and "<code>role</code>" in answer.text


def test_the_api_answers_in_the_language_asked_for(login) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    plain = kota.get("/api/staff", params={"facility_code": "pkm-nowhere"})
    asked = kota.get(
        "/api/staff", params={"facility_code": "pkm-nowhere"}, headers={"Accept-Language": "id-ID"}
    )
    assert plain.status_code == asked.status_code == 422
    assert plain.json()["errors"] == [{"field": "facility_code", "reason": "unknown facility 'pkm-nowhere'"}]
    assert asked.json()["errors"] == [
        {"field": "facility_code", "reason": "fasilitas 'pkm-nowhere' tidak dikenal"}
    ]


def test_public_pages_follow_the_visitor(app: FastAPI) -> None:
    with TestClient(app) as visitor:
        page = visitor.get("/aduan")
        assert _lang_of(page.text) == "id" and "Sampaikan pengaduan" in page.text
        page = visitor.get("/aduan", headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert _lang_of(page.text) == "en" and "Make a complaint" in page.text
        chosen = visitor.get("/beds?lang=en")
        assert _lang_of(chosen.text) == "en" and "Free hospital beds" in chosen.text
        assert visitor.cookies.get("siaga_lang") == "en"
        again = visitor.get("/aduan")  # remembered, without ?lang=
        assert _lang_of(again.text) == "en"
        login_page = visitor.get("/login?lang=id")
        assert _lang_of(login_page.text) == "id" and "Kata sandi" in login_page.text


def test_in_the_browser_the_console_opens_in_indonesian(page: Page, served: ServedApp) -> None:
    log_in(page, served.url, "kota", PASSWORDS["kota"], lang=None)
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("header nav")).to_contain_text("Jadwal jaga")
    expect(page.locator("#coverage-at")).to_contain_text(" WIB")
    screenshot(page, "coverage-id")
    page.locator("#language-form select").select_option("en")
    page.locator("#language-form button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header nav")).to_contain_text("Roster")
