"""Headless Chromium from Debian's `chromium` package, driven by PyPI's playwright (never a downloaded
browser), and the steps the browser tests are written in."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
# Every run saves fresh pictures under var/ (not tracked); refresh the README's copies in docs/screenshots
# with SIAGA_SCREENSHOTS=docs/screenshots when the pages change.
SCREENSHOTS = Path(
    os.environ.get("SIAGA_SCREENSHOTS", Path(__file__).resolve().parents[2] / "var" / "screenshots")
)
WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium package")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def log_in(page: Page, base: str, name: str, password: str, lang: str | None = "en") -> None:
    """Log in through the form (Indonesian, the default, unless the browser asks for English), then pick
    the console's language in the header's form: English by default, because these tests are written
    with the English labels; tests/web/test_i18n.py drives the Indonesian pages."""
    page.goto(f"{base}/login?lang=id")
    page.get_by_label("Nama pengguna").fill(name)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/coverage**")
    if lang is not None and page.locator("html").get_attribute("lang") != lang:
        page.locator("#language-form select").select_option(lang)
        page.locator("#language-form button").click()
        page.wait_for_url(f"{base}/coverage**")
        page.wait_for_selector(f'html[lang="{lang}"]')


def screenshot(page: Page, name: str) -> Path:
    """Saved into SCREENSHOTS; the README shows the committed copies in docs/screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def clear_of_shift_change(margin: timedelta = timedelta(seconds=45)) -> None:
    """Wait out the last seconds before a shift change (07, 14, 21 WIB), so "now" stays one shift."""
    now = datetime.now(UTC).astimezone(WIB)
    for hour in (7, 14, 21):
        boundary = now.replace(hour=hour, minute=0, second=0, microsecond=0)
        if timedelta(0) <= boundary - now < margin:
            time.sleep((boundary - now).total_seconds() + 1)
