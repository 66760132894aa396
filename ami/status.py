"""What Asterisk knows this second about desks and phones, read through the manager interface: callers
waiting in each queue (and for how long), every phone's state and who is away, in three list actions.

Device states alone are not enough: Asterisk's device-state cache follows a PJSIP phone's registration
but not every call (a phone whose caller waits in a queue still read NOT_INUSE there), so the phones'
live channels (`CoreShowChannels`) are laid over it: a channel up means talking, one ringing means
ringing. `QueueStatus` needs no right of its own; the other two need `reporting` (manager.conf). The
parsing is pure (`status_from_events`), so it is tested on recorded events without an Asterisk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ami.client import ManagerClient, Message

AWAY_PREFIX = "Custom:siaga-away-"  # *46 / *47 in dialplans/siaga.conf
PJSIP_PREFIX = "PJSIP/"


@dataclass(frozen=True)
class PbxReport:
    queues: dict[str, list[float]] = field(default_factory=dict)  # queue → waits, first in line first
    devices: dict[str, str] = field(default_factory=dict)  # endpoint → device state
    away: frozenset[str] = frozenset()


# CoreShowChannel's ChannelState: 4 Ring (dialling out, or waiting in a queue), 5 Ringing, 6 Up.
_CHANNEL_STATES = {"4": "INUSE", "5": "RINGING", "6": "INUSE"}
_STATE_RANK = {"RINGING": 1, "INUSE": 2}  # a phone both ringing and on a call is on a call


def endpoint_of_channel(channel: str) -> str | None:
    """`PJSIP/pkm-a-op1-0000002a` → `pkm-a-op1`; None for other technologies."""
    if not channel.startswith(PJSIP_PREFIX) or "-" not in channel:
        return None
    return channel[len(PJSIP_PREFIX) :].rsplit("-", 1)[0] or None


def status_from_events(
    queue_events: Iterable[Message], device_events: Iterable[Message], channel_events: Iterable[Message] = ()
) -> PbxReport:
    """Waiting callers per queue (by position) and the endpoints' states; `away` from the Custom states
    the operators' *46 sets. Malformed numbers are skipped, not fatal: a wallboard must keep showing."""
    entries: dict[str, list[tuple[int, float]]] = {}
    for event in queue_events:
        kind = event.get("Event")
        queue = event.get("Queue")
        if kind == "QueueParams" and queue:
            entries.setdefault(queue, [])
        elif kind == "QueueEntry" and queue:
            try:
                position, wait = int(event.get("Position") or 0), float(event.get("Wait") or 0)
            except ValueError:
                continue
            entries.setdefault(queue, []).append((position, wait))
    devices: dict[str, str] = {}
    away: set[str] = set()
    for event in device_events:
        device, state = event.get("Device"), event.get("State").upper()
        if device.startswith(PJSIP_PREFIX):
            devices[device[len(PJSIP_PREFIX) :]] = state
        elif device.startswith(AWAY_PREFIX) and state not in ("NOT_INUSE", "UNKNOWN", "INVALID"):
            away.add(device[len(AWAY_PREFIX) :])
    live: dict[str, str] = {}
    for event in channel_events:
        endpoint = endpoint_of_channel(event.get("Channel"))
        state = _CHANNEL_STATES.get(event.get("ChannelState"))
        if endpoint and state and _STATE_RANK[state] > _STATE_RANK.get(live.get(endpoint, ""), 0):
            live[endpoint] = state
    devices.update(live)
    queues = {name: [wait for _, wait in sorted(found)] for name, found in entries.items()}
    return PbxReport(queues, devices, frozenset(away))


def read_status(client: ManagerClient) -> PbxReport:
    """QueueStatus, DeviceStateList and CoreShowChannels on a logged-in client."""
    queues = client.action("QueueStatus")
    devices = client.action("DeviceStateList")
    channels = client.action("CoreShowChannels")
    return status_from_events(queues.events, devices.events, channels.events)
