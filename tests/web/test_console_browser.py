"""The console's main flows in a real browser: log in, edit tonight's roster, upload a bad CSV and see
every bad line, see a gap appear on the coverage page. Screenshots of the main pages are saved."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.audit import AuditEntry
from kernel.db import make_engine
from kernel.settings import Settings
from shifts.model import Assignment
from tests.web.browser import clear_of_shift_change, log_in, screenshot
from tests.web.conftest import PASSWORDS, ServedApp
from tests.web.test_api_calls import DAY, WIB, record_call

DAY_9 = datetime.combine(DAY, time(9), tzinfo=WIB)


def _count(settings: Settings, model: type) -> int:
    with Session(make_engine(settings.db_url)) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _roster_changes(settings: Settings) -> int:
    """Audit entries of roster and staff changes (logins are audited too, issue 17)."""
    with Session(make_engine(settings.db_url)) as session:
        query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action.not_like("login%"))
        return int(session.scalar(query) or 0)


def test_wrong_password_is_refused_and_right_one_logs_in(page: Page, served: ServedApp) -> None:
    page.goto(f"{served.url}/roster")
    expect(page).to_have_url(re.compile(r"/login\?next=/roster"))
    screenshot(page, "login")
    page.get_by_label("User name").fill("kota")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong password")
    page.get_by_label("Password").fill(PASSWORDS["kota"])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/roster$"))  # back where the user was going
    expect(page.locator("header")).to_contain_text("kota · supervisor · 33.74")


def test_supervisor_puts_someone_on_tonights_empty_shift(
    page: Page, served: ServedApp, settings: Settings
) -> None:
    """Kagok is off this week in the sample: nobody is on duty now until a supervisor adds someone."""
    clear_of_shift_change()
    log_in(page, served.url, "kota", PASSWORDS["kota"])
    page.goto(f"{served.url}/coverage")
    expect(page.locator('tr[data-facility="pkm-kagok"]')).to_have_attribute("data-staffed", "no")

    page.goto(f"{served.url}/roster?facility=pkm-kagok")
    now_button = page.locator('tr[data-staff-row="pkm-kagok-op2"] button.shift.now')
    expect(now_button).not_to_have_class(re.compile(r"\bon\b"))
    now_button.click()
    expect(page.locator('tr[data-staff-row="pkm-kagok-op2"] button.shift.now')).to_have_class(
        re.compile(r"\bon\b")
    )
    screenshot(page, "roster-editor")

    page.goto(f"{served.url}/coverage")
    row = page.locator('tr[data-facility="pkm-kagok"]')
    expect(row).to_have_attribute("data-staffed", "yes")
    assert _roster_changes(settings) == 1


def test_removing_tonights_only_person_shows_a_gap_on_the_coverage_map(page: Page, served: ServedApp) -> None:
    clear_of_shift_change()
    log_in(page, served.url, "kota", PASSWORDS["kota"])
    page.goto(f"{served.url}/coverage")
    dot = page.locator('#coverage-map circle[data-facility="pkm-candilama"]')
    expect(dot).to_have_attribute("data-staffed", "true")
    gaps_before = int(page.locator("#stat-gaps").inner_text())

    page.goto(f"{served.url}/roster?facility=pkm-candilama")
    on_now = page.locator("button.shift.now.on")
    expect(on_now).to_have_count(1)
    on_now.click()
    page.get_by_role("button", name="Remove from roster").click()
    expect(page.locator("button.shift.now.on")).to_have_count(0)

    page.goto(f"{served.url}/coverage")
    expect(page.locator('#coverage-map circle[data-facility="pkm-candilama"]')).to_have_attribute(
        "data-staffed", "false"
    )
    expect(page.locator('tr[data-facility="pkm-candilama"]')).to_contain_text("no one on duty")
    assert int(page.locator("#stat-gaps").inner_text()) == gaps_before + 1
    screenshot(page, "coverage-map")


def test_bad_csv_upload_lists_every_bad_line_and_changes_nothing(
    page: Page, served: ServedApp, settings: Settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    before = _count(settings, Assignment)
    csv_file = tmp_path / "roster-november.csv"
    csv_file.write_text(
        "facility_code,staff_id,date,shift\n"
        "pkm-kagok,pkm-kagok-op1,2030-01-06,pagi\n"  # good
        "pkm-nowhere,pkm-kagok-op1,2030-01-06,siang\n"  # line 3: unknown facility
        "pkm-kagok,pkm-kagok-op2,2030-01-32,pagi\n"  # line 4: no such date
        "pkm-kagok,pkm-kagok-op3,2030-01-06,sore\n"  # line 5: no such shift
        f"{'pkm-ungaran'},pkm-ungaran-op1,2030-01-06,pagi\n",  # line 6: another kabupaten
        encoding="utf-8",
    )
    log_in(page, served.url, "kota", PASSWORDS["kota"])
    page.goto(f"{served.url}/roster?facility=pkm-kagok")
    page.locator('#upload-form input[type="file"]').set_input_files(str(csv_file))
    page.locator("#upload-form").get_by_role("button", name="Upload").click()

    problems = page.locator("#problems tbody tr")
    expect(page.get_by_role("heading", name=re.compile("Nothing was changed"))).to_be_visible()
    lines = {int(t) for t in problems.locator("td:first-child").all_inner_texts() if t.strip()}
    assert {3, 4, 5, 6} <= lines
    assert 2 not in lines
    text = page.locator("#problems").inner_text()
    assert "unknown facility 'pkm-nowhere'" in text
    assert "not in your kabupaten" in text
    screenshot(page, "csv-upload-errors")
    assert _count(settings, Assignment) == before
    assert _roster_changes(settings) == 0


def test_main_pages_render_for_a_viewer_without_edit_controls(
    page: Page, served: ServedApp, settings: Settings
) -> None:
    log_in(page, served.url, "viewer", PASSWORDS["viewer"])
    page.goto(f"{served.url}/roster?facility=pkm-gayamsari")
    expect(page.locator("#roster-grid")).to_have_attribute("data-editable", "no")
    expect(page.locator("#upload-form")).to_have_count(0)
    assert page.locator("button.shift:not([disabled])").count() == 0
    for path, name in (
        ("/facilities", "facilities"),
        ("/staff?facility=pkm-gayamsari", "staff"),
        ("/audit", "audit-log"),
    ):
        page.goto(f"{served.url}{path}")
        expect(page.locator("main h1")).to_be_visible()
        screenshot(page, name)
    for n, (minute, answer_s) in enumerate(((5, 9.0), (12, 17.5), (30, None), (41, 6.0))):
        record_call(settings, n, DAY_9 + timedelta(minutes=minute), answer_s)
    page.goto(f"{served.url}/calls?date={DAY_9.date().isoformat()}")
    expect(page.locator("#call-records tbody tr")).to_have_count(4)
    screenshot(page, "calls")
    page.locator("#call-records a").last.click()
    expect(page.locator("#plan-targets li").first).to_be_visible()
    screenshot(page, "call-record")
