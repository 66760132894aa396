"""Keeping each desk's Asterisk queue staffed from the roster, through the manager interface.

Runs in a helper process of the engine (supervised like the AGI workers). Every `interval_s` it takes the
roster snapshot (which the engine rebuilds on any roster edit, leave or swap within `roster_refresh_s`,
and at every shift boundary), works out the members each queue should have (desks/members.py), reads
the members it has (`QueueStatus`) and applies the difference (`QueueAdd`, `QueueRemove`). Reading
Asterisk each time, rather than remembering what we sent, makes a restarted Asterisk or engine converge
without a special case. A member's pause (`*46`/`*47`) is Asterisk's own state and is left alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from ami.client import ManagerClient
from ami.rounds import run_rounds
from desks.config import Desk
from desks.members import MemberChanges, member_changes, wanted_members
from shifts.roster import OnDutySnapshot

log = logging.getLogger("siaga.desks")


def queue_members(client: ManagerClient) -> dict[str, set[str]]:
    """Queue name → member interfaces, as Asterisk has them now."""
    reply = client.action("QueueStatus")
    members: dict[str, set[str]] = {}
    for event in reply.events:
        kind = event.get("Event")
        if kind == "QueueParams":
            members.setdefault(event.get("Queue"), set())
        elif kind == "QueueMember":
            where = event.get("Interface") or event.get("Location")
            members.setdefault(event.get("Queue"), set()).add(where)
    return members


def apply_changes(client: ManagerClient, changes: MemberChanges) -> None:
    for queue, member in changes.add:
        reply = client.action(
            "QueueAdd",
            Queue=queue,
            Interface=member.interface,
            MemberName=member.name,
            StateInterface=member.interface,
            Paused="false",
        )
        if reply.response.is_success:
            log.info("desk %s: %s (%s) is on duty: joins the queue", queue, member.name, member.interface)
        else:
            log.error("desk %s: could not add %s: %s", queue, member.interface, reply.response.get("Message"))
    for queue, member_interface in changes.remove:
        reply = client.action("QueueRemove", Queue=queue, Interface=member_interface)
        if reply.response.is_success:
            log.info("desk %s: %s is off duty: leaves the queue", queue, member_interface)
        else:
            log.error(
                "desk %s: could not remove %s: %s", queue, member_interface, reply.response.get("Message")
            )


def sync_once(
    client: ManagerClient,
    snapshot: OnDutySnapshot,
    desks: Sequence[Desk],
    skills: Mapping[str, frozenset[str]] | None = None,
) -> MemberChanges:
    changes = member_changes(wanted_members(snapshot, desks, skills), queue_members(client))
    if changes:
        apply_changes(client, changes)
    return changes


def run_desk_sync(
    connect: Callable[[], ManagerClient],
    snapshot: Callable[[datetime], OnDutySnapshot],
    desks: Sequence[Desk],
    interval_s: float,
    stop: threading.Event,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    skills: Callable[[], Mapping[str, frozenset[str]]] = dict,
) -> None:
    """Sync every `interval_s` until `stop`; an unreachable Asterisk or database is retried, logged once.

    `skills` is read every round like the roster (a handful of rows), so a doctor's new skills reach the
    consultation desk's topic queues within a second, without a restart."""
    run_rounds(
        connect,
        lambda client: sync_once(client, snapshot(clock()), desks, skills()),
        interval_s,
        stop,
        log,
        failing="desk queues not synced with the roster",
        recovered="desk queues in step with the roster again",
    )
