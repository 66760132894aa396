"""Fixtures for the softphone tests: a private Asterisk (never skipped: missing pieces fail loudly)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from softphone_rig import (
    FLEET_OPERATORS,
    SOLO_OPERATORS,
    AsteriskRig,
    RigError,
    require_asterisk_root,
    start_asterisk,
)


@pytest.fixture(scope="session")
def asterisk_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsteriskRig]:
    try:
        require_asterisk_root()
    except RigError as exc:
        pytest.fail(str(exc), pytrace=False)
    if shutil.which("sipp") is None:
        pytest.fail("sipp not found: apt-get install sip-tester", pytrace=False)
    run_dir: Path = tmp_path_factory.mktemp("asterisk-rig")
    try:
        rig = start_asterisk(run_dir, FLEET_OPERATORS + SOLO_OPERATORS)
    except RigError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield rig
    finally:
        rig.stop()
