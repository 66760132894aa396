"""`siaga user add` and `siaga web` as an operator runs them (no TTY: the password comes on stdin)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from kernel.settings import Settings

SIAGA = str(Path(sys.executable).parent / "siaga")


def _siaga(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SIAGA, *args, "--data-dir", str(settings.data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_user_add_checks_its_input(settings: Settings) -> None:
    added = _siaga(
        settings, "user", "add", "dinkes-kota", "--role", "supervisor", "--kabupaten", "33.74",
        "--password-stdin", stdin="a-long-password\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "supervisor of 33.74" in added.stdout
    again = _siaga(
        settings, "user", "add", "dinkes-kota", "--role", "viewer", "--password-stdin", stdin="x" * 12
    )
    assert again.returncode == 2 and "already exists" in again.stderr
    nowhere = _siaga(
        settings, "user", "add", "sup2", "--role", "supervisor", "--kabupaten", "99.99",
        "--password-stdin", stdin="a-long-password\n",
    )  # fmt: skip
    assert nowhere.returncode == 2 and "unknown kabupaten '99.99'" in nowhere.stderr
    short = _siaga(
        settings, "user", "add", "sup3", "--role", "supervisor", "--password-stdin", stdin="short\n"
    )
    assert short.returncode == 2
    assert "kabupaten: a supervisor needs at least one kabupaten" in short.stderr
    assert "password: at least 8 characters" in short.stderr


def test_siaga_web_serves_the_console_and_a_new_user_logs_in(settings: Settings) -> None:
    created = _siaga(
        settings,
        "user",
        "add",
        "first-admin",
        "--role",
        "admin",
        "--password-stdin",
        stdin="admin-secret-1\n",
    )
    assert created.returncode == 0, created.stderr
    port = settings.web_port
    server = subprocess.Popen(
        [SIAGA, "web", "--data-dir", str(settings.data_dir), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "siaga web did not answer"
            time.sleep(0.2)
        with httpx.Client(base_url=base) as client:
            login = client.post("/api/login", json={"name": "first-admin", "password": "admin-secret-1"})
            assert login.status_code == 200 and login.json()["role"] == "admin"
            assert client.get("/api/facilities").status_code == 200
            assert "/api/calls" in client.get("/openapi.json").json()["paths"]
    finally:
        server.terminate()
        server.wait(timeout=15)
