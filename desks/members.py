"""Who should be a member of each desk's queue now, and what to change in Asterisk to get there.

Pure: the roster snapshot and the desks in, the wanted members and the difference out. The engine's
desk-member sync (desks/sync.py) applies the difference through the manager interface at every shift
boundary and within seconds of any roster edit, so a queue's members are exactly the desk's staff on
duty: a dispatcher going off shift stops receiving calls, one coming on starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from desks.config import Desk
from desks.topics import TOPICS, has_skill, topic_queue
from shifts.roster import OnDutySnapshot


@dataclass(frozen=True, order=True)
class Member:
    interface: str  # PJSIP/<endpoint>: what the queue rings, and the state it watches
    name: str  # shown in `queue show` and in the manager's events


@dataclass(frozen=True)
class MemberChanges:
    add: tuple[tuple[str, Member], ...] = ()  # (queue, member)
    remove: tuple[tuple[str, str], ...] = ()  # (queue, interface)

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)


def interface(endpoint: str) -> str:
    return f"PJSIP/{endpoint}"


def wanted_members(
    snapshot: OnDutySnapshot,
    desks: Iterable[Desk],
    skills: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, set[Member]]:
    """Queue name → the desk's staff on duty in the snapshot (someone on two overlapping duties once).

    A consultation desk also has one queue per menu topic (desks/topics.py), holding those of its staff on
    duty with that skill (`skills`: staff id → topics; no entry = every topic). The desk's own queue keeps
    everyone, so a caller who chose no topic, or whose topic has nobody free, still reaches a doctor."""
    wanted: dict[str, set[Member]] = {}
    skills = skills or {}
    for desk in desks:
        duties = snapshot.staff_at(desk.code)
        wanted[desk.code] = {Member(interface(d.endpoint), d.staff_name or d.staff_id) for d in duties}
        if desk.kind != "consultation":
            continue
        for topic in TOPICS:
            wanted[topic_queue(desk.code, topic.code)] = {
                Member(interface(d.endpoint), d.staff_name or d.staff_id)
                for d in duties
                if has_skill(skills, d.staff_id, topic.code)
            }
    return wanted


def member_changes(wanted: Mapping[str, set[Member]], actual: Mapping[str, set[str]]) -> MemberChanges:
    """What to add and remove so each queue holds exactly its wanted members. Queues Asterisk does not
    know are left alone (a desk added since Asterisk started needs its configuration first); members of
    queues that are not desks any more are removed."""
    add: list[tuple[str, Member]] = []
    remove: list[tuple[str, str]] = []
    for queue, members in sorted(wanted.items()):
        if queue not in actual:
            continue
        present = actual[queue]
        add += [(queue, m) for m in sorted(members) if m.interface not in present]
        wanted_interfaces = {m.interface for m in members}
        remove += [(queue, i) for i in sorted(present - wanted_interfaces)]
    for queue, present in sorted(actual.items()):
        if queue not in wanted:
            remove += [(queue, i) for i in sorted(present)]
    return MemberChanges(tuple(add), tuple(remove))
