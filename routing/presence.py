"""Is an on-duty operator's phone able to ring? Asterisk's device state, turned into a skip reason.

The router asks once per call for every candidate endpoint (the AGI edge batches the question into one
`GET FULL VARIABLE` of `${DEVICE_STATE(PJSIP/…)}`), so an unregistered softphone costs the caller nothing:
it is skipped with its reason instead of being rung for its full timeout. An operator who marked
themselves away from their softphone (`*46`; `*47` is back) is reported as the pseudo-state AWAY and
skipped the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from kernel.messages import Message

DeviceStates = Callable[[Sequence[str]], Mapping[str, str]]
"""Endpoint names → Asterisk device state (NOT_INUSE, UNAVAILABLE, INUSE, …); unknown ones may be absent."""

# Built once: the router asks per call. Messages, so a reader in another language sees them translated.
_UNREACHABLE = {
    "UNAVAILABLE": Message("softphone not registered"),
    "INVALID": Message("no such endpoint in Asterisk"),
    "AWAY": Message("operator away (paused)"),
}
_ON_A_CALL = Message("on another call")
_BUSY = {"INUSE", "BUSY", "RINGING", "RINGINUSE", "ONHOLD"}


def unreachable_reason(state: str | None) -> str | None:
    """None when the phone can ring (or we cannot tell: UNKNOWN never costs a caller a target)."""
    if state is None:
        return None
    state = state.strip().upper()
    if state in _UNREACHABLE:
        return _UNREACHABLE[state]
    if state in _BUSY:
        return _ON_A_CALL
    return None
