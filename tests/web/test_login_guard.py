"""Issue 17: logins are throttled per source address and per user name (refused before any password is
hashed, so a flood cannot burn CPU on scrypt), and every login, failed or not, is in the audit log."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORDS
from web.logins import LoginThrottle


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every scrypt the app computes."""
    calls: list[int] = []
    real: Callable[..., bytes] = hashlib.scrypt

    def counting(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def _login(client: TestClient, name: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/api/login", json={"name": name, "password": password})


def _audit(app: FastAPI) -> list[dict]:
    with TestClient(app) as admin:
        assert _login(admin, "admin", PASSWORDS["admin"]).status_code == 200
        return admin.get("/api/audit", params={"limit": 1000}).json()["entries"]


def test_logins_failed_and_successful_are_audited(app: FastAPI) -> None:
    with TestClient(app) as client:
        assert _login(client, "kota", "wrong-password").status_code == 422
        assert _login(client, "nobody", "wrong-password").status_code == 422
        assert _login(client, "kota", PASSWORDS["kota"]).status_code == 200
    entries = [(e["action"], e["user_name"]) for e in reversed(_audit(app))]
    assert entries[:3] == [("login-failed", "kota"), ("login-failed", "nobody"), ("login", "kota")]
    failed = next(e for e in _audit(app) if e["action"] == "login-failed")
    assert "testclient" in failed["summary"]  # the source address


def test_a_name_is_throttled_before_its_password_is_hashed(app: FastAPI, hashes: list[int]) -> None:
    with TestClient(app) as client:
        for _ in range(LoginThrottle.PER_NAME):
            assert _login(client, "kota", "wrong-password").status_code == 422
        spent = len(hashes)
        for _ in range(50):
            refused = _login(client, "kota", PASSWORDS["kota"])  # even the right password waits
            assert refused.status_code == 429, refused.text
        assert int(refused.headers["Retry-After"]) > 0
        assert "too many" in refused.json()["errors"][0]["reason"]
        assert len(hashes) == spent, "a throttled attempt computed a hash"
        # Others are not locked out by kota's attacker (the address has failures to spare).
        assert _login(client, "kabsmg", PASSWORDS["kabsmg"]).status_code == 200
    throttled = [e for e in _audit(app) if e["action"] == "login-throttled"]
    assert len(throttled) == 1, "a flood of refusals is audited once, not once per attempt"


def test_an_address_is_throttled_whatever_names_it_tries(app: FastAPI, hashes: list[int]) -> None:
    with TestClient(app) as client:
        for n in range(LoginThrottle.PER_ADDRESS):
            assert _login(client, f"guess{n}", "wrong-password").status_code == 422
        spent = len(hashes)
        assert _login(client, "guess-more", "wrong-password").status_code == 429
        assert _login(client, "kota", PASSWORDS["kota"]).status_code == 429
        assert len(hashes) == spent


def test_the_login_form_is_throttled_and_audited_too(app: FastAPI) -> None:
    with TestClient(app) as client:

        def form(password: str):  # type: ignore[no-untyped-def]
            page = client.get("/login")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            return client.post(
                "/login",
                data={"name": "kota", "password": password, "csrf_token": token, "next": "/"},
                follow_redirects=False,
            )

        for _ in range(LoginThrottle.PER_NAME):
            assert form("wrong-password").status_code == 401
        refused = form(PASSWORDS["kota"])
        assert refused.status_code == 429 and "siaga_session" not in refused.cookies
        assert "Terlalu banyak gagal masuk" in refused.text  # "too many failed logins", in Indonesian
    actions = [e["action"] for e in _audit(app)]
    assert actions.count("login-failed") == LoginThrottle.PER_NAME and "login-throttled" in actions


def test_concurrent_password_checks_are_capped(app: FastAPI, hashes: list[int]) -> None:
    """Many addresses at once (a botnet) pass the per-key limits: at most `max_hashing` scrypts run at a
    time, and an attempt that finds every slot taken is refused at once, not queued."""
    throttle: LoginThrottle = app.state.services.logins.throttle
    held = [throttle.hash_slot() for _ in range(throttle.max_hashing)]
    assert all(held)
    try:
        with TestClient(app) as client:
            busy = _login(client, "kota", PASSWORDS["kota"])
            assert busy.status_code == 429 and busy.headers["Retry-After"] == "1"
            assert hashes == []
    finally:
        for _ in held:
            throttle.release_hash_slot()
    with TestClient(app) as client:
        assert _login(client, "kota", PASSWORDS["kota"]).status_code == 200


def test_the_throttle_keeps_bounded_memory() -> None:
    clock = [0.0]
    throttle = LoginThrottle(max_keys=100, clock=lambda: clock[0])
    for n in range(5000):
        throttle.failed(f"10.0.{n // 250}.{n % 250}", f"user{n}")
    assert throttle.tracked() <= 2 * 100
    # Within the window the newest keys are still counted; after it nothing is held against anyone.
    for _ in range(LoginThrottle.PER_NAME):
        throttle.failed("10.9.9.9", "victim")
    assert throttle.refusal("10.9.9.8", "victim") is not None
    clock[0] += LoginThrottle.WINDOW_S + 1
    assert throttle.refusal("10.9.9.8", "victim") is None
