"""Shared data for geo tests: a small synthetic country, generated and imported once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from geo.importers import import_areas, import_callers, import_facilities
from kernel.db import make_engine
from lab.synthetic import SyntheticSpec, generate


@pytest.fixture(scope="session")
def small_country(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """areas.geojson, facilities.csv, callers.csv at 1 % of the national counts."""
    out = tmp_path_factory.mktemp("synthetic")
    generate(out, SyntheticSpec().scaled(0.01))
    return out


@pytest.fixture(scope="session")
def small_country_db(small_country: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('syndb') / 'siaga.db'}")
    import_areas(engine, small_country / "areas.geojson")
    import_facilities(engine, small_country / "facilities.csv")
    import_callers(engine, small_country / "callers.csv")
    return engine


def feature(code: str, level: str, parent: str | None, geometry: dict | None, name: str = "") -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name or f"Area {code}", "level": level, "parent": parent},
        "geometry": geometry,
    }


def square(lon: float, lat: float, size: float) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def write_collection(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path
