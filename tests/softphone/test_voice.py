"""Voice through the real Asterisk, both ways: one operator calls another by name (`siaga-operators`,
the context every operator phone dials from), each side plays its own tone into the call and records
what it hears, and each recording must hold the other side's tone and not its own.

Two accounts of one pjsua2 process (one Endpoint per process), on the softphone tests' shared Asterisk:
a second or two of audio, no new Asterisk."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from softphone_rig import OPERATOR_PASSWORD, AsteriskRig

from softphone.events import Event
from softphone.media import read_wav, tone_level, write_tone
from softphone.phone import CallAudio, Softphone

pytestmark = pytest.mark.telephony

CALLER, OPERATOR = "pkm-solo-7", "pkm-solo-8"  # solo accounts: no bot holds them
CALLER_TONE, OPERATOR_TONE = 1000.0, 600.0
TALK_S = 2.0


def _wait(events: list[Event], predicate: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not any(predicate(e) for e in events):  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what} within {timeout_s:g} s: {events}"
        time.sleep(0.05)


def _heard(path: Path, expected: float, other: float) -> tuple[float, float]:
    """(tone-to-other-tone power ratio, RMS) of the steady middle of a recording."""
    samples, rate = read_wav(path)
    assert len(samples) > rate, f"{path}: {len(samples)} samples at {rate} Hz (under a second)"
    middle = samples[len(samples) // 4 : 3 * len(samples) // 4]
    level = tone_level(middle, rate, expected, [other, 400.0, 1500.0])
    return level.ratio, level.rms


def test_a_tone_crosses_asterisk_each_way(asterisk_rig: AsteriskRig, tmp_path: Path) -> None:
    caller_tone = write_tone(tmp_path / "caller-1000.wav", CALLER_TONE, 3.0)
    operator_tone = write_tone(tmp_path / "operator-600.wav", OPERATOR_TONE, 3.0)
    heard_by_operator, heard_by_caller = tmp_path / "operator-heard.wav", tmp_path / "caller-heard.wav"
    events: list[Event] = []
    with Softphone(on_event=events.append) as phone:
        phone.add_operator(CALLER, OPERATOR_PASSWORD, asterisk_rig.server, auto_answer=False)
        phone.add_operator(OPERATOR, OPERATOR_PASSWORD, asterisk_rig.server)
        assert phone.wait_registered(10), phone.registrations()
        assert phone.audio_outcome.null  # tests never open a sound card
        phone.set_call_audio(CALLER, CallAudio(play=caller_tone, record=heard_by_caller))
        phone.set_call_audio(OPERATOR, CallAudio(play=operator_tone, record=heard_by_operator))

        phone.dial(CALLER, OPERATOR)
        _wait(events, lambda e: e["event"] == "answered" and e["account"] == OPERATOR, 10, "no answer")
        # What Asterisk bridged: G.711 on both legs (the pjsua2 build has no opus).
        channels = [
            line.split("!", 1)[0] for line in asterisk_rig.cli("core show channels concise").splitlines()
        ]
        assert sorted(c.rsplit("-", 1)[0] for c in channels if c) == [f"PJSIP/{CALLER}", f"PJSIP/{OPERATOR}"]
        time.sleep(TALK_S)
        formats = asterisk_rig.cli(f"core show channel {channels[0]}")
        phone.hangup_all()
        _wait(events, lambda e: e["event"] == "disconnected" and e["account"] == CALLER, 10, "no hang-up")
        phone.stop_recordings()

    assert "ulaw" in formats or "alaw" in formats, formats
    ratio, rms = _heard(heard_by_operator, CALLER_TONE, OPERATOR_TONE)
    assert rms > 1000 and ratio > 50, f"operator heard the caller's 1 kHz: ratio {ratio:.1f}, rms {rms:.0f}"
    ratio, rms = _heard(heard_by_caller, OPERATOR_TONE, CALLER_TONE)
    assert rms > 1000 and ratio > 50, f"caller heard the operator's 600 Hz: ratio {ratio:.1f}, rms {rms:.0f}"


def test_silence_is_not_taken_for_a_tone(tmp_path: Path) -> None:
    """The detector itself: a recording of the other tone, or of nothing, does not pass."""
    samples, rate = read_wav(write_tone(tmp_path / "600.wav", OPERATOR_TONE, 1.0))
    assert tone_level(samples, rate, CALLER_TONE, [OPERATOR_TONE]).ratio < 0.01
    assert tone_level(samples, rate, OPERATOR_TONE, [CALLER_TONE]).ratio > 100
    assert tone_level([0] * rate, rate, CALLER_TONE, [OPERATOR_TONE]).rms == 0


def test_asterisk_offers_opus_where_both_ends_have_it(asterisk_rig: AsteriskRig) -> None:
    """Our Asterisk root has the open-source Opus codec loaded, and operator endpoints allow it (after
    G.711 from a G.711 caller, so a caller is never transcoded for nothing)."""
    modules = asterisk_rig.cli("module show like opus")
    assert "codec_opus_open_source.so" in modules and "Running" in modules, modules
    endpoint = asterisk_rig.cli("pjsip show endpoint pkm-solo-7")
    allow = next(line for line in endpoint.splitlines() if line.strip().startswith("allow "))
    assert "opus" in allow and "ulaw" in allow, allow
