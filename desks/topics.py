"""The consultation line's topic menu, and which doctor answers which topic. Pure: data in, data out.

Semarang's Konter (1500132) answers with a one-digit menu before the call reaches a doctor; the topics are
the seed's own list (issue 10). A topic is a skill: a doctor of a consultation desk answers the topics in
their skills, and a doctor without a skills list answers every topic (the default, so a desk that never
set skills works as before).

Each consultation desk has, beside its own queue (everyone on duty), one Asterisk queue per topic named
`<desk>--<topic>` whose members are the desk's staff on duty with that skill (desks/members.py). `--`
cannot occur in a facility code's queue name by accident of a topic: topic codes are plain lower-case
words, so the name always splits back into (desk, topic) at its last `--`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kernel.dataerrors import RowError
from kernel.messages import Message

SEPARATOR = "--"  # between a desk's code and a topic in a topic queue's name


@dataclass(frozen=True)
class Topic:
    digit: str  # what the caller presses
    code: str  # the skill's name in staff data and the queue name's suffix
    label: str  # as the prompt says it


TOPICS: tuple[Topic, ...] = (
    Topic("1", "penyakit", "masalah kesehatan / konsultasi penyakit"),
    Topic("2", "faskes", "rumah sakit dan puskesmas"),
    Topic("3", "dokter", "dokter praktik dan klinik"),
    Topic("4", "apotek", "apotek"),
    Topic("5", "tarif", "tarif, BPJS dan UHC"),
)
BY_DIGIT = {t.digit: t for t in TOPICS}
BY_CODE = {t.code: t for t in TOPICS}
ALL_SKILLS = frozenset(BY_CODE)


def topic_queue(desk: str, topic: str) -> str:
    """The queue of `desk`'s doctors with skill `topic`."""
    return f"{desk}{SEPARATOR}{topic}"


def topic_queues(desks: Iterable[str]) -> list[str]:
    """Every topic queue of these consultation desks, in menu order per desk."""
    return [topic_queue(d, t.code) for d in desks for t in TOPICS]


def desk_of_queue(queue: str) -> str:
    """The desk (facility code) a queue belongs to: a topic queue's desk, else the queue itself. Call
    records keep the desk as the answering facility, so staffing and the console count a topic queue's
    calls as the desk's; the queue names themselves stay in the record's overflow path."""
    desk, sep, topic = queue.rpartition(SEPARATOR)
    return desk if sep and desk and topic in BY_CODE else queue


def topic_for_digit(digit: str) -> Topic | None:
    return BY_DIGIT.get(digit)


def parse_skills(text: str) -> frozenset[str]:
    """`penyakit|apotek` → those skills; empty → every topic. Raises ValueError naming the unknown ones."""
    codes = [c.strip() for c in text.split("|") if c.strip()]
    if not codes:
        return ALL_SKILLS
    unknown = sorted({c for c in codes if c not in BY_CODE})
    if unknown:
        raise ValueError(
            Message(
                "unknown skill(s) {skills}; topics are {topics} (empty: all)",
                skills=", ".join(repr(u) for u in unknown),
                topics=", ".join(t.code for t in TOPICS),
            )
        )
    return frozenset(codes)


def format_skills(skills: frozenset[str]) -> str:
    """The stored form: topic codes in menu order, `|`-separated; every topic is stored as "" (all)."""
    if skills >= ALL_SKILLS:
        return ""
    return "|".join(t.code for t in TOPICS if t.code in skills)


def has_skill(skills: Mapping[str, frozenset[str]], staff_id: str, topic: str) -> bool:
    """Someone with no skills list answers every topic."""
    return topic in skills.get(staff_id, ALL_SKILLS)


def uncovered_topics(
    desk_staff: Mapping[str, Iterable[str]], skills: Mapping[str, frozenset[str]], source: str
) -> list[RowError]:
    """One error per (consultation desk, topic) that none of the desk's own staff can answer: its topic
    queue would never have a member, and every caller choosing it would wait there for nothing. A desk
    with no staff at all is the coverage check's business, not a skills problem."""
    errors = []
    for desk, staff in sorted(desk_staff.items()):
        people = list(staff)
        if not people:
            continue
        covered = frozenset().union(*(skills.get(s, ALL_SKILLS) for s in people))
        for topic in TOPICS:
            if topic.code not in covered:
                errors.append(
                    RowError(
                        source,
                        0,
                        "skills",
                        Message(
                            "desk {desk}: no staff member has the skill {skill!r} (menu {digit}: {topic}); "
                            "give it to someone, or leave someone's skills empty (all)",
                            desk=desk,
                            skill=topic.code,
                            digit=topic.digit,
                            topic=topic.label,
                        ),
                    )
                )
    return errors
