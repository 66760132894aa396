"""The operator's keyboard: one line of input is one command, parsed here without touching the phone.

    1234#       send these digits as DTMF on the answered call(s)
    a           answer the ringing call(s)
    h           hang up
    away / back mark the operator away (dials the *46 feature code) or back (*47); routing skips an
                away operator like an unregistered phone
    status S    an ambulance crew reports its status by name or key (`status on_scene`, `status 2`):
                dials the short code *5<key> from the unit's phone
    ?           this help

Lines rather than raw keys so it works in any terminal and from a pipe (`--keys`), and tests can type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kernel.catalogue import UNIT_STATUS_CODE, UNIT_STATUS_KEYS
from kernel.messages import N_

AWAY_CODE = "*46"
BACK_CODE = "*47"
_DIGITS = re.compile(r"[0-9*#A-Da-d]{1,32}")

HELP = N_(
    "keys: digits+Enter = DTMF, a = answer, h = hang up, away / back = pause routing to you, "
    "status NAME|KEY = an ambulance's status, ? = help"
)
_STATUS_KEY = {name: key for key, name in UNIT_STATUS_KEYS.items()}


@dataclass(frozen=True)
class Command:
    action: str  # dtmf, answer, hangup, dial, help, unknown, none
    argument: str = ""


def parse_line(line: str) -> Command:
    text = line.strip()
    word = text.lower()
    if not text:
        return Command("none")
    if word in ("h", "hangup", "hang up"):
        return Command("hangup")
    if word in ("a", "answer"):
        return Command("answer")
    if word == "away":
        return Command("dial", AWAY_CODE)
    if word == "back":
        return Command("dial", BACK_CODE)
    if word in ("?", "help"):
        return Command("help")
    if word.startswith("status"):
        wanted = word.removeprefix("status").strip().replace(" ", "_")
        key = wanted if wanted in UNIT_STATUS_KEYS else _STATUS_KEY.get(wanted)
        if key is None:
            return Command("unknown", text[:40])
        return Command("status", UNIT_STATUS_CODE + key)
    if _DIGITS.fullmatch(text):
        return Command("dtmf", text.upper())
    return Command("unknown", text[:40])
