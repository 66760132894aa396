"""The operator's softphone on a real ALSA device, through the real Asterisk, without a sound card.

ALSA's `file` plugin makes the device: what the softphone plays goes to a file, what it captures comes
from one (an asoundrc the test writes, given to the softphone by ALSA_CONFIG_PATH). Over the `null`
plugin such a device has no clock of its own (it took 110 MB/s of audio, thousands of times real time), so
both files are FIFOs that this test drains and fills at the device's own rate, as a sound card would: a
headset the test can hear and speak into.

The operator is `python -m softphone --audio-device siagatest` (the CLI an operator runs; `siaga
softphone` adds only the stored secrets), answering a call from a pjsua2 account of this process that
plays a 1 kHz tone and records; the operator's "microphone" says 600 Hz. The caller's tone must come
out of the ALSA device, and the microphone's tone must reach the caller's recording.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from softphone_rig import OPERATOR_PASSWORD, AsteriskRig

from softphone.events import Event
from softphone.media import read_wav, tone_level, write_tone
from softphone.phone import CallAudio, Softphone
from softphone.sound_driver import DRIVER_ENV, driver_path, load_alsa

pytestmark = pytest.mark.telephony

CALLER, OPERATOR = "pkm-solo-5", "pkm-solo-6"
CALLER_TONE, MIC_TONE = 1000.0, 600.0
# Turns, as in a conversation: the caller's tone, then silence while the operator speaks on. The operator
# "speaks" in bursts (0.3 s of tone, 0.2 s of silence), as a voice does: the softphone keeps pjsua's echo
# canceller on (right for an operator at speakers), and its noise suppressor took a steady 600 Hz for
# noise, fading it to nothing within two seconds (measured; with the canceller off it came through whole).
CALLER_SPEAKS_S, TALK_S = 1.5, 3.5
BURST_S, BURST_EVERY_S = 0.3, 0.5
DEVICE = "siagatest"
ALSA_CONF = Path("/usr/share/alsa/alsa.conf")  # ALSA's own configuration, which ours is added to
F_SETPIPE_SZ = 1031  # fcntl: a small pipe is a small latency (the device's buffer, not seconds)
WAV_HEADER = 44


@pytest.fixture(scope="module", autouse=True)
def alsa_driver() -> None:
    if not driver_path().is_file():
        pytest.fail(f"no ALSA sound driver at {driver_path()}: run scripts/build-pjsua2.sh", pytrace=False)
    if not ALSA_CONF.is_file():
        pytest.fail(f"{ALSA_CONF} missing: apt-get install libasound2-data", pytrace=False)


def _asoundrc(path: Path, playback: Path, capture: Path, name: str = DEVICE) -> Path:
    """One device, `siagatest`: playback written to `playback` as WAV (its header tells the rate the
    softphone chose), capture read raw from `capture` (the file plugin's input side is raw only)."""
    path.write_text(
        f"pcm.{name} {{\n"
        "    type asym\n"
        f'    playback.pcm {{ type file; slave.pcm "null"; file "{playback}"; format "wav" }}\n'
        f'    capture.pcm {{ type file; slave.pcm "null"; file "/dev/null"; infile "{capture}";'
        ' format "raw" }\n'
        '    hint { show on; description "siaga test headset" }\n'
        "}\n"
    )
    return path


def _tone_then_silence(path: Path, tone_hz: float, tone_s: float, silence_s: float) -> Path:
    samples, rate = read_wav(write_tone(path, tone_hz, tone_s))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples) + bytes(2 * int(silence_s * rate)))
    return path


def _alsa_env(asoundrc: Path) -> dict[str, str]:
    return {**os.environ, "ALSA_CONFIG_PATH": f"{ALSA_CONF}:{asoundrc}"}


class FifoHeadset:
    """Drains the playback FIFO and fills the capture FIFO in real time at the device's rate. Both are
    held open read-write by us, so the softphone's opens never block and a device closed and opened
    again (pjsua closes an idle one) finds them as before."""

    def __init__(self, folder: Path, mic_tone_hz: float) -> None:
        self.playback, self.capture = folder / "speaker.fifo", folder / "mic.fifo"
        for fifo in (self.playback, self.capture):
            os.mkfifo(fifo)
        self._out = os.open(self.playback, os.O_RDWR | os.O_NONBLOCK)
        self._in = os.open(self.capture, os.O_RDWR | os.O_NONBLOCK)
        for fd in (self._out, self._in):
            fcntl.fcntl(fd, F_SETPIPE_SZ, 4096)
        self._tone_hz = mic_tone_hz
        self.played = bytearray()  # everything the softphone played, WAV headers included
        self.rate: int | None = None
        self._rate_known = threading.Event()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=f, daemon=True) for f in (self._speaker, self._mic)]
        for thread in self._threads:
            thread.start()

    def _speaker(self) -> None:
        # A token bucket at the device's pace (2 bytes a sample), topped at 100 ms: a device that was
        # closed for a while must not be drained faster than real time when it opens again.
        tokens, last = float(WAV_HEADER), time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if self.rate is not None:
                cap = self.rate * 2 * 0.1 + 2 * WAV_HEADER
                tokens = min(cap, tokens + (now - last) * self.rate * 2)
            last = now
            if tokens >= 2 and select.select([self._out], [], [], 0.01)[0]:
                try:
                    data = os.read(self._out, int(tokens))
                except BlockingIOError:
                    data = b""
                self.played += data
                tokens -= len(data)
            if self.rate is None and len(self.played) >= WAV_HEADER:
                channels, rate = struct.unpack_from("<HI", self.played, 22)
                bits = struct.unpack_from("<H", self.played, 34)[0]
                assert self.played[:4] == b"RIFF" and (channels, bits) == (1, 16), bytes(
                    self.played[:WAV_HEADER]
                )
                self.rate = rate
                self._rate_known.set()
            time.sleep(0.01)

    def _mic(self) -> None:
        if not self._rate_known.wait(30) or self.rate is None:
            return
        rate = self.rate
        chunk_frames = rate // 50  # 20 ms
        n = 0
        started = time.monotonic()
        while not self._stop.is_set():
            loud = (n / rate) % BURST_EVERY_S < BURST_S
            chunk = b"".join(
                struct.pack("<h", int(loud * 12000 * math.sin(2 * math.pi * self._tone_hz * (n + i) / rate)))
                for i in range(chunk_frames)
            )
            with contextlib.suppress(BlockingIOError):  # a full pipe (no one capturing) drops it, like a mic
                os.write(self._in, chunk)
            n += chunk_frames
            time.sleep(max(0.0, started + n / rate - time.monotonic()))

    def close(self) -> None:
        self._stop.set()
        self._rate_known.set()  # the microphone may still be waiting for a rate
        for thread in self._threads:
            thread.join(5)
        os.close(self._out)
        os.close(self._in)

    def played_samples(self) -> list[int]:
        """The played audio without the WAV headers (one per opening of the device)."""
        raw, out = bytes(self.played), bytearray()
        start = 0
        while (at := raw.find(b"RIFF", start)) >= 0:
            out += raw[start:at]
            start = at + WAV_HEADER
        out += raw[start:]
        return list(struct.unpack(f"<{len(out) // 2}h", out[: len(out) // 2 * 2]))


def _seconds_with(
    samples: list[int], rate: int, tone: float, other: float, window_s: float
) -> tuple[float, float]:
    """(Longest stretch, total) in seconds of the windows in which `tone` is loud and clean."""
    window, best, run, total = int(rate * window_s), 0, 0, 0
    for start in range(0, len(samples) - window + 1, window):
        level = tone_level(samples[start : start + window], rate, tone, [other, 400.0, 1500.0])
        present = level.rms > 1000 and level.ratio > 50
        run, total = (run + 1, total + 1) if present else (0, total)
        best = max(best, run)
    return best * window_s, total * window_s


@pytest.fixture
def headset(tmp_path: Path) -> Iterator[FifoHeadset]:
    device = FifoHeadset(tmp_path, MIC_TONE)
    try:
        yield device
    finally:
        device.close()


def _wait(events: list[Event], predicate: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not any(predicate(e) for e in events):  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what} within {timeout_s:g} s: {events}"
        time.sleep(0.05)


def _lines(stream: object, into: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.append(line)


@pytest.mark.parametrize(
    ("pcm", "options"),
    [(DEVICE, ["--audio-device", DEVICE]), ("!default", [])],
    ids=["audio-device-named", "system-default"],
)
def test_an_operator_hears_and_is_heard_through_an_alsa_device(
    asterisk_rig: AsteriskRig, headset: FifoHeadset, tmp_path: Path, pcm: str, options: list[str]
) -> None:
    """Named (`--audio-device siagatest`), and with no option at all: then ALSA's `default`, which the
    asoundrc makes our device, as a desktop's own configuration points it at the headset."""
    asoundrc = _asoundrc(tmp_path / "asoundrc", headset.playback, headset.capture, name=pcm)
    operator = subprocess.Popen(
        [sys.executable, "-m", "softphone", "--user", OPERATOR, "--password", OPERATOR_PASSWORD,
         "--server", asterisk_rig.server, "--auto-answer", *options, "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_alsa_env(asoundrc),
    )  # fmt: skip
    out: list[str] = []
    threading.Thread(target=_lines, args=(operator.stdout, out), daemon=True).start()
    caller_tone = _tone_then_silence(tmp_path / "caller-1000.wav", CALLER_TONE, CALLER_SPEAKS_S, TALK_S + 2)
    heard_by_caller = tmp_path / "caller-heard.wav"
    events: list[Event] = []
    try:
        deadline = time.monotonic() + 15
        while not any('"event": "registered"' in line for line in out):
            assert operator.poll() is None and time.monotonic() < deadline, (out, operator.stderr)
            time.sleep(0.05)
        with Softphone(on_event=events.append) as phone:
            phone.add_operator(CALLER, OPERATOR_PASSWORD, asterisk_rig.server, auto_answer=False)
            assert phone.wait_registered(10), phone.registrations()
            phone.set_call_audio(CALLER, CallAudio(play=caller_tone, record=heard_by_caller))
            phone.dial(CALLER, OPERATOR)
            _wait(events, lambda e: e["event"] == "answered" and e["account"] == CALLER, 10, "no answer")
            time.sleep(TALK_S)
            phone.hangup_all()
            _wait(events, lambda e: e["event"] == "disconnected", 10, "no hang-up")
            phone.stop_recordings()
    finally:
        operator.send_signal(signal.SIGTERM)
        try:
            _, err = operator.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            operator.kill()
            _, err = operator.communicate()
    assert operator.returncode == 0, err
    assert "null audio device" not in err, err  # the device opened: no fall-back
    answered = [e for e in map(json.loads, out) if e["event"] == "answered"]
    assert [e["account"] for e in answered] == [OPERATOR], out

    assert headset.rate is not None, "the softphone never played into the ALSA device"
    spoken, _ = _seconds_with(headset.played_samples(), headset.rate, CALLER_TONE, MIC_TONE, 0.25)
    assert spoken >= 1.0, f"the caller's 1 kHz came out of the ALSA device for only {spoken} s"
    samples, rate = read_wav(heard_by_caller)
    _, heard = _seconds_with(samples, rate, MIC_TONE, CALLER_TONE, 0.1)
    assert heard >= 1.0, (
        f"the operator's microphone (600 Hz bursts) reached the caller for only {heard:.1f} s"
    )


def test_listing_shows_the_alsa_devices(tmp_path: Path) -> None:
    """--list-audio-devices with the driver: the configured device, both ways (plain files here: the
    listing opens each device once to learn what it can do)."""
    (tmp_path / "mic.raw").write_bytes(bytes(3200))
    asoundrc = _asoundrc(tmp_path / "asoundrc", tmp_path / "speaker.wav", tmp_path / "mic.raw")
    proc = subprocess.run(
        [sys.executable, "-m", "softphone", "--list-audio-devices"],
        capture_output=True, text=True, timeout=60, env=_alsa_env(asoundrc),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()]
    assert ["1", "1", "ALSA", DEVICE] in [row[1:] for row in rows if row and row[0].isdigit()], proc.stdout


def test_without_its_driver_the_phone_says_why_in_one_line(tmp_path: Path) -> None:
    """The default run where the driver was never built: one line naming the driver, and the phone goes
    on (to its registration, which fails for want of a server: exit 1, not a crash)."""
    proc = subprocess.run(
        [sys.executable, "-m", "softphone", "--user", "pkm-a-op1", "--password", "x",
         "--server", "127.0.0.1:9", "--register-timeout", "0.5"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, DRIVER_ENV: str(tmp_path / "none.so")},
    )  # fmt: skip
    notes = [line for line in proc.stderr.splitlines() if "null audio device" in line]
    assert len(notes) == 1 and "no ALSA sound driver at" in notes[0], proc.stderr
    assert proc.returncode == 1, proc.stderr


def test_a_driver_that_is_not_one_is_reported_not_loaded(tmp_path: Path) -> None:
    bogus = tmp_path / "pjmedia-alsa.so"
    bogus.write_text("not a shared object")
    outcome = load_alsa(bogus)
    assert not outcome.loaded and "does not fit this pjsua2" in outcome.note and "\n" not in outcome.note
    missing = load_alsa(tmp_path / "absent.so")
    assert not missing.loaded and "build-pjsua2.sh" in missing.note
