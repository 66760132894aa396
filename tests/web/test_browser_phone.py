"""An operator answers a real 119 call in the console's phone page (issue 16, point 4).

The lab's stack (real Asterisk, engine and bots, as in conftest.py) with one operator whose phone is
the browser (`browser_phones`): Chromium with fake media devices logs into the console as that
operator, the page registers over wss, a SIPp caller with a PIDF-LO point in Gayamsari dials 119, the
engine routes the call to the operator's puskesmas, the page shows the screen-pop from the INVITE's
headers, answers, and Asterisk's own view of the call says DTLS-SRTP media flowed both ways; the page
hangs up, the call record names the browser phone, and the page opens an incident from the call id.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session

from ami.client import ManagerClient
from ami.login import manager_secret
from kernel.db import make_engine
from lab.sipp import place_calls
from tests.telephony.conftest import GAYAMSARI_HOUSE, CallLab, free_tcp_port, lab_settings, running_lab
from tests.telephony.rtp_events import call_pcap
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, log_in
from tests.web.conftest import ServedApp
from web.access import add_user
from web.app import create_app

pytestmark = pytest.mark.telephony

OPERATOR = "pkm-gayamsari-op2"  # at the caller's nearest puskesmas; no bot registers it
PASSWORD = "telepon-browser-test"
VIEWER = "pengamat-semarang"
SEMARANG = "33.74"
CALLER = "0247100001"  # not in the directory: the location is the INVITE's PIDF-LO
# WebRTC in a headless browser on loopback: fake microphone, no permission prompt, the lab's
# self-signed certificate accepted, and loopback allowed as an ICE candidate (Chromium leaves it out).
WEBRTC_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--ignore-certificate-errors",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]


@dataclasses.dataclass
class Console:
    lab: CallLab
    url: str


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    vendor = Path(__file__).resolve().parents[2] / "web" / "static" / "vendor" / "jssip.min.js"
    if not vendor.is_file():
        pytest.fail(f"{vendor} is missing: scripts/setup.sh builds it (npm ci)", pytrace=False)
    data_dir = tmp_path_factory.mktemp("browser-phone")
    settings = dataclasses.replace(
        lab_settings(data_dir),
        browser_phones=(OPERATOR,),
        wss_port=free_tcp_port(),
        web_port=free_tcp_port(),
    )
    with running_lab(data_dir, settings) as lab:
        with Session(make_engine(settings.db_url)) as session, session.begin():
            # A puskesmas operator who may open incidents of their kabupaten: a supervisor of Semarang.
            add_user(session, OPERATOR, "supervisor", [SEMARANG], PASSWORD, {SEMARANG})
            add_user(session, VIEWER, "viewer", [SEMARANG], PASSWORD, {SEMARANG})  # no browser phone
        with ServedApp(create_app(settings), settings.web_port):
            yield Console(lab, f"http://127.0.0.1:{settings.web_port}")


@pytest.fixture(scope="module")
def phone_page(console: Console, browser: Browser) -> Iterator[Page]:
    """A Chromium of its own with fake media, launched by the browser tests' Playwright (the session's
    `browser` fixture): a second Playwright in the same process would refuse to start."""
    webrtc = browser.browser_type.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + WEBRTC_ARGS, headless=True
    )
    try:
        context = webrtc.new_context(ignore_https_errors=True, viewport={"width": 1360, "height": 900})
        context.set_default_timeout(20_000)
        page = context.new_page()
        log_in(page, console.url, OPERATOR, PASSWORD)
        page.goto(f"{console.url}/phone")
        yield page
    finally:
        webrtc.close()


def _operator_channel(console: Console) -> str:
    out = console.lab.stack.asterisk.cli("core show channels concise")
    found = [line.split("!", 1)[0] for line in out.splitlines() if line.startswith(f"PJSIP/{OPERATOR}-")]
    assert found, f"no channel of {OPERATOR}: {out}"
    return found[0]


def _channel_value(console: Console, channel: str, expression: str) -> str:
    settings = console.lab.settings
    with ManagerClient("127.0.0.1", settings.ami_port, "siaga", manager_secret(settings)) as ami:
        reply = ami.action("Getvar", Channel=channel, Variable=expression).response
    assert reply.is_success, reply.headers
    return reply.get("Value")


def _rtp_counts(console: Console) -> tuple[int, int]:
    """(received, sent) RTP packets of the browser's channel, from `pjsip show channelstats`."""
    # Columns: bridge, channel (cut to 18 characters), up time, codec, then received count, lost, %,
    # jitter, and sent count, lost, %, jitter, RTT.
    for line in console.lab.stack.asterisk.cli("pjsip show channelstats").splitlines():
        parts = line.split()
        at = next((i for i, p in enumerate(parts) if p.startswith(OPERATOR)), None)
        if at is not None and len(parts) > at + 7:
            return int(parts[at + 3]), int(parts[at + 7])
    return 0, 0


def test_operator_answers_a_119_call_in_the_browser(console: Console, phone_page: Page) -> None:
    page = phone_page
    page.wait_for_selector('#phone-status[data-state="registered"]')
    console.lab.stack.wait_contacts({OPERATOR}, 10)
    console.lab.given_on_duty(OPERATOR)

    out = console.lab.run_dir / "browser-call"
    out.mkdir(parents=True, exist_ok=True)
    call_pcap([(0.0, bytes(range(0x80, 0x90)) * 2000)], out / "call.pcap")  # 4 s of the caller "speaking"
    caller = threading.Thread(
        target=place_calls,
        args=([(CALLER, "119", str(GAYAMSARI_HOUSE[0]), str(GAYAMSARI_HOUSE[1]))], out),
        kwargs={
            "sip_port": console.lab.settings.sip_port,
            "scenario": "uac_pidf_until_bye.xml",
            "timeout_s": 60,
        },
        daemon=True,
    )
    caller.start()

    # It rings in the page, with the screen-pop from the INVITE's X-Siaga-* headers.
    page.wait_for_selector('#phone-call[data-state="ringing"]')
    assert page.locator("#pop-caller-number").inner_text() == CALLER
    assert "Gayamsari" in page.locator("#pop-area").inner_text()
    assert page.locator("#pop-source").inner_text() == "pidf-lo"
    assert page.locator("#pop-attempt").inner_text().startswith("1 of ")
    assert page.locator("#pop-service").inner_text() == "emergency"
    location = page.locator("#pop-location").inner_text()
    assert location.startswith(f"{GAYAMSARI_HOUSE[0]:.5f} {GAYAMSARI_HOUSE[1]:.5f}"), location
    assert page.locator("#phone-caller").get_attribute("hidden") is None  # the caller's dot on the map
    call_id = page.locator("#pop-call").inner_text()
    assert re.fullmatch(r"[A-Za-z0-9.-]+", call_id), call_id

    page.locator("#phone-answer").click()
    page.wait_for_selector('#phone-call[data-state="talking"]')
    channel = _operator_channel(console)
    # Asterisk's side: the browser's leg is up, its media DTLS-SRTP, and packets flowed both ways.
    assert _channel_value(console, channel, "CHANNEL(rtp,secure,audio)") == "1"  # SRTP (DTLS-keyed)
    assert _channel_value(console, channel, "CHANNEL(pjsip,secure)") == "1"  # signalling over wss
    deadline = time.monotonic() + 10
    received, sent = _rtp_counts(console)
    while (received < 25 or sent < 25) and time.monotonic() < deadline:
        time.sleep(0.3)
        received, sent = _rtp_counts(console)
    assert received >= 25 and sent >= 25, (received, sent)

    page.locator("#phone-hangup").click()
    page.wait_for_selector('#phone-call[data-state="ended"]')
    caller.join(30)
    assert not caller.is_alive(), "the caller never got the operator's BYE"

    record = console.lab.record(CALLER, timeout_s=15)
    assert record.call_id == call_id
    assert record.answered_by == OPERATOR
    assert record.answered_attempt == 1
    assert record.location_source == "pidf-lo"

    # The incident, opened from the call id in the page, carries the call's caller.
    page.locator("#phone-open-incident").click()
    link = page.locator("#phone-incident-result a[data-incident]")
    link.wait_for()
    incident = link.get_attribute("data-incident")
    shown = page.request.get(f"{console.url}/api/incidents/{incident}").json()
    assert shown["call_id"] == call_id
    assert shown["caller"] == CALLER


def test_the_page_gets_its_own_account_and_nobody_else_gets_one(console: Console, phone_page: Page) -> None:
    answer = phone_page.request.get(f"{console.url}/api/phone/account")
    assert answer.status == 200 and answer.json()["endpoint"] == OPERATOR
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json()["ws_url"] == f"wss://127.0.0.1:{console.lab.settings.wss_port}/ws"
    with httpx.Client(base_url=console.url) as other:
        assert other.post("/api/login", json={"name": VIEWER, "password": PASSWORD}).status_code == 200
        refused = other.get("/api/phone/account", headers={"Accept-Language": "en"})
        assert refused.status_code == 403
        assert "browser_phones" in refused.json()["errors"][0]["reason"]
        page = other.get("/phone?lang=en")
        assert page.status_code == 200 and 'id="phone-none"' in page.text and "jssip" not in page.text
