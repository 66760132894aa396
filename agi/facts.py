"""What the `route` script asks Asterisk about a call, each answer treated as hostile input.

One `GET FULL VARIABLE` fetches every location fact at once, each framed by its byte length
(`${LEN(${X})}:${X}`), so a caller who puts our separator inside a header cannot shift one fact into
another's place: a frame that does not add up drops every fact of that call (it then routes on the caller
directory and what follows). Device states come in one more round trip for all candidate endpoints.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from agi import variables as v
from agi.protocol import UnsafeValueError


class VariableReader(Protocol):
    """What the readers need of a session: `AgiSession`, or the classic-AGI adapter in bench/."""

    def get_full_variable(self, expr: str) -> str | None: ...


MAX_FACT_CHARS = {"effective": 1024, "format": 32, "carrier": 128, "trunk": 64}
_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}")
_TRUNK = re.compile(r"[A-Za-z0-9_-]{1,64}")
_STATE = re.compile(r"[A-Z_]{1,20}")
_STATES_PER_QUERY = 25  # keeps the command well under Asterisk's 2047-byte line


def check_header_name(name: str) -> str:
    if not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"carrier_location_header: {name!r} is not a SIP header name")
    return name


def framed(expressions: Sequence[str]) -> str:
    return "".join(f"${{LEN(${{{e}}})}}:${{{e}}}" for e in expressions)


def unframe(text: str, count: int) -> list[str] | None:
    """Split `len:value` frames (lengths in bytes, as Asterisk's LEN counts); None if they do not add up."""
    data = text.encode("utf-8")
    values: list[str] = []
    position = 0
    for _ in range(count):
        colon = data.find(b":", position)
        if colon < 0 or not data[position:colon].isdigit() or colon - position > 6:
            return None
        length = int(data[position:colon])
        start, end = colon + 1, colon + 1 + length
        if end > len(data):
            return None
        try:
            values.append(data[start:end].decode("utf-8"))
        except UnicodeDecodeError:
            return None
        position = end
    return values if position == len(data) else None


def read_location_facts(session: VariableReader, header_name: str) -> tuple[dict[str, str], list[str]]:
    """The raw facts (effective, format, carrier, trunk) and notes on any that were refused."""
    keys = ("effective", "format", "carrier", "trunk")
    expressions = (v.GEOLOC_EFFECTIVE, v.GEOLOC_FORMAT, v.carrier_header(header_name), v.TRUNK_ENDPOINT)
    raw = session.get_full_variable(framed(expressions))
    if raw is None:
        return {}, ["location facts unreadable (control characters or channel gone)"]
    values = unframe(raw, len(keys))
    if values is None:
        return {}, ["location facts refused: their framing does not add up"]
    facts: dict[str, str] = {}
    notes: list[str] = []
    for key, value in zip(keys, values, strict=True):
        value = value.strip()
        if len(value) > MAX_FACT_CHARS[key]:
            notes.append(f"{key} refused: longer than {MAX_FACT_CHARS[key]} characters")
            continue
        if key == "trunk" and value and not _TRUNK.fullmatch(value):
            notes.append("trunk endpoint refused: not a plain endpoint name")
            continue
        facts[key] = value
    return facts, notes


def read_device_states(session: VariableReader, endpoints: Sequence[str]) -> Mapping[str, str]:
    """`${DEVICE_STATE(PJSIP/x)}` for each endpoint, and its operator's away flag, in batches of one
    command each. An operator who marked themselves away (`*46`, a Custom device state) is reported as
    `AWAY` whatever their phone says, so the router skips them like an unregistered phone."""
    states: dict[str, str] = {}
    unique = list(dict.fromkeys(endpoints))
    per_query = _STATES_PER_QUERY // 2
    for start in range(0, len(unique), per_query):
        batch = unique[start : start + per_query]
        expressions = [f"${{{expr}}}" for e in batch for expr in (v.device_state(e), v.away_state(e))]
        try:
            raw = session.get_full_variable(",".join(expressions))
        except UnsafeValueError:
            continue
        answers = (raw or "").split(",")
        if len(answers) != 2 * len(batch):
            continue  # unreadable: nobody is skipped on a guess
        for n, endpoint in enumerate(batch):
            state, away = answers[2 * n].strip(), answers[2 * n + 1].strip()
            if away in v.AWAY_STATES:
                states[endpoint] = v.AWAY
            elif _STATE.fullmatch(state):
                states[endpoint] = state
    return states
