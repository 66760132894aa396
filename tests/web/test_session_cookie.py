"""Issue 17: the session cookie's `Secure` flag comes from a setting (`web_secure_cookie`), never from the
request's scheme, which behind a proxy is whatever an `X-Forwarded-Proto` header says."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from kernel.settings import Settings, SettingsError, load
from tests.web.conftest import PASSWORDS
from web.app import build_services, create_app
from web.directory.services import Registrations
from web.session_http import secure_cookies


def _set_cookie_headers(settings: Settings, base_url: str = "http://testserver", **headers: str) -> list[str]:
    app = create_app(settings, build_services(settings, registrations=Registrations(lambda: None)))
    with TestClient(app, base_url=base_url) as client:
        answer = client.post(
            "/api/login", json={"name": "kota", "password": PASSWORDS["kota"]}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        return [v for k, v in answer.headers.multi_items() if k == "set-cookie"]


def _secure(cookies: list[str]) -> bool:
    (session,) = [c for c in cookies if c.startswith("siaga_session=")]
    return "secure" in [p.strip().lower() for p in session.split(";")]


@pytest.mark.parametrize(
    ("host", "setting", "expected"),
    [
        ("127.0.0.1", "auto", False),  # plain http on loopback: the browser is on this machine
        ("::1", "auto", False),
        ("localhost", "auto", False),
        ("0.0.0.0", "auto", True),  # reachable from the network: only ever over TLS (a proxy)
        ("10.1.2.3", "auto", True),
        ("127.0.0.1", "true", True),  # a TLS proxy on this machine in front of a loopback console
        ("0.0.0.0", "false", False),  # an explicit choice (a lab network), stated in the settings
    ],
)
def test_secure_flag_follows_the_setting(host: str, setting: str, expected: bool) -> None:
    settings = dataclasses.replace(Settings(), web_host=host, web_secure_cookie=setting)
    assert secure_cookies(settings) is expected


def test_a_forwarded_scheme_does_not_decide(settings: Settings) -> None:
    exposed = dataclasses.replace(settings, web_host="0.0.0.0")
    # A plain-http request (or one claiming http through a header) still gets a Secure cookie ...
    assert _secure(_set_cookie_headers(exposed, **{"X-Forwarded-Proto": "http"}))
    # ... and a request that arrived as https does not make a loopback console's cookie Secure.
    assert not _secure(_set_cookie_headers(settings, base_url="https://testserver"))


def test_the_setting_is_read_from_the_environment_and_checked() -> None:
    assert load(environ={"SIAGA_WEB_SECURE_COOKIE": "true"}, config_file=None).web_secure_cookie == "true"
    bad = dataclasses.replace(Settings(), web_secure_cookie="sometimes")
    with pytest.raises(SettingsError, match="web_secure_cookie"):
        secure_cookies(bad)
