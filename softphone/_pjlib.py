"""The pjlib/pjsua/pjmedia C functions that pjsua2-pybind11 does not expose, reached through ctypes.

Why this exists: the binding never releases the GIL around pjsua2 calls, while its callbacks take the
GIL from pjsip's worker thread, often with PJSUA's mutex held (registration callbacks do). A Python
thread calling e.g. ``Account.create`` then waits for that mutex while holding the GIL the worker
needs: a hard deadlock, seen in about 1 of 12 runs that register 8 accounts. The cure is pjsua's
own single-thread mode (no worker thread) with our thread polling ``pjsua_handle_events``; ctypes
drops the GIL for the poll, so callbacks re-enter Python on that same thread and nothing can cross.

``pj_log_set_level`` silences pjlib before ``libCreate``, which otherwise prints its start-up lines
to stdout (and would corrupt ``--json`` output) before our log config is applied.

``pjmedia_aud_register_factory`` adds a sound driver to a running endpoint: the wheel has none
(see ``sound_driver``).
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pjsua2

_LIB_PATTERNS = {
    "pj": re.compile(r"^libpj(-[0-9a-f]+)?\.so(\.\d+)*$"),
    "pjsua": re.compile(r"^libpjsua(-[0-9a-f]+)?\.so(\.\d+)*$"),
    "pjmedia-audiodev": re.compile(r"^libpjmedia-audiodev(-[0-9a-f]+)?\.so(\.\d+)*$"),
}


def _loaded_paths() -> list[Path]:
    """Shared objects mapped into this process: the very copies pjsua2 is linked against."""
    try:
        lines = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return []
    return [Path(line.split()[-1]) for line in lines if "/libpj" in line]


def _find(name: str) -> Path:
    pattern = _LIB_PATTERNS[name]
    candidates = _loaded_paths()
    candidates += sorted((Path(pjsua2.__file__).parent / "pjsua2_pybind11.libs").glob(f"lib{name}*.so*"))
    for path in candidates:
        if pattern.match(path.name):
            return path
    raise RuntimeError(f"cannot locate lib{name} beside the pjsua2 module ({pjsua2.__file__})")


@cache
def _function(lib: str, name: str, argtypes: tuple[type, ...], restype: type | None) -> Callable[..., int]:
    # CDLL (not PyDLL) releases the GIL for the duration of each call.
    fn = getattr(ctypes.CDLL(str(_find(lib))), name)
    fn.argtypes = list(argtypes)
    fn.restype = restype
    return fn  # type: ignore[no-any-return]


def set_log_level(level: int) -> None:
    _function("pj", "pj_log_set_level", (ctypes.c_int,), None)(level)


def handle_events(timeout_ms: int) -> int:
    """Poll SIP and media sockets and timers for up to `timeout_ms`; returns events handled or < 0."""
    return int(_function("pjsua", "pjsua_handle_events", (ctypes.c_uint,), ctypes.c_int)(max(0, timeout_ms)))


def register_audio_driver(driver: ctypes.CDLL, factory: str) -> int:
    """Hand pjmedia the sound driver whose factory-creating function `driver` exports as `factory`; pjmedia
    creates it, lists its devices and appends them to the device list. Returns a pj_status_t (0: done).
    Only after libInit (the audio subsystem exists) and on a thread pjlib knows (the pj loop)."""
    create = ctypes.cast(getattr(driver, factory), ctypes.c_void_p)
    register = _function("pjmedia-audiodev", "pjmedia_aud_register_factory", (ctypes.c_void_p,), ctypes.c_int)
    return int(register(create))
