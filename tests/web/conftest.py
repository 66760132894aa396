"""The web console under test: a real database with the sample region (plus a second kabupaten, so
access across kabupaten can be tested), users of every role, and the app served by uvicorn on a free port
for the browser tests.

Each test gets its own copy of a database prepared once per session, so tests never see each other's
roster changes and never touch a developer's data.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy.orm import Session

from geo.areas import Area
from geo.facilities import Facility
from geo.store import write_areas, write_facilities
from kernel.db import make_engine
from kernel.settings import Settings
from lab.sample import load_sample_roster, week_start
from shifts.roster_csv import ParsedRoster, StaffRow
from shifts.store import write_roster
from tests.web.browser import browser, page  # noqa: F401  (fixtures for the browser tests)
from web.access import add_user
from web.app import build_services, create_app
from web.directory.services import Registrations

# A second kabupaten south of Kota Semarang (Kabupaten Semarang, Ungaran), with one puskesmas.
OTHER_KABUPATEN = "33.22"
OTHER_FACILITY = "pkm-ungaran"
OTHER_STAFF = "pkm-ungaran-op1"
KOTA = "33.74"

PASSWORDS = {
    "admin": "admin-password-1",
    "kota": "kota-password-1",  # supervisor of Kota Semarang
    "kabsmg": "kabsmg-password-1",  # supervisor of Kabupaten Semarang
    "viewer": "viewer-password-1",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _add_other_kabupaten(settings: Settings) -> None:
    engine = make_engine(settings.db_url)
    with Session(engine) as session, session.begin():
        write_areas(
            session,
            [
                Area(
                    OTHER_KABUPATEN,
                    "Kabupaten Semarang",
                    "kabupaten",
                    "33",
                    box(110.36, -7.20, 110.46, -7.10),
                ),
                Area(
                    "33.22.01",
                    "Ungaran Barat",
                    "kecamatan",
                    OTHER_KABUPATEN,
                    box(110.36, -7.20, 110.46, -7.10),
                ),
            ],
        )
        write_facilities(
            session,
            [
                Facility(
                    OTHER_FACILITY,
                    "Puskesmas Ungaran",
                    "puskesmas",
                    -7.14,
                    110.40,
                    "33.22.01",
                    "Asia/Jakarta",
                )
            ],
        )
        staff = StaffRow(OTHER_STAFF, "Wulan Sari", "operator", OTHER_STAFF, OTHER_FACILITY)
        write_roster(session, ParsedRoster([staff], []))


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample region, this week's sample roster, a second kabupaten and one user of each role."""
    data_dir = tmp_path_factory.mktemp("web-template")
    settings = dataclasses.replace(Settings(), data_dir=data_dir)
    engine = make_engine(settings.db_url)
    load_sample_roster(engine, settings.region_dir, settings.facilities_path, week_start(date.today()))
    _add_other_kabupaten(settings)
    known = {KOTA, OTHER_KABUPATEN}
    with Session(engine) as session, session.begin():
        add_user(session, "admin", "admin", [], PASSWORDS["admin"], known)
        add_user(session, "kota", "supervisor", [KOTA], PASSWORDS["kota"], known)
        add_user(session, "kabsmg", "supervisor", [OTHER_KABUPATEN], PASSWORDS["kabsmg"], known)
        add_user(session, "viewer", "viewer", [], PASSWORDS["viewer"], known)
    with engine.connect() as connection:  # everything into the main file, so a plain copy has it all
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return data_dir / "siaga.db"


@pytest.fixture
def settings(template_db: Path, tmp_path: Path) -> Settings:
    shutil.copy(template_db, tmp_path / "siaga.db")
    return dataclasses.replace(Settings(), data_dir=tmp_path, web_port=free_port())


def no_asterisk() -> set[str] | None:
    return None


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings, build_services(settings, registrations=Registrations(no_asterisk)))


@dataclasses.dataclass
class ApiUser:
    """A logged-in API client and its CSRF token."""

    client: TestClient
    csrf: str

    def headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf}

    def post(self, url: str, headers: dict[str, str] | None = None, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.post(url, headers={**self.headers(), **(headers or {})}, **kw)  # type: ignore[arg-type]

    def delete(self, url: str):  # type: ignore[no-untyped-def]
        return self.client.delete(url, headers=self.headers())

    def patch(self, url: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.patch(url, headers=self.headers(), **kw)  # type: ignore[arg-type]

    def get(self, url: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kw)  # type: ignore[arg-type]


@pytest.fixture
def login(app: FastAPI) -> Iterator:  # type: ignore[type-arg]
    clients: list[TestClient] = []

    def as_user(name: str) -> ApiUser:
        client = TestClient(app)
        clients.append(client)
        answer = client.post("/api/login", json={"name": name, "password": PASSWORDS[name]})
        assert answer.status_code == 200, answer.text
        return ApiUser(client, answer.json()["csrf_token"])

    yield as_user
    for client in clients:
        client.close()


class ServedApp:
    """uvicorn serving the app in a thread, stopped cleanly at the end of the test."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def served(app: FastAPI, settings: Settings) -> Iterator[ServedApp]:
    with ServedApp(app, settings.web_port) as running:
        yield running
