"""The softphone's sound driver: pjmedia's ALSA driver, added to the pjsua2 binding at run time.

Why: pjsua2-pybind11's wheel is built without any sound driver (only the null device), and PyPI has no
source of it to rebuild with ALSA. pjmedia accepts drivers at run time, so `scripts/build-pjsua2.sh`
compiles pjproject's own ALSA driver against the wheel's libraries into one shared object, installed in
the virtual environment; this module finds it and registers it with a running endpoint. Where it is
missing or does not fit, the softphone still works with the null device, and `note` says why in one line.
"""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from softphone import _pjlib

# Where the driver is looked for instead of the virtual environment's copy (a deployment's own build).
DRIVER_ENV = "SIAGA_PJSUA2_ALSA"
FACTORY = "pjmedia_alsa_factory"
BUILD_HINT = "scripts/build-pjsua2.sh builds it"


def driver_path() -> Path:
    """$SIAGA_PJSUA2_ALSA, else where build-pjsua2.sh installs it: <venv>/lib/siaga/pjmedia-alsa.so."""
    given = os.environ.get(DRIVER_ENV)
    return Path(given) if given else Path(sys.prefix) / "lib" / "siaga" / "pjmedia-alsa.so"


@dataclass(frozen=True)
class DriverOutcome:
    loaded: bool
    note: str = ""  # why not, in one line


@cache
def _open(path: str) -> ctypes.CDLL:
    # Kept open for the life of the process: pjmedia calls into it until the endpoint is destroyed, and a
    # later endpoint in the same process registers the same copy again.
    return ctypes.CDLL(path)


def load_alsa(path: Path | None = None) -> DriverOutcome:
    """Register the ALSA driver with the running endpoint (after libInit, on the pj loop). Never raises:
    a softphone without its driver still connects calls, silently, and says so."""
    path = path or driver_path()
    if not path.is_file():
        return DriverOutcome(False, f"no ALSA sound driver at {path} ({BUILD_HINT})")
    try:
        driver = _open(str(path))
        status = _pjlib.register_audio_driver(driver, FACTORY)
    except (OSError, AttributeError) as exc:
        # A driver built for another pjsua2 wheel names libraries that are not loaded here.
        return DriverOutcome(
            False, f"the ALSA sound driver {path} does not fit this pjsua2 ({exc}); {BUILD_HINT}"
        )
    if status != 0:
        return DriverOutcome(False, f"the ALSA sound driver did not start (pjmedia status {status})")
    return DriverOutcome(True)
