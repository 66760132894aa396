"""The `complaint-open` and `complaint-status` AGI scripts: the complaints line by phone (issue 12), at its
two moments in the dialplan (dialplans/siaga.conf, context siaga-complaints).

- `complaint-open,<category key>,<call id>[,hangup]`: the caller chose a category and spoke after the tone;
  Asterisk recorded it as `<call id>.wav` in the complaint recordings folder (setting
  `complaint_recordings_dir`; Asterisk's spool `recordings/aduan`). A recording with no voice in it (empty, or
  silence only) makes no complaint: the caller is told and may talk to an officer instead. A good one is
  stored (complaints/service.py) *before* SIAGA_COMPLAINT_STATUS=OK and SIAGA_COMPLAINT_NUMBER are set,
  so the number Asterisk reads out twice always exists. `hangup`: the caller hung up while speaking; the
  hangup handler still hands the recording in, so a complaint spoken and cut short is not lost (officers
  see the caller's number and can call back).
- `complaint-status,<digits>`: the caller typed a complaint number; SIAGA_COMPLAINT_STATUS is its status
  (one prompt per status), BAD for a number whose check digit is wrong, UNKNOWN for a well-formed number
  nobody was given.

Anything else (the database down, a bug) leaves SIAGA_COMPLAINT_STATUS empty: the dialplan then apologises
and puts the caller through to the complaints desk, so the call is never dropped because our code failed.

Variables (written here only; the dialplan reads them):
  SIAGA_COMPLAINT_STATUS  open: OK | EMPTY | empty (failed); status: a complaint status | BAD | UNKNOWN
  SIAGA_COMPLAINT_NUMBER  open: the new complaint's number (digits only)
"""

from __future__ import annotations

import logging
import re
import wave
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from agi.protocol import AgiSession
from complaints.service import ComplaintRules, open_complaint, public_status
from kernel.dataerrors import InputError, NotFound

log = logging.getLogger("siaga.agi.complaint")

COMPLAINT_STATUS = "SIAGA_COMPLAINT_STATUS"
COMPLAINT_NUMBER = "SIAGA_COMPLAINT_NUMBER"
EMPTY = "EMPTY"
BAD = "BAD"
UNKNOWN = "UNKNOWN"

_CALL_ID = re.compile(r"(?:[A-Za-z0-9_-]{1,32}-)?[0-9]{1,12}\.[0-9]{1,9}")
_KEY = re.compile(r"[1-9]")
_TYPED = re.compile(r"[0-9]{1,16}")

# Voice: 20 ms frames louder than this RMS (of 32,767) count as sound; a recording needs at least
# VOICED_S of them. Line noise and Asterisk's own silence sit far below; quiet speech far above.
FRAME_S = 0.02
SOUND_RMS = 300.0
VOICED_S = 0.4


def voiced_seconds(path: Path) -> float:
    """Seconds of sound in a 16-bit mono WAV (what Asterisk's Record writes for `.wav`); 0 for anything
    unreadable, so a broken file is treated as a silent one and no complaint is made of it."""
    try:
        with wave.open(str(path), "rb") as audio:
            if audio.getsampwidth() != 2 or audio.getnchannels() != 1:
                return 0.0
            rate = audio.getframerate()
            samples = np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2").astype(np.float64)
    except (OSError, EOFError, wave.Error):
        return 0.0
    frame = max(1, int(rate * FRAME_S))
    whole = len(samples) // frame * frame
    if whole == 0:
        return 0.0
    rms = np.sqrt(np.mean(samples[:whole].reshape(-1, frame) ** 2, axis=1))
    return float(np.count_nonzero(rms > SOUND_RMS)) * frame / rate


def caller_number(callerid: str) -> str:
    """The caller's number as Asterisk has it, if it is nothing but a number; else "" (kept unknown)."""
    text = callerid.strip()
    return text if re.fullmatch(r"\+?[0-9]{3,20}", text) else ""


def make_open_handler(
    make_db: Callable[[], Engine],
    recordings: Path,
    categories: Sequence[str],
    clock: Callable[[], datetime] | None = None,
    rules: ComplaintRules | None = None,
) -> Callable[[AgiSession], None]:
    """`categories` in the order of the keys the caller's menu offers them (1 = the first); `rules` the
    engine's own settings (None: read them as `siaga` does)."""
    now_of = clock or (lambda: datetime.now(UTC))
    engine: list[Engine] = []

    def complaint_open(session: AgiSession) -> None:
        args = session.args + [""] * 3
        key, call, hangup = args[0], args[1], args[2] == "hangup"
        if not _CALL_ID.fullmatch(call) or not _KEY.fullmatch(key) or int(key) > len(categories):
            session.log.warning("complaint refused: odd call id %r or category key %r", call[:40], key[:4])
            session.set_variable(COMPLAINT_STATUS, EMPTY)
            return
        category = categories[int(key) - 1]
        name = f"{call}.wav"
        voiced = voiced_seconds(recordings / name)
        if voiced < VOICED_S:
            session.log.info("call %s: no complaint made: %.1f s of voice in %s", call, voiced, name)
            session.set_variable(COMPLAINT_STATUS, EMPTY)
            return
        if not engine:
            engine.append(make_db())
        with Session(engine[0]) as db, db.begin():
            number = open_complaint(
                db,
                caller=caller_number(session.env.get("agi_callerid", "")),
                category=category,
                text="",
                facility=None,
                channel="phone",
                recording=name,
                now=now_of(),
                rules=rules,
            )
        session.log.info(
            "call %s: complaint %s (%s, %.1f s of voice)%s",
            call,
            number,
            category,
            voiced,
            " - the caller hung up while speaking" if hangup else "",
        )
        session.set_variable(COMPLAINT_NUMBER, number)
        session.set_variable(COMPLAINT_STATUS, "OK")

    return complaint_open


def make_status_handler(make_db: Callable[[], Engine]) -> Callable[[AgiSession], None]:
    engine: list[Engine] = []

    def complaint_status(session: AgiSession) -> None:
        typed = session.args[0] if session.args else ""
        if not _TYPED.fullmatch(typed):
            session.log.info("complaint status: %r is not a complaint number", typed[:20])
            session.set_variable(COMPLAINT_STATUS, BAD)
            return
        if not engine:
            engine.append(make_db())
        try:
            with Session(engine[0]) as db:
                found = public_status(db, typed)
        except NotFound:
            session.log.info("complaint status: no complaint %s", typed)
            session.set_variable(COMPLAINT_STATUS, UNKNOWN)
            return
        except InputError as exc:
            session.log.info("complaint status: %s refused: %s", typed, exc)
            session.set_variable(COMPLAINT_STATUS, BAD)
            return
        session.log.info("complaint %s: status %s told", typed, found.status)
        session.set_variable(COMPLAINT_STATUS, found.status)

    return complaint_status
