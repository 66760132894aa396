"""The console as `siaga web` serves it: the web app with the registrations of our Asterisk.

The console (`web`) knows no PBX; the composition here gives it one, for one process or for each
uvicorn worker (`siaga web --workers N`, which reads the settings the parent put in SIAGA_*).
"""

from __future__ import annotations

from fastapi import FastAPI

from kernel.settings import Settings, load
from lab.pbx import asterisk_registrations
from siaga.models import TABLE_MODULES  # noqa: F401  (every table on Base)
from web.app import build_services, create_app, serving
from web.directory.services import Registrations


def console_app(settings: Settings) -> FastAPI:
    services = build_services(settings, registrations=Registrations(asterisk_registrations(settings)))
    return serving(create_app(settings, services))


def console_from_environment() -> FastAPI:
    return console_app(load())
