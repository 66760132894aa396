"""What the `route` script asks Asterisk about a call, each answer treated as hostile input.

One `GET FULL VARIABLE` fetches every location fact at once, each framed by its byte length
(`${LEN(${X})}:${X}`), so a caller who puts our separator inside a header cannot shift one fact into
another's place: a frame that does not add up drops every fact of that call (it then routes on the caller
directory and what follows). Device states come in one more round trip for all candidate endpoints.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from agi import variables as v
from agi.protocol import MAX_COMMAND_BYTES, UnsafeValueError


class VariableReader(Protocol):
    """What the readers need of a session: `AgiSession`, or the classic-AGI adapter in bench/."""

    def get_full_variable(self, expr: str) -> str | None: ...


MAX_FACT_CHARS = {"effective": 1024, "format": 32, "carrier": 128, "trunk": 64}
_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}")
_TRUNK = re.compile(r"[A-Za-z0-9_-]{1,64}")
_STATE = re.compile(r"[A-Z_]{1,20}")
# Endpoints per device-state command: their length decides first (each endpoint name is up to 64
# characters), this only bounds how many answers one reply holds.
_STATES_PER_QUERY = 40
_COMMAND_OVERHEAD = len('GET FULL VARIABLE ""\n')
_PIECES: dict[str, tuple[str, int]] = {}
_PIECES_MAX = 20_000
# A reply in which every answer is a plain state, as _STATE and the away check would each accept it.
_CLEAN_STATES = re.compile(r"[A-Z_]{1,20}(?:,[A-Z_]{1,20})*")


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


_FACT_KEYS = ("effective", "format", "carrier", "trunk")


@functools.lru_cache(maxsize=16)
def _facts_expression(header_name: str) -> str:
    """The one expression that reads every fact (the same on every call for a header name)."""
    return framed((v.GEOLOC_EFFECTIVE, v.GEOLOC_FORMAT, v.carrier_header(header_name), v.TRUNK_ENDPOINT))


def read_location_facts(session: VariableReader, header_name: str) -> tuple[dict[str, str], list[str]]:
    """The raw facts (effective, format, carrier, trunk) and notes on any that were refused."""
    keys = _FACT_KEYS
    raw = session.get_full_variable(_facts_expression(header_name))
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
    """`${DEVICE_STATE(PJSIP/x)}` for each endpoint, and its operator's away flag, as few commands as
    Asterisk's command line allows (usually one for all). An operator who marked themselves away (`*46`, a
    Custom device state) is reported as `AWAY` whatever their phone says, so the router skips them like an
    unregistered phone."""
    states: dict[str, str] = {}
    for batch, expressions in _state_batches(list(dict.fromkeys(endpoints))):
        try:
            raw = session.get_full_variable(expressions)
        except UnsafeValueError:
            continue
        answers = (raw or "").split(",")
        if len(answers) != 2 * len(batch):
            continue  # unreadable: nobody is skipped on a guess
        if _CLEAN_STATES.fullmatch(raw or ""):  # the usual reply: every answer a plain state, no blanks
            for endpoint, state, away in zip(batch, answers[0::2], answers[1::2], strict=True):
                states[endpoint] = v.AWAY if away in v.AWAY_STATES else state
            continue
        for n, endpoint in enumerate(batch):
            state, away = answers[2 * n].strip(), answers[2 * n + 1].strip()
            if away in v.AWAY_STATES:
                states[endpoint] = v.AWAY
            elif _STATE.fullmatch(state):
                states[endpoint] = state
    return states


def _state_batches(endpoints: list[str]) -> list[tuple[list[str], str]]:
    """The endpoints in groups, each with its expression, whose `GET FULL VARIABLE` line fits Asterisk's
    2047 bytes (quotes and the escapes of `"` and `\\` counted), at most `_STATES_PER_QUERY` each."""
    batches: list[tuple[list[str], str]] = []
    group: list[str] = []
    pieces: list[str] = []
    size = _COMMAND_OVERHEAD
    for endpoint in endpoints:
        piece, cost = _state_piece(endpoint)
        if group and (size + cost > MAX_COMMAND_BYTES or len(group) >= _STATES_PER_QUERY):
            batches.append((group, ",".join(pieces)))
            group, pieces, size = [], [], _COMMAND_OVERHEAD
        group.append(endpoint)
        pieces.append(piece)
        size += cost
    if group:
        batches.append((group, ",".join(pieces)))
    return batches


def _state_piece(endpoint: str) -> tuple[str, int]:
    """An endpoint's two expressions and what they add to the command line, worked out once per endpoint
    (the roster's endpoints come back call after call)."""
    found = _PIECES.get(endpoint)
    if found is None:
        piece = f"${{{v.device_state(endpoint)}}},${{{v.away_state(endpoint)}}}"
        found = (piece, len(piece.encode()) + 1 + piece.count('"') + piece.count("\\"))  # and a comma
        if len(_PIECES) >= _PIECES_MAX:
            _PIECES.clear()
        _PIECES[endpoint] = found
    return found
