"""Dispatch tests: pure builders, and a database with the sample region (units, crews, beds) prepared once
per session and copied for each test, so no test sees another's writes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

import siaga.models  # noqa: F401  (every table, as the app's entry points have them)
from kernel.db import make_engine
from kernel.settings import SAMPLE_REGION, Settings
from lab.sample import load_sample_roster, week_start
from tests.conftest import Databases


@pytest.fixture(scope="session")
def prepared_sample(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sample loaded once per backend (SQLite and PostgreSQL, tests/conftest.py); tests get copies."""
    url = databases.new(tmp_path_factory.mktemp("dispatch-sample"))
    engine = make_engine(url)
    load_sample_roster(engine, SAMPLE_REGION, SAMPLE_REGION / "facilities.csv", week_start(date.today()))
    engine.dispose()
    return url


@pytest.fixture
def sample_settings(prepared_sample: str, new_db: Callable[..., str], tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, db=new_db(like=prepared_sample))


@pytest.fixture
def sample_engine(sample_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(sample_settings.db_url)
    yield engine
    engine.dispose()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
