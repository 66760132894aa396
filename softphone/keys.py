"""The operator's keyboard: one line of input is one command, parsed here without touching the phone.

    1234#       send these digits as DTMF on the answered call(s)
    a           answer the ringing call(s)
    h           hang up
    away / back mark the operator away (dials the *46 feature code) or back (*47); routing skips an
                away operator like an unregistered phone
    ?           this help

Lines rather than raw keys so it works in any terminal and from a pipe (`--keys`), and tests can type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AWAY_CODE = "*46"
BACK_CODE = "*47"
_DIGITS = re.compile(r"[0-9*#A-Da-d]{1,32}")

HELP = "keys: digits+Enter = DTMF, a = answer, h = hang up, away / back = pause routing to you, ? = help"


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
    if _DIGITS.fullmatch(text):
        return Command("dtmf", text.upper())
    return Command("unknown", text[:40])
