"""The complaints desk in the console: the officers' pages and API, and the public form and pages.

The decisions are `complaints.service`'s; this module holds what only the web has: per-address throttles
for the public form and for wrong numbers (so nobody floods the desk or walks the number space), the size
limit of a public submission, and which desks a logged-in user may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from complaints.service import ComplaintRules, rules_from_settings
from kernel.messages import N_
from kernel.settings import Settings
from web.access import Principal
from web.beds.services import TokenThrottle
from web.errors import NotFound

MAX_FORM_BYTES = 16_384  # a 4000-character complaint, url-encoded, fits with room to spare
FORM_LIMIT, FORM_WINDOW_S = 5, 10 * 60.0  # complaints per address
LOOKUP_LIMIT, LOOKUP_WINDOW_S = 30, 15 * 60.0  # wrong or unknown numbers per address
RECORDING_TYPES = {".wav": "audio/wav", ".gsm": "audio/x-gsm", ".mp3": "audio/mpeg", ".ogg": "audio/ogg"}


@dataclass
class ComplaintsWeb:
    """Built once per app (its throttles live in memory, per process, like the login throttle)."""

    forms: TokenThrottle = field(default_factory=lambda: TokenThrottle(FORM_LIMIT, FORM_WINDOW_S))
    lookups: TokenThrottle = field(default_factory=lambda: TokenThrottle(LOOKUP_LIMIT, LOOKUP_WINDOW_S))

    @staticmethod
    def rules(settings: Settings) -> ComplaintRules:
        return rules_from_settings(settings)

    @staticmethod
    def desks(user: Principal) -> frozenset[str] | None:
        """The desks (kabupaten/kota codes) whose complaints `user` may see; None: all of them."""
        return None if user.national else user.kabupaten

    @staticmethod
    def recording_file(settings: Settings, recording: str | None) -> tuple[Path, str]:
        """The recording's file and media type, only if it lies inside the recordings folder."""
        if not recording:
            raise NotFound(N_("this complaint has no recording"))
        root = settings.complaint_recordings_path.resolve()
        path = Path(recording)
        path = (path if path.is_absolute() else root / path).resolve()
        media = RECORDING_TYPES.get(path.suffix.lower())
        if not path.is_relative_to(root) or media is None or not path.is_file():
            raise NotFound(N_("the recording is not in the recordings folder"))
        return path, media
