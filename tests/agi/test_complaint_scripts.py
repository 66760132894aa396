"""The complaints line's AGI scripts (agi/complaint.py) through the FastAGI server, with the fake Asterisk:
a recording with a voice makes a complaint and its number; silence, an empty file or no file makes none;
a typed number is told apart as known, mistyped (check digit) or unknown; a broken database leaves the
status empty, which the dialplan answers with an officer. The real chain is tests/telephony/
test_complaints_phone.py."""

from __future__ import annotations

import math
import struct
import wave
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from agi.complaint import (
    BAD,
    COMPLAINT_NUMBER,
    COMPLAINT_STATUS,
    EMPTY,
    UNKNOWN,
    make_open_handler,
    make_status_handler,
    voiced_seconds,
)
from agi.scripts import ScriptTable
from agi.server import FastAgiServer
from agi.testing import FakeAsterisk
from complaints.model import ComplaintRow
from complaints.numbers import new_number
from complaints.service import public_status
from kernel.db import make_engine
from siaga.models import TABLE_MODULES  # noqa: F401  (every table on Base)

CATEGORIES = ("pelayanan", "petugas", "fasilitas", "obat", "biaya", "lainnya")
CALL = "1796000000.42"


def _wav(path: Path, seconds: float, amplitude: int) -> Path:
    """A 16-bit 8 kHz mono WAV, as Asterisk's Record writes: a 300 Hz tone (or silence at amplitude 0)."""
    frames = int(seconds * 8000)
    samples = (int(amplitude * math.sin(2 * math.pi * 300 * n / 8000)) for n in range(frames))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


def test_voice_is_told_from_silence_and_from_broken_files(tmp_path: Path) -> None:
    assert voiced_seconds(_wav(tmp_path / "voice.wav", 2.0, 8000)) == pytest.approx(2.0, abs=0.05)
    assert voiced_seconds(_wav(tmp_path / "hiss.wav", 2.0, 150)) == 0.0
    assert voiced_seconds(_wav(tmp_path / "empty.wav", 0.0, 0)) == 0.0
    (tmp_path / "junk.wav").write_bytes(b"RIFF\x00\x00not a wave")
    assert voiced_seconds(tmp_path / "junk.wav") == 0.0
    assert voiced_seconds(tmp_path / "missing.wav") == 0.0


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'siaga.db'}")


@pytest.fixture
def agi(start_server: Callable[..., FastAgiServer], db: Engine, tmp_path: Path) -> tuple[FakeAsterisk, Path]:
    recordings = tmp_path / "aduan"
    recordings.mkdir()
    scripts = ScriptTable()
    clock = lambda: datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # noqa: E731
    scripts.register("complaint-open", make_open_handler(lambda: db, recordings, CATEGORIES, clock))
    scripts.register("complaint-status", make_status_handler(lambda: db))
    server = start_server(scripts=scripts, call_timeout_s=5.0)
    return FakeAsterisk("127.0.0.1", server.port, timeout_s=5.0), recordings


def test_a_voiced_recording_makes_a_complaint_with_a_number(
    agi: tuple[FakeAsterisk, Path], db: Engine
) -> None:
    fake, recordings = agi
    _wav(recordings / f"{CALL}.wav", 3.0, 6000)
    result = fake.call("complaint-open", ("3", CALL), env={"agi_uniqueid": CALL})
    assert result.variables[COMPLAINT_STATUS] == "OK", result
    number = result.variables[COMPLAINT_NUMBER]
    with Session(db) as session:
        found = public_status(session, number)
    assert (found.status, found.category) == ("received", "fasilitas")

    told = fake.call("complaint-status", (number,))
    assert told.variables[COMPLAINT_STATUS] == "received"


@pytest.mark.parametrize("seconds,amplitude", [(3.0, 0), (3.0, 120), (0.1, 9000)])
def test_silence_or_a_breath_makes_no_complaint(
    agi: tuple[FakeAsterisk, Path], db: Engine, seconds: float, amplitude: int
) -> None:
    fake, recordings = agi
    _wav(recordings / f"{CALL}.wav", seconds, amplitude)
    result = fake.call("complaint-open", ("1", CALL), env={"agi_uniqueid": CALL})
    assert result.variables[COMPLAINT_STATUS] == EMPTY
    assert COMPLAINT_NUMBER not in result.variables
    with Session(db) as session:
        assert session.scalar(select(func.count()).select_from(ComplaintRow)) == 0


def test_a_missing_recording_or_an_odd_key_makes_no_complaint(agi: tuple[FakeAsterisk, Path]) -> None:
    fake, recordings = agi
    assert fake.call("complaint-open", ("1", CALL)).variables[COMPLAINT_STATUS] == EMPTY  # no file
    _wav(recordings / f"{CALL}.wav", 3.0, 6000)
    for key in ("0", "7", "x", ""):
        assert fake.call("complaint-open", (key, CALL)).variables[COMPLAINT_STATUS] == EMPTY, key
    assert fake.call("complaint-open", ("1", "../../etc/passwd")).variables[COMPLAINT_STATUS] == EMPTY


def test_a_typed_number_is_known_mistyped_or_unknown(agi: tuple[FakeAsterisk, Path]) -> None:
    fake, recordings = agi
    _wav(recordings / f"{CALL}.wav", 3.0, 6000)
    number = fake.call("complaint-open", ("1", CALL)).variables[COMPLAINT_NUMBER]
    wrong_check = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert fake.call("complaint-status", (wrong_check,)).variables[COMPLAINT_STATUS] == BAD
    assert fake.call("complaint-status", ("12ab",)).variables[COMPLAINT_STATUS] == BAD
    assert fake.call("complaint-status", ("",)).variables[COMPLAINT_STATUS] == BAD
    # A well-formed number (its check digit right) that nobody was given.
    assert fake.call("complaint-status", (new_number(9999),)).variables[COMPLAINT_STATUS] == UNKNOWN


def test_a_database_that_fails_leaves_the_status_empty(
    start_server: Callable[..., FastAgiServer], tmp_path: Path
) -> None:
    """The dialplan hears "" and puts the caller through to an officer: never a lost call."""
    broken = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'none.db'}")
    recordings = tmp_path / "aduan"
    recordings.mkdir()
    _wav(recordings / f"{CALL}.wav", 3.0, 6000)
    scripts = ScriptTable()
    scripts.register("complaint-open", make_open_handler(lambda: broken, recordings, CATEGORIES))
    scripts.register("complaint-status", make_status_handler(lambda: broken))
    fake = FakeAsterisk("127.0.0.1", start_server(scripts=scripts, call_timeout_s=5.0).port, timeout_s=5.0)
    assert COMPLAINT_STATUS not in fake.call("complaint-open", ("1", CALL)).variables
    assert COMPLAINT_STATUS not in fake.call("complaint-status", (new_number(5),)).variables
