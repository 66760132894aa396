"""A complaint's statuses and the changes allowed between them, as LAPOR!/SP4N names them.

received → verified → in_progress → done, one step at a time; a complaint that is not the health
office's to handle, or not a complaint at all, leaves as `not_our_authority` or `rejected` before work
on it starts (from received or verified). The last three are final: a reopened case is a new complaint,
so the public history of each number only ever moves forward.
"""

from __future__ import annotations

from kernel.messages import Message

RECEIVED, VERIFIED, IN_PROGRESS, DONE = "received", "verified", "in_progress", "done"
NOT_OUR_AUTHORITY, REJECTED = "not_our_authority", "rejected"
STATUSES = (RECEIVED, VERIFIED, IN_PROGRESS, DONE, NOT_OUR_AUTHORITY, REJECTED)
OPEN = frozenset({RECEIVED, VERIFIED, IN_PROGRESS})
CLOSED = frozenset({DONE, NOT_OUR_AUTHORITY, REJECTED})

TRANSITIONS: dict[str, tuple[str, ...]] = {
    RECEIVED: (VERIFIED, NOT_OUR_AUTHORITY, REJECTED),
    VERIFIED: (IN_PROGRESS, NOT_OUR_AUTHORITY, REJECTED),
    IN_PROGRESS: (DONE,),
    DONE: (),
    NOT_OUR_AUTHORITY: (),
    REJECTED: (),
}

# Indonesian labels for the public pages (the API keeps the codes above).
LABELS = {
    RECEIVED: "Diterima",
    VERIFIED: "Diverifikasi",
    IN_PROGRESS: "Ditindaklanjuti",
    DONE: "Selesai",
    NOT_OUR_AUTHORITY: "Bukan kewenangan",
    REJECTED: "Ditolak",
}


def next_statuses(current: str) -> tuple[str, ...]:
    return TRANSITIONS.get(current, ())


def transition_problem(current: str, target: str) -> str | None:
    """Why a complaint in `current` cannot move to `target` (naming both), or None if it can."""
    if target not in STATUSES:
        return Message(
            "{status!r} is not a status (one of {statuses})", status=target, statuses=", ".join(STATUSES)
        )
    if current == target:
        return Message("the complaint is already {status}", status=current)
    allowed = next_statuses(current)
    if target in allowed:
        return None
    if not allowed:
        return Message(
            "cannot change from {current} to {target}: {current} is final", current=current, target=target
        )
    return Message(
        "cannot change from {current} to {target}: from {current} only {allowed} may follow",
        current=current,
        target=target,
        allowed=", ".join(allowed),
    )
