"""The complaints line on the real chain (issue 12): a SIPp caller presses 1, chooses a category, speaks a
complaint (PCMU audio from a file spoken by espeak-ng) and hears its number twice; the same caller calls
again, presses 2, types the number and hears its status. What the callers hear is read from Asterisk's own
log (each Playback and SayDigits is logged at verbose 3), not from our code's idea of what it asked for.
"""

from __future__ import annotations

import re
import subprocess
import time
import wave
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from agi.complaint import voiced_seconds
from complaints.model import ComplaintRow
from kernel.db import make_engine
from lab.sipp import place_calls
from tests.telephony.conftest import CallLab
from tests.telephony.rtp_events import call_pcap

pytestmark = pytest.mark.telephony

CALLER = "081240000501"
SPOKEN = "Saya menunggu tiga jam di puskesmas dan tidak ada petugas yang melayani."


def _speech(directory: Path) -> bytes:
    """A complaint spoken in Indonesian, as G.711 u-law at 8 kHz (what the caller's RTP carries)."""
    wav, raw = directory / "spoken.wav", directory / "spoken.ul"
    subprocess.run(["espeak-ng", "-v", "id", "-s", "165", "-w", str(wav), SPOKEN], check=True)
    subprocess.run(
        ["sox", str(wav), "-r", "8000", "-c", "1", "-e", "u-law", "-t", "raw", str(raw)], check=True
    )
    return raw.read_bytes()


def _prompt_s(lab: CallLab, name: str) -> float:
    with wave.open(str(lab.settings.prompts_dir / f"{name}.wav"), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def _call(lab: CallLab, timeline: list[tuple[float, str | bytes]]) -> tuple[int, list[str]]:
    """One call to the complaints number playing `timeline`, until Asterisk hangs up; SIPp's exit code
    and what Asterisk logged as played meanwhile (file names, in order)."""
    log = lab.stack.asterisk.run_dir / "log" / "messages.log"
    start = log.stat().st_size if log.exists() else 0
    lab.calls += 1
    out = lab.run_dir / f"sipp-{lab.calls}"
    out.mkdir(parents=True, exist_ok=True)
    call_pcap(timeline, out / "call.pcap")
    run = place_calls(
        [(CALLER, lab.settings.complaint_number)],
        out,
        sip_port=lab.settings.sip_port,
        scenario="uac_ivr_until_bye.xml",
        timeout_s=120,
    )
    time.sleep(0.3)
    with log.open("rb") as f:
        f.seek(start)
        text = f.read().decode("utf-8", "replace")
    return run.returncode, re.findall(r"Playing '([^']+)'", text)


def _said(played: list[str]) -> list[str]:
    """The prompts and digits played, as short names: `siaga-aduan-nomor`, `4`, …"""
    names = []
    for path in played:
        stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
        names.append(stem)
    return names


def test_a_spoken_complaint_gets_a_number_read_twice_and_its_status_by_phone(
    lab: CallLab, tmp_path: Path
) -> None:
    if not (lab.settings.prompts_dir / "siaga-aduan-rekam.wav").exists():
        pytest.fail("the IVR prompts are missing: run scripts/setup.sh (scripts/make-prompts.sh)")
    speech = _speech(tmp_path)
    # 1 at the menu, 3 (fasilitas) at the category menu: each interrupts its prompt. The message begins
    # once the recording prompt and Record's tone are over, and # ends it.
    speak_at = 2.4 + _prompt_s(lab, "siaga-aduan-rekam") + 1.0
    spoken_s = len(speech) / 8000
    code, played = _call(lab, [(0.8, "1"), (2.0, "3"), (speak_at, speech), (speak_at + spoken_s + 0.5, "#")])
    assert code == 0, "SIPp's caller did not get to Asterisk's goodbye"

    engine = make_engine(lab.settings.db_url)
    with Session(engine) as session:
        complaints = session.scalars(select(ComplaintRow).where(ComplaintRow.caller == CALLER)).all()
        assert len(complaints) == 1, complaints
        complaint = complaints[0]
        number, category, channel, recording = (
            complaint.number,
            complaint.category,
            complaint.channel,
            complaint.recording,
        )
    assert (category, channel) == ("fasilitas", "phone")
    assert re.fullmatch(r"[0-9]{8,10}", number)
    # The recording is the caller's voice: about as long as what was spoken, not silence.
    assert recording
    voiced = voiced_seconds(lab.settings.complaint_recordings_path / Path(recording).name)
    assert voiced > 0.5 * spoken_s * 0.5, f"only {voiced:.1f} s of voice in the recording"

    said = _said(played)
    assert "siaga-aduan-menu" in said and "siaga-aduan-kategori" in said and "siaga-aduan-rekam" in said
    first = said.index("siaga-aduan-nomor")
    again = said.index("siaga-aduan-ulang")
    assert said[first + 1 : first + 1 + len(number)] == list(number), said[first:]
    assert said[again + 1 : again + 1 + len(number)] == list(number), said[again:]
    assert said[again + 1 + len(number)] == "siaga-aduan-simpan"

    # Again, for its status: 2, then the number and #.
    code, played = _call(lab, [(0.8, "2"), (2.0, number + "#")])
    assert code == 0
    said = _said(played)
    assert "siaga-aduan-status-received" in said, said
    assert "siaga-aduan-tidak-dikenal" not in said

    # Both calls have their records, as the complaints service.
    records = [r for r in lab.records() if r.caller == CALLER]
    assert len(records) == 2 and {r.service for r in records} == {"complaints"}, records
