"""Which unit status may follow which, and the crew's keypad codes: pure rules, shared by every way a status
changes (DTMF on the dispatch call, a short code from the unit's phone, the softphone, the console, the CLI).

A run is `dispatched → en_route → on_scene → transporting → at_hospital → returning`, then `available`.
The rules, and why:

- **A run starts only by dispatch.** `dispatched` is set by `dispatch_unit` alone (source `dispatch`), and
  `en_route`/`on_scene`/… only follow a dispatch: a crew reporting `on_scene` while `available` has no
  incident the time could belong to, so it would be a figure about nothing (or a wrong key on the pad).
- **Forward only within a run, skipping allowed.** A crew that forgot to press 1 (en route) and presses 2
  on arrival still gives the on-scene time, the interval that matters most; the skipped step's time stays
  unknown rather than invented. Going back (`on_scene` after `transporting`) would corrupt the intervals
  already recorded, so it is refused.
- **`available` ends a run** from any step but `transporting`: a patient is aboard until the crew reports
  `at_hospital`, and an `available` unit could be dispatched with them still in the back.
- **`out_of_service` from anywhere** (a breakdown on the way must be reportable), and from it only
  `available` (back in service); a new run needs a new dispatch.
- Reporting the status a unit already has changes nothing (a key pressed twice is not an error).
"""

from __future__ import annotations

from dispatch.units import AVAILABLE, OUT_OF_SERVICE, STATUSES
from kernel.catalogue import UNIT_STATUS_KEYS
from kernel.messages import N_, Message

DISPATCHED = "dispatched"
EN_ROUTE = "en_route"
ON_SCENE = "on_scene"
TRANSPORTING = "transporting"
AT_HOSPITAL = "at_hospital"
RETURNING = "returning"
RUN = (DISPATCHED, EN_ROUTE, ON_SCENE, TRANSPORTING, AT_HOSPITAL, RETURNING)

# Who or what changed a status (the `source` column; an interface: the telephony and the console send these).
SOURCES = ("dtmf", "short_code", "softphone", "console", "cli", "dispatch")

# The crew's keypad, on the dispatch call and after the short code alike (kept in the catalogue, where the
# softphone reads it too).
STATUS_DIGITS: dict[str, str] = UNIT_STATUS_KEYS


def transition_problem(previous: str, status: str, source: str) -> str | None:
    """Why `status` may not follow `previous` when reported through `source` (None: allowed)."""
    if status not in STATUSES:
        return Message("{value!r} is not one of {choices}", value=status, choices=", ".join(STATUSES))
    if source not in SOURCES:
        return Message("source {source!r} is not one of {sources}", source=source, sources=", ".join(SOURCES))
    if status == previous:
        return None
    if status == OUT_OF_SERVICE:
        return None
    if previous == OUT_OF_SERVICE:
        return None if status == AVAILABLE else N_("the unit is out of service: report it available first")
    if status == DISPATCHED:
        if source != "dispatch":
            return N_(
                "a unit is dispatched to an incident (siaga incidents dispatch), not by a status change"
            )
        return None if previous == AVAILABLE else Message("the unit is busy ({status})", status=previous)
    if status == AVAILABLE:
        if previous == TRANSPORTING:
            return N_("a patient is aboard: report at_hospital first")
        return None
    # a step of the run after `dispatched`
    if previous not in RUN:
        return Message(
            "the unit is {previous}: it goes {status} only after being dispatched to an incident",
            previous=previous,
            status=status,
        )
    if RUN.index(status) < RUN.index(previous):
        return Message("the unit is already {previous}: a run goes forward only", previous=previous)
    return None
