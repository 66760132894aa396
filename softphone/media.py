"""Sound for a call: WAV players and recorders on pjsua's conference bridge, codec preferences, tones.

Why ctypes: pjsua2-pybind11 (our only pjsua2 build that installs here) binds neither AudioMediaPlayer,
AudioMediaRecorder nor the codec manager, but its shared libraries export pjsua's C functions for all
three. Like ``_pjlib``, every function here must run on the softphone's pj loop (the thread pjsua
knows); ``Softphone`` only calls them from there.

The tone and Goertzel helpers are pure: tests make a known tone, play it into a call and look for it
in what the far end recorded.
"""

from __future__ import annotations

import ctypes
import math
import struct
import wave
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from softphone import _pjlib

SAMPLE_RATE = 8000  # G.711's rate: what the conference bridge runs at with the null device
# Codecs we prefer, best first; the rest keep pjsua's own (lower) priorities. Opus is first where the
# pjsua2 build has it (pjsua2-pybind11 0.1a3 has not: its opus.c is compiled empty), so G.711 is used.
PREFERRED_CODECS = ("opus/48000", "PCMU/8000", "PCMA/8000")


class MediaError(RuntimeError):
    pass


class _PjStr(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_char_p), ("slen", ctypes.c_ssize_t)]


class _CodecInfo(ctypes.Structure):
    """pjsua_codec_info of pjsip 2.14: id, priority, description, and the buffer they point into."""

    _fields_ = [
        ("codec_id", _PjStr),
        ("priority", ctypes.c_uint8),
        ("desc", _PjStr),
        ("buf_", ctypes.c_char * 64),
    ]


def _pj_str(text: str) -> _PjStr:
    raw = text.encode()
    return _PjStr(raw, len(raw))


@cache
def _lib() -> ctypes.CDLL:
    lib = ctypes.CDLL(str(_pjlib._find("pjsua")))
    int_p = ctypes.POINTER(ctypes.c_int)
    signatures: dict[str, tuple[list[type], type]] = {
        "pjsua_recorder_create": (
            [ctypes.POINTER(_PjStr), ctypes.c_uint, ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_uint, int_p],
            ctypes.c_int,
        ),
        "pjsua_recorder_get_conf_port": ([ctypes.c_int], ctypes.c_int),
        "pjsua_recorder_destroy": ([ctypes.c_int], ctypes.c_int),
        "pjsua_player_create": ([ctypes.POINTER(_PjStr), ctypes.c_uint, int_p], ctypes.c_int),
        "pjsua_player_get_conf_port": ([ctypes.c_int], ctypes.c_int),
        "pjsua_player_destroy": ([ctypes.c_int], ctypes.c_int),
        "pjsua_conf_connect": ([ctypes.c_int, ctypes.c_int], ctypes.c_int),
        "pjsua_conf_disconnect": ([ctypes.c_int, ctypes.c_int], ctypes.c_int),
        "pjsua_call_get_conf_port": ([ctypes.c_int], ctypes.c_int),
        "pjsua_codec_set_priority": ([ctypes.POINTER(_PjStr), ctypes.c_uint8], ctypes.c_int),
        "pjsua_enum_codecs": ([ctypes.POINTER(_CodecInfo), ctypes.POINTER(ctypes.c_uint)], ctypes.c_int),
    }
    for name, (argtypes, restype) in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes = argtypes
        fn.restype = restype
    return lib


def _check(status: int, what: str) -> None:
    if status != 0:
        raise MediaError(f"{what} failed (pj status {status})")


# ---------------------------------------------------------------- on the pj loop only


def call_conf_port(call_id: int) -> int:
    """The call's slot on the conference bridge, or -1 while it has no active audio."""
    return int(_lib().pjsua_call_get_conf_port(call_id))


def connect(source: int, sink: int) -> None:
    _check(_lib().pjsua_conf_connect(source, sink), f"connecting bridge slot {source} to {sink}")


def create_recorder(path: Path) -> tuple[int, int]:
    """A WAV recorder (16-bit PCM at the bridge's rate); returns (recorder id, bridge slot). Its file is
    complete only once destroy_recorder() wrote the header's sizes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rec_id = ctypes.c_int(-1)
    name = _pj_str(str(path))
    _check(
        _lib().pjsua_recorder_create(ctypes.byref(name), 0, None, -1, 0, ctypes.byref(rec_id)),
        f"recorder {path}",
    )
    return rec_id.value, int(_lib().pjsua_recorder_get_conf_port(rec_id.value))


def destroy_recorder(rec_id: int) -> None:
    _check(_lib().pjsua_recorder_destroy(rec_id), "closing a recorder")


def create_player(path: Path) -> tuple[int, int]:
    """A WAV player that loops its file; returns (player id, bridge slot)."""
    if not path.is_file():
        raise MediaError(f"no sound file {path}")
    player_id = ctypes.c_int(-1)
    name = _pj_str(str(path))
    _check(_lib().pjsua_player_create(ctypes.byref(name), 0, ctypes.byref(player_id)), f"player {path}")
    return player_id.value, int(_lib().pjsua_player_get_conf_port(player_id.value))


def destroy_player(player_id: int) -> None:
    _check(_lib().pjsua_player_destroy(player_id), "closing a player")


def codecs() -> list[tuple[str, int]]:
    """(codec id, priority) of every codec this pjsua2 build has; priority 0 means disabled."""
    infos = (_CodecInfo * 64)()
    count = ctypes.c_uint(64)
    _check(_lib().pjsua_enum_codecs(infos, ctypes.byref(count)), "listing codecs")
    found = []
    for info in infos[: count.value]:
        raw = ctypes.string_at(info.codec_id.ptr, info.codec_id.slen) if info.codec_id.ptr else b""
        found.append((raw.decode(errors="replace"), int(info.priority)))
    return found


def prefer_codecs(available: Iterable[str], preferred: Sequence[str] = PREFERRED_CODECS) -> list[str]:
    """Give the preferred codecs this build has the top priorities (opus, then PCMU, then PCMA); the
    answer to an offer follows them, and Asterisk (`allow` in pjsip.conf) decides among what both have."""
    chosen = []
    names = list(available)
    for rank, wanted in enumerate(preferred):
        match = next(
            (n for n in names if n.lower() == wanted.lower() or n.lower().startswith(f"{wanted.lower()}/")),
            None,
        )
        if match is None:
            continue
        name = _pj_str(match)
        _check(_lib().pjsua_codec_set_priority(ctypes.byref(name), 255 - rank), f"priority of {match}")
        chosen.append(match)
    return chosen


# ---------------------------------------------------------------- pure helpers


@dataclass(frozen=True)
class ToneLevel:
    """How strong `frequency_hz` is in a recording, against the strongest of some other frequencies."""

    frequency_hz: float
    power: float
    others: float
    rms: float

    @property
    def ratio(self) -> float:
        return self.power / self.others if self.others > 0 else math.inf


def write_tone(path: Path, frequency_hz: float, seconds: float, amplitude: float = 0.5) -> Path:
    """A 16-bit mono WAV at 8 kHz holding one sine tone."""
    if not 0 < frequency_hz < SAMPLE_RATE / 2:
        raise ValueError(f"tone frequency must be between 0 and {SAMPLE_RATE // 2} Hz")
    frames = int(seconds * SAMPLE_RATE)
    peak = int(32767 * amplitude)
    samples = (int(peak * math.sin(2 * math.pi * frequency_hz * n / SAMPLE_RATE)) for n in range(frames))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


def read_wav(path: Path) -> tuple[list[int], int]:
    """Samples of a 16-bit mono WAV and its rate."""
    with wave.open(str(path), "rb") as source:
        if source.getsampwidth() != 2 or source.getnchannels() != 1:
            raise ValueError(f"{path}: want 16-bit mono, got {source.getsampwidth() * 8}-bit, "
                             f"{source.getnchannels()} channels")  # fmt: skip
        raw = source.readframes(source.getnframes())
        return list(struct.unpack(f"<{len(raw) // 2}h", raw)), source.getframerate()


def goertzel_power(samples: Sequence[int], rate: int, frequency_hz: float) -> float:
    """Power of one frequency in `samples` (Goertzel's algorithm), normalised by the length."""
    if not samples:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * frequency_hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / len(samples) ** 2


def tone_level(samples: Sequence[int], rate: int, frequency_hz: float, others: Sequence[float]) -> ToneLevel:
    rms = math.sqrt(sum(x * x for x in samples) / len(samples)) if samples else 0.0
    return ToneLevel(
        frequency_hz,
        goertzel_power(samples, rate, frequency_hz),
        max((goertzel_power(samples, rate, f) for f in others), default=0.0),
        rms,
    )
