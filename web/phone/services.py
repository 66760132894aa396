"""Whose browser phone a console user holds, where it connects, and the map the screen-pop marks.

A browser phone is a staff endpoint listed in the setting `browser_phones`; Asterisk renders it as a
WebRTC endpoint (lab/asterisk.py, `operator-browser`), and the console user of the same name answers it
on the phone page. One name for both keeps the link visible in both lists without a new table: the
roster already says who the endpoint is, the console account says who may log in as them.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.settings import Settings
from shifts.model import Staff
from shifts.sipsecrets import endpoint_passwords
from web.coverage.mapsvg import PAD, WIDTH, MapRenderer, no_outlines

WS_PATH = "/ws"  # res_http_websocket's SIP WebSocket path in Asterisk's http server


@dataclass(frozen=True)
class BrowserPhone:
    """What the page needs to register: the endpoint (also the SIP user), where, and the staff row's
    facility (for the map)."""

    endpoint: str
    name: str
    facility: str | None
    ws_url: str
    sip_domain: str


def ws_url(settings: Settings, console_url: str) -> str:
    """The setting when a site sets it (a proxy, a public name); else the console's own host name at
    Asterisk's wss port: the certificate names that host, and the page came from it, so the browser
    reaches Asterisk the way it reached the console."""
    if settings.browser_phone_ws_url:
        return settings.browser_phone_ws_url
    host = urlsplit(console_url).hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"wss://{host}:{settings.wss_port}{WS_PATH}"


def browser_phone(
    session: Session, settings: Settings, user_name: str, console_url: str
) -> BrowserPhone | None:
    """The user's browser phone, or None: their name is not a browser phone, or no staff row has it."""
    if user_name not in settings.browser_phones:
        return None
    staff = session.scalars(select(Staff).where(Staff.endpoint == user_name)).first()
    if staff is None:
        return None
    url = ws_url(settings, console_url)
    return BrowserPhone(staff.endpoint, staff.name, staff.facility_code, url, urlsplit(url).hostname or "")


def sip_password(settings: Settings, endpoint: str) -> str:
    """The endpoint's own SIP secret (shifts.sipsecrets), given to its owner's page only: the browser
    registers with it as any softphone would."""
    return endpoint_passwords(settings, [endpoint])[endpoint]


def call_map(maps: MapRenderer, kabupaten: tuple[str, ...]) -> str:
    """The kabupaten's outlines, with the projection in data attributes, so the page puts the caller's
    point from the INVITE's X-Siaga-Location on it without asking the server again."""
    drawn = maps.outlines(kabupaten)
    if drawn is None:
        return no_outlines()
    frame, outlines = drawn
    paths = "".join(
        f'<path d="{o.path}" fill="#eceff1" stroke="#90a4ae" stroke-width="1" fill-rule="evenodd">'
        f"<title>{escape(o.name)}</title></path>"
        for o in outlines
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {frame.height}" width="100%" '
        f'role="img" class="phone-map" data-pad="{PAD}" data-minx="{frame.minx}" data-maxy="{frame.maxy}" '
        f'data-scale="{frame.scale}" data-kx="{frame.kx}">'
        f'<rect width="{WIDTH}" height="{frame.height}" fill="#f5f9ff"/>{paths}'
        '<g id="phone-caller" hidden><circle r="9" fill="#c62828" fill-opacity=".25"/>'
        '<circle r="4" fill="#c62828" stroke="#fff" stroke-width="1.5"/></g></svg>'
    )
