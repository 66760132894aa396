"""Which sound devices a softphone uses: the machine's (a person at a headset) or none (bots, CI).

The choice is pure (`choose_devices`: the device list is an argument), so its rules are tested without a
sound card; `Softphone` applies it on its pj loop. Asking for the machine's devices where there are none
never fails: the phone falls back to the null device and says so in one line (`AudioOutcome.note`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# pjmedia's "default device" ids (PJMEDIA_AUD_DEFAULT_CAPTURE_DEV / _PLAYBACK_DEV).
DEFAULT_CAPTURE = -1
DEFAULT_PLAYBACK = -2


@dataclass(frozen=True)
class AudioDevice:
    index: int
    name: str
    driver: str
    inputs: int
    outputs: int


@dataclass(frozen=True)
class AudioSetup:
    """What was asked for. `null`: no sound at all (bots). Otherwise the machine's devices, each given by
    index or name (None: the system's default)."""

    null: bool = True
    capture: str | None = None
    playback: str | None = None

    @classmethod
    def system(cls, capture: str | None = None, playback: str | None = None) -> AudioSetup:
        return cls(False, capture, playback)


NULL_AUDIO = AudioSetup()


@dataclass(frozen=True)
class AudioOutcome:
    """What the phone uses: device indices, or the null device with the reason (`note`, one line)."""

    null: bool
    capture: int = DEFAULT_CAPTURE
    playback: int = DEFAULT_PLAYBACK
    note: str = ""


class AudioDeviceError(ValueError):
    """A named device that does not exist or cannot do what it was asked for: an operator's mistake, which
    is reported rather than silently replaced by silence."""


def parse_device_options(values: Sequence[str]) -> tuple[str | None, str | None]:
    """`--audio-device` values → (capture, playback). `DEV` sets both; `capture=DEV` / `playback=DEV` one.
    (No `A:B` form: ALSA names such as `hw:CARD=PCH,DEV=0` hold colons and commas.)"""
    capture: str | None = None
    playback: str | None = None
    for value in values:
        key, sep, rest = value.partition("=")
        if sep and key.strip().lower() in ("capture", "playback"):
            if not rest.strip():
                raise AudioDeviceError(f"--audio-device {value!r}: no device after '='")
            if key.strip().lower() == "capture":
                capture = rest.strip()
            else:
                playback = rest.strip()
        elif not value.strip():
            raise AudioDeviceError("--audio-device wants an index or a name")
        else:
            capture = playback = value.strip()
    return capture, playback


def _find(devices: Sequence[AudioDevice], spec: str, role: str) -> AudioDevice:
    if spec.lstrip("-").isdigit():
        found = [d for d in devices if d.index == int(spec)]
    else:
        found = [d for d in devices if d.name == spec] or [
            d for d in devices if spec.lower() in d.name.lower()
        ]
    if not found:
        known = ", ".join(f"{d.index} {d.name!r}" for d in devices) or "none"
        raise AudioDeviceError(f"no {role} device {spec!r} (devices: {known}; see --list-audio-devices)")
    if len(found) > 1:
        names = ", ".join(repr(d.name) for d in found)
        raise AudioDeviceError(f"{role} device {spec!r} matches several: {names}; give its index")
    device = found[0]
    if (device.inputs if role == "capture" else device.outputs) < 1:
        raise AudioDeviceError(f"device {device.index} {device.name!r} has no {role} channel")
    return device


def choose_devices(
    setup: AudioSetup, devices: Sequence[AudioDevice], missing_driver: str = ""
) -> AudioOutcome:
    """Device indices for `setup`, or the null device with the reason. Raises AudioDeviceError when a
    device was named that is not there: falling back silently would leave the operator deaf unawares.
    `missing_driver`: why the phone has no sound driver (then no device can be there), told in the note
    or the error, since that, not the headset, is what the operator must fix."""
    if setup.null:
        return AudioOutcome(True, note="null audio device (--null-audio): calls carry no sound")
    if setup.capture is None and setup.playback is None:
        if not any(d.inputs for d in devices) or not any(d.outputs for d in devices):
            why = missing_driver or "none on this machine that ALSA can open"
            return AudioOutcome(
                True,
                note=f"no sound device found ({why}): "
                "using the null audio device, calls connect but you will not hear or be heard",
            )
        return AudioOutcome(False)
    try:
        capture = _find(devices, setup.capture, "capture").index if setup.capture else DEFAULT_CAPTURE
        playback = _find(devices, setup.playback, "playback").index if setup.playback else DEFAULT_PLAYBACK
    except AudioDeviceError as exc:
        if missing_driver:
            raise AudioDeviceError(f"{exc}; {missing_driver}") from None
        raise
    return AudioOutcome(False, capture, playback)


def describe_devices(devices: Sequence[AudioDevice], missing_driver: str = "") -> list[str]:
    """Lines for --list-audio-devices."""
    if not devices:
        why = missing_driver or "this machine has none that ALSA can open"
        return [f"no sound devices: {why}; calls will carry no sound"]
    lines = [f"{'index':>5}  {'in':>2}  {'out':>3}  driver  name"]
    lines += [f"{d.index:>5}  {d.inputs:>2}  {d.outputs:>3}  {d.driver:<6}  {d.name}" for d in devices]
    return lines
