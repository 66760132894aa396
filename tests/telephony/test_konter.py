"""The consultation line's topic menu on the real chain: SIPp presses a key at the Konter's early-media
menu (SIP INFO in the early dialog) → Asterisk → the engine's plan → the topic's queue → a pjsua2 doctor.

dr1 and dr2 are on duty with different skills (written as `siaga sample load` writes staff.csv's `skills`
column); the engine's desk-member sync keeps each topic queue equal to the doctors on duty with that skill.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from desks.skills import write_skills
from desks.topics import topic_queue
from kernel.db import make_engine
from kernel.prompts import BY_NAME
from tests.telephony.conftest import DOCTORS, CallLab

pytestmark = pytest.mark.telephony

KONTER = "konter-semarang"
DR1, DR2 = DOCTORS
SOUNDS = "/srv/siaga/sounds"  # ${SIAGA_PROMPTS} inside Asterisk's root
# How Asterisk says a sound file is not there (main/file.c, and Playback/Read when streaming fails).
MISSING = re.compile(r"does not exist in any format|Unable to open .* \(format|ast_streamfile failed")
SKILLS = {DR1: frozenset({"penyakit", "faskes"}), DR2: frozenset({"apotek", "tarif"})}  # no one: dokter


def _given_skills(lab: CallLab) -> None:
    """The doctors' skills, and the topic queues' members once the sync has applied them."""
    with Session(make_engine(lab.settings.db_url)) as session, session.begin():
        write_skills(session, SKILLS)
    lab.given_on_duty(*DOCTORS)
    lab.wait_desk_members(KONTER, set(DOCTORS))
    for topic in ("penyakit", "faskes", "apotek", "tarif", "dokter"):
        lab.wait_desk_members(topic_queue(KONTER, topic), {d for d in DOCTORS if topic in SKILLS[d]})


def test_a_topic_key_reaches_a_doctor_with_that_skill(lab: CallLab) -> None:
    _given_skills(lab)
    assert lab.place("uac_topic_info.xml", "081240000004", "1500132", "4") == [DR2]  # 4: apotek
    record = lab.record("081240000004")
    assert [d["desk"] for d in record.plan["desks"]] == [f"{KONTER}--apotek", KONTER]
    assert record.overflow_path == f"{KONTER}--apotek", "answered in the topic's queue"
    assert (record.outcome, record.answered_by, record.desk) == ("answered", DR2, KONTER)

    assert lab.place("uac_topic_info.xml", "081240000001", "1500132", "1") == [DR1]  # 1: penyakit
    record = lab.record("081240000001")
    assert record.overflow_path == f"{KONTER}--penyakit" and record.answered_by == DR1


def test_a_key_off_the_menu_waits_at_the_plain_desk(lab: CallLab) -> None:
    _given_skills(lab)
    answered = lab.place("uac_topic_info.xml", "081240000009", "1500132", "9")
    assert len(answered) == 1 and answered[0] in DOCTORS
    record = lab.record("081240000009")
    assert [d["desk"] for d in record.plan["desks"]] == [KONTER]
    assert any("9 is not a topic" in n for n in record.plan["notes"])
    assert record.overflow_path == KONTER and record.outcome == "answered"


def test_a_topic_nobody_on_duty_has_moves_on_to_the_plain_desk_at_once(lab: CallLab) -> None:
    _given_skills(lab)
    answered = lab.place("uac_topic_info.xml", "081240000003", "1500132", "3")  # 3: dokter, nobody
    assert len(answered) == 1 and answered[0] in DOCTORS
    record = lab.record("081240000003")
    assert record.overflow_path == f"{KONTER}--dokter>{KONTER}"
    refused, plain = record.attempts
    # Refused on joining (JOINEMPTY), not after the topic's 60 s wait: the seconds are the greeting's.
    assert refused[:2] == (f"{KONTER}--dokter", "unavailable") and (refused[2] or 0) < 20, refused
    assert plain[0] in DOCTORS and plain[1] == "answered"


def _log_since(lab: CallLab, offset: int) -> str:
    log = lab.stack.asterisk.run_dir / "log" / "messages.log"
    with log.open("rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def test_the_prompts_of_a_call_are_played_and_none_is_missing(lab: CallLab) -> None:
    """Issue 16 point 2: what Asterisk itself logged as played (verbose 3), against kernel/prompts.py."""
    _given_skills(lab)
    log = lab.stack.asterisk.run_dir / "log" / "messages.log"
    start = log.stat().st_size
    # The 112 menu (1: health), then the kode pos question for a caller nobody can place, then the desk.
    lab.place("uac_dtmf_info.xml", "081240000112", "112", "1", "5", "0", "1", "6", "#")
    # The consultation line's topic menu (4: apotek), answered by the doctor with the skill.
    assert lab.place("uac_topic_info.xml", "081240000114", "1500132", "4") == [DR2]
    text = _log_since(lab, start)
    played = [p.rsplit(".", 1)[0] for p in re.findall(r"Playing '([^']+)'", text)]
    ours = [p.removeprefix(f"{SOUNDS}/") for p in played if p.startswith(f"{SOUNDS}/")]
    assert {"siaga-112", "siaga-lokasi", "siaga-meja-salam", "siaga-konter-topik"} <= set(ours), played
    assert [p for p in ours if p not in BY_NAME] == []
    # Nothing any call of this stack asked for was missing (the whole log, not just these two calls).
    missing = [line for line in _log_since(lab, 0).splitlines() if MISSING.search(line)]
    assert missing == []
