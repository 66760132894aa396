"""Which sound devices a softphone opens: the pure choice, the CLI's options, and that bots stay silent."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from softphone.audio import (
    DEFAULT_CAPTURE,
    DEFAULT_PLAYBACK,
    AudioDevice,
    AudioDeviceError,
    AudioSetup,
    choose_devices,
    describe_devices,
    parse_device_options,
)
from softphone.bots import Bot, BotFleet
from softphone.cli import UsageError, add_arguments, audio_setup

HEADSET = AudioDevice(0, "USB Headset: Audio (hw:1,0)", "ALSA", 1, 1)
SPEAKERS = AudioDevice(1, "HDA Intel PCH: ALC892 Analog (hw:0,0)", "ALSA", 0, 2)
MIC = AudioDevice(2, "Webcam C270: USB Audio (hw:2,0)", "ALSA", 1, 0)
DEVICES = [HEADSET, SPEAKERS, MIC]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(["--user", "pkm-a-op1", *argv])


def test_bots_and_tests_get_the_null_device_by_default() -> None:
    outcome = choose_devices(AudioSetup(), DEVICES)
    assert outcome.null and "--null-audio" in outcome.note


def test_the_default_is_the_systems_devices_where_there_are_some() -> None:
    outcome = choose_devices(AudioSetup.system(), DEVICES)
    assert not outcome.null and (outcome.capture, outcome.playback) == (DEFAULT_CAPTURE, DEFAULT_PLAYBACK)


@pytest.mark.parametrize("devices", [[], [SPEAKERS], [MIC]])
def test_no_usable_device_falls_back_to_null_with_one_line(devices: list[AudioDevice]) -> None:
    outcome = choose_devices(AudioSetup.system(), devices)
    assert outcome.null
    assert "null audio device" in outcome.note and "\n" not in outcome.note


def test_without_the_sound_driver_the_note_and_the_error_name_the_driver() -> None:
    """No driver, no devices: what the operator must fix is the driver, so that is what is said."""
    missing = "no ALSA sound driver at /x/pjmedia-alsa.so (scripts/build-pjsua2.sh builds it)"
    outcome = choose_devices(AudioSetup.system(), [], missing)
    assert outcome.null and missing in outcome.note and "\n" not in outcome.note
    with pytest.raises(AudioDeviceError, match=r"no capture device 'siagatest'.*build-pjsua2\.sh"):
        choose_devices(AudioSetup.system("siagatest", "siagatest"), [], missing)
    assert describe_devices([], missing) == [f"no sound devices: {missing}; calls will carry no sound"]
    assert choose_devices(AudioSetup(), [], missing).note.startswith("null audio device (--null-audio)")


def test_devices_by_index_or_by_name() -> None:
    assert choose_devices(AudioSetup.system("0", "0"), DEVICES).capture == 0
    outcome = choose_devices(AudioSetup.system("webcam", "ALC892"), DEVICES)
    assert (outcome.capture, outcome.playback) == (2, 1)
    exact = choose_devices(AudioSetup.system(HEADSET.name, None), DEVICES)
    assert (exact.capture, exact.playback) == (0, DEFAULT_PLAYBACK)


@pytest.mark.parametrize(
    ("capture", "playback", "says"),
    [
        ("7", None, "no capture device '7'"),
        ("bluetooth", None, "no capture device 'bluetooth'"),
        ("usb", None, "matches several"),
        (None, "webcam", "has no playback channel"),
        ("1", None, "has no capture channel"),
    ],
)
def test_a_named_device_that_will_not_do_is_an_error_not_silence(
    capture: str | None, playback: str | None, says: str
) -> None:
    with pytest.raises(AudioDeviceError, match=says):
        choose_devices(AudioSetup.system(capture, playback), DEVICES)


def test_device_options() -> None:
    assert parse_device_options([]) == (None, None)
    assert parse_device_options(["2"]) == ("2", "2")
    assert parse_device_options(["capture=hw:CARD=PCH,DEV=0", "playback=1"]) == ("hw:CARD=PCH,DEV=0", "1")
    with pytest.raises(AudioDeviceError, match="no device after"):
        parse_device_options(["playback="])


def test_cli_options_map_to_the_setup() -> None:
    assert audio_setup(_args()) == AudioSetup.system()
    assert audio_setup(_args("--null-audio")) == AudioSetup()
    assert audio_setup(_args("--audio-device", "capture=2", "--audio-device", "playback=1")) == (
        AudioSetup.system("2", "1")
    )
    with pytest.raises(UsageError):
        audio_setup(_args("--audio-device", " "))
    with pytest.raises(SystemExit):  # --null-audio and --audio-device exclude each other
        _args("--null-audio", "--audio-device", "1")


def test_listing_names_no_device_here_and_the_codecs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "softphone", "--list-audio-devices"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "no sound devices" in proc.stdout
    assert "codecs (best first): PCMU/8000/1, PCMA/8000/1" in proc.stdout
    assert describe_devices(DEVICES)[1].split()[:3] == ["0", "1", "1"]


def test_a_phone_without_a_sound_card_says_so_and_runs(tmp_path: Path) -> None:
    """The default on CI: no device, one line on stderr, and the phone goes on (here: to its registration,
    which fails for want of a server, exit 1 and not a crash)."""
    proc = subprocess.run(
        [sys.executable, "-m", "softphone", "--user", "pkm-a-op1", "--password", "x",
         "--server", "127.0.0.1:9", "--register-timeout", "0.5"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    notes = [line for line in proc.stderr.splitlines() if "null audio device" in line]
    assert len(notes) == 1 and "no sound device found" in notes[0], proc.stderr
    assert proc.returncode == 1, proc.stderr


def test_a_missing_named_device_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "softphone", "--user", "pkm-a-op1", "--password", "x",
         "--audio-device", "USB"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and "no capture device 'USB'" in proc.stderr, proc.stderr


def test_every_bot_process_asks_for_the_null_device(tmp_path: Path) -> None:
    fleet = BotFleet([Bot(f"pkm-a-op{i}") for i in range(1, 10)], tmp_path, password="x")
    commands = [fleet.command(i, group) for i, group in enumerate(fleet.groups(), start=1)]
    assert len(commands) == 2 and all("--null-audio" in cmd for cmd in commands)
