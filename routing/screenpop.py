"""What an operator's phone shows when a call rings: the screen-pop texts, one per SIP header.

Pure: built from the plan alone. The engine hands them to the dialplan as inheritable channel variables
(agi/variables.py, SCREENPOP_*); the `siaga-screenpop` pre-dial handler copies them into `X-Siaga-*`
headers of the INVITE to each operator. The texts are for people, so they read as sentences
("2 of 3; Puskesmas Gayamsari did not answer"), but they go on the wire, so every value is sanitised:
no control characters (CR/LF would forge headers), none of the characters MSet and SIP quoting treat
specially, and a length limit.
"""

from __future__ import annotations

import re

from routing.plan import RoutePlan

MAX_VALUE = 120
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# MSet splits on , and = and unquotes " and \ ; | separates our own trail fields. Readable stand-ins.
_SPECIAL = str.maketrans({",": ";", "=": "-", '"': "'", "\\": "/", "|": "/"})

# Header → the channel variable that carries it from the engine to the pre-dial handler (agi/variables.py).
HEADER_CALL = "X-Siaga-Call"
HEADER_CALLER = "X-Siaga-Caller"
HEADER_LOCATION = "X-Siaga-Location"
HEADER_SOURCE = "X-Siaga-Location-Source"
HEADER_ACCURACY = "X-Siaga-Accuracy"
HEADER_AREA = "X-Siaga-Area"
HEADER_SERVICE = "X-Siaga-Service"
HEADER_ATTEMPT = "X-Siaga-Attempt"
HEADERS = (
    HEADER_CALL,
    HEADER_CALLER,
    HEADER_LOCATION,
    HEADER_SOURCE,
    HEADER_ACCURACY,
    HEADER_AREA,
    HEADER_SERVICE,
    HEADER_ATTEMPT,
)


# Anything clean() would change: control or special characters, whitespace other than single spaces
# inside the text. A text without any (most of them) is returned as it is, without rebuilding it. One
# character class (every whitespace character but the space, as str.isspace() and \s define it, listed
# once) is a single pass in C; the alternation it replaces tried five branches at every character.
_NEEDS_CLEANING = re.compile(r'[\x00-\x1f\x7f,="\\|]|[^\S ]|  |^ | $')
_OTHER_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace() and chr(c) != " ")
_UNSAFE_CHAR = re.compile('[\\x00-\\x1f\\x7f,="\\\\|' + re.escape(_OTHER_SPACE) + "]")


def clean(value: str, limit: int = MAX_VALUE) -> str:
    """A value safe for a SIP header and for MSet; never empty (an empty header is noise), "-" instead."""
    if (
        value
        and len(value) <= limit
        and value[0] != " "
        and value[-1] != " "
        and "  " not in value
        and not _UNSAFE_CHAR.search(value)
    ):
        return value
    text = _CONTROL.sub(" ", value).translate(_SPECIAL)
    text = " ".join(text.split())[:limit].strip()
    return text or "-"


def call_texts(plan: RoutePlan) -> dict[str, str]:
    """Header name → text for everything that is the same on every attempt of the call."""
    loc = plan.location
    if loc is None:
        location, source, accuracy = "unknown", "none", "unknown"
    else:
        location = f"{loc.lat:.5f} {loc.lon:.5f}" + (f" ({loc.label})" if loc.label else "")
        source = loc.source
        accuracy = f"{loc.accuracy_m:.0f} m" if loc.accuracy_m is not None else "unknown"
    area = f"{plan.area[0].name} ({plan.area[0].code})" if plan.area else "unknown"
    texts = {
        HEADER_CALL: plan.call_id,
        HEADER_CALLER: plan.caller or "anonymous",
        HEADER_LOCATION: location,
        HEADER_SOURCE: source,
        HEADER_ACCURACY: accuracy,
        HEADER_AREA: area,
        HEADER_SERVICE: plan.service,
    }
    return {name: clean(text) for name, text in texts.items()}


def attempt_texts(plan: RoutePlan) -> list[str]:
    """One text per target: which attempt this is, and who was tried before it.

    Attempt n is only dialled after targets 1..n-1 failed (or were passed over when the ring budget ran
    out), so "did not answer" is known when the plan is made.
    """
    total = len(plan.targets)
    texts: list[str] = []
    for n in range(1, total + 1):
        before = [t.facility_name or t.facility for t in plan.targets[: n - 1]]
        # A facility with two on-duty operators appears twice; name it once.
        names = list(dict.fromkeys(before))
        if not names:
            text = f"{n} of {total}; first choice"
        else:
            text = f"{n} of {total}; {' and '.join(names)} did not answer"
        texts.append(clean(text))
    return texts
