"""The complaints desk's application service: open a complaint, change its status, assign it to a
facility, show and list complaints, the public view, the monthly figures per desk and the review.

Every front-end calls these (the phone scripts, `siaga complaints`, the console and its public pages),
each inside its own transaction: a refused request raises `InputError` (each problem a `FieldError`
naming the field) before anything is added, a done one leaves the complaint, its step and its audit
entry (`kernel.audit`) together. An unknown number raises `NotFound`.

What the public may see is decided here, once (`PublicComplaint`): never the caller's number, a name,
the recording or the text, unless an officer marked the text or a note public.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from complaints import lifecycle, store
from complaints.lifecycle import CLOSED, OPEN, RECEIVED, transition_problem
from complaints.model import ComplaintRow, ComplaintStepRow
from complaints.numbers import check_number
from complaints.sla import Deadlines, SlaPolicy, SlaRules, SlaState, deadlines, parse_overrides, state_at
from kernel.audit import record
from kernel.dataerrors import FieldError, InputError, NotFound
from kernel.messages import N_, Message, untranslated
from kernel.settings import Settings, load

CHANNELS = ("phone", "web", "cli")
MAX_TEXT = 4000  # characters of a written complaint
MAX_NOTE = 2000  # characters of a response note
MAX_RECORDING_PATH = 300
LIST_LIMIT = 500
_PHONE = re.compile(r"\+?[0-9]{6,15}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
log = logging.getLogger("siaga.complaints")


@dataclass(frozen=True)
class ComplaintRules:
    """What the settings say about complaints, read once by each front-end."""

    categories: tuple[str, ...] = ("pelayanan", "petugas", "fasilitas", "obat", "biaya", "lainnya")
    sla: SlaRules = field(default_factory=SlaRules)
    zone: str = "Asia/Jakarta"
    complaint_number: str = ""
    review_every: timedelta = timedelta(hours=8)


def rules_from_settings(settings: Settings) -> ComplaintRules:
    """Raises ValueError naming the setting when one cannot be used."""
    categories = tuple(dict.fromkeys(c.strip() for c in settings.complaint_categories if c.strip()))
    if not categories:
        raise ValueError(N_("setting 'complaint_categories' is empty"))
    for c in categories:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", c):
            raise ValueError(
                Message("setting 'complaint_categories': {category!r} is not a lowercase code", category=c)
            )
    try:
        ZoneInfo(settings.complaint_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            Message("setting 'complaint_zone': unknown time zone {zone!r}", zone=settings.complaint_zone)
        ) from None
    if not 0 < settings.complaint_first_response_hours <= 720:
        raise ValueError(N_("setting 'complaint_first_response_hours' must be in (0, 720]"))
    if not 1 <= settings.complaint_resolution_days <= 365:
        raise ValueError(N_("setting 'complaint_resolution_days' must be in 1..365"))
    if not 0 < settings.complaint_review_hours <= 168:
        raise ValueError(N_("setting 'complaint_review_hours' must be in (0, 168]"))
    default = SlaPolicy(
        timedelta(hours=settings.complaint_first_response_hours), settings.complaint_resolution_days
    )
    sla = SlaRules(
        default,
        parse_overrides(settings.complaint_sla, categories),
        timedelta(hours=max(0.0, settings.complaint_warn_hours)),
    )
    return ComplaintRules(
        categories,
        sla,
        settings.complaint_zone,
        settings.complaint_number,
        timedelta(hours=settings.complaint_review_hours),
    )


def default_rules() -> ComplaintRules:
    """The rules of `siaga.toml` and `SIAGA_*` as `load()` reads them, for a caller that has no settings
    at hand (the phone scripts' interface)."""
    return rules_from_settings(load())


# -- views ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    status: str
    at: datetime
    took_s: int | None  # since the step before (None for the first)
    from_status: str | None
    note: str
    note_public: bool
    officer: str

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "from_status": self.from_status,
            "at": self.at.isoformat(timespec="seconds"),
            "took_s": self.took_s,
            "note": self.note,
            "note_public": self.note_public,
            "officer": self.officer,
        }


@dataclass(frozen=True)
class Complaint:
    """The officers' view: everything, personal data included."""

    number: str
    status: str
    category: str
    channel: str
    caller: str
    text: str
    text_public: bool
    recording: str | None
    facility: str | None
    desk: str
    zone: str
    received_at: datetime
    first_response_at: datetime | None
    closed_at: datetime | None
    due: Deadlines
    sla: SlaState
    history: list[Step]
    next_statuses: tuple[str, ...]

    @property
    def first_response_s(self) -> int | None:
        return _seconds(self.received_at, self.first_response_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "status": self.status,
            "category": self.category,
            "channel": self.channel,
            "caller": self.caller,
            "text": self.text,
            "text_public": self.text_public,
            "recording": self.recording,
            "facility": self.facility,
            "desk": self.desk,
            "zone": self.zone,
            "received_at": _iso(self.received_at),
            "first_response_at": _iso(self.first_response_at),
            "first_response_s": self.first_response_s,
            "closed_at": _iso(self.closed_at),
            "first_response_due": _iso(self.due.first_response_due),
            "resolution_due": _iso(self.due.resolution_due),
            "overdue": self.sla.overdue,
            "first_response_overdue": self.sla.first_response_overdue,
            "resolution_overdue": self.sla.resolution_overdue,
            "due_soon": self.sla.due_soon,
            "next_statuses": list(self.next_statuses),
            "history": [s.to_json() for s in self.history],
        }


@dataclass(frozen=True)
class PublicStep:
    status: str
    at: datetime
    took_s: int | None
    note: str | None  # only a note the officer marked public

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "label": lifecycle.LABELS.get(self.status, self.status),
            "at": self.at.isoformat(timespec="seconds"),
            "took_s": self.took_s,
            "note": self.note,
        }


@dataclass(frozen=True)
class PublicComplaint:
    """What anyone holding the number may see: no caller number, name, recording or private text."""

    number: str
    status: str
    received_at: datetime
    history: list[PublicStep]
    first_response_s: int | None
    category: str = ""
    desk: str = ""
    facility: str | None = None
    text: str | None = None  # only when marked public
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    overdue: bool = False
    closed_s: int | None = None  # received → final status

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "status": self.status,
            "label": lifecycle.LABELS.get(self.status, self.status),
            "category": self.category,
            "desk": self.desk,
            "facility": self.facility,
            "text": self.text,
            "received_at": _iso(self.received_at),
            "first_response_s": self.first_response_s,
            "closed_s": self.closed_s,
            "first_response_due": _iso(self.first_response_due),
            "resolution_due": _iso(self.resolution_due),
            "overdue": self.overdue,
            "history": [s.to_json() for s in self.history],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else int((end - start).total_seconds())


def _local(value: datetime | None, zone: str) -> datetime | None:
    return None if value is None else store.aware(value).astimezone(ZoneInfo(zone))


def _steps(rows: Sequence[ComplaintStepRow], zone: str) -> list[Step]:
    steps, before = [], None
    for row in rows:
        at = _local(row.at, zone)
        assert at is not None
        took = None if before is None else int((at - before).total_seconds())
        steps.append(Step(row.status, at, took, row.from_status, row.note, row.note_public, row.officer))
        before = at
    return steps


def _deadlines(row: ComplaintRow) -> Deadlines:
    due_first, due_done = _local(row.first_response_due, row.zone), _local(row.resolution_due, row.zone)
    assert due_first is not None and due_done is not None
    return Deadlines(due_first, due_done)


def _view(
    row: ComplaintRow, steps: Sequence[ComplaintStepRow], now: datetime, rules: ComplaintRules
) -> Complaint:
    zone = row.zone
    received = _local(row.received_at, zone)
    assert received is not None and row.number is not None
    due = _deadlines(row)
    first = _local(row.first_response_at, zone)
    closed = _local(row.closed_at, zone)
    return Complaint(
        number=row.number,
        status=row.status,
        category=row.category,
        channel=row.channel,
        caller=row.caller,
        text=row.text,
        text_public=row.text_public,
        recording=row.recording,
        facility=row.facility_code,
        desk=row.desk,
        zone=zone,
        received_at=received,
        first_response_at=first,
        closed_at=closed,
        due=due,
        sla=state_at(now, due, first, closed, rules.sla.warn_before),
        history=_steps(steps, zone),
        next_statuses=lifecycle.next_statuses(row.status),
    )


# -- input checks ----------------------------------------------------------------------------------------


def _clean_text(value: str, name: str, limit: int, errors: list[FieldError], *, required: bool) -> str:
    """Text is kept as typed (a `<script>` is stored as text and escaped where shown); only control
    characters other than line breaks and tabs are refused, as they have no place in a complaint."""
    text = value.replace("\r\n", "\n").strip()
    if required and not text:
        errors.append(FieldError(name, N_("is empty")))
    elif len(text) > limit:
        errors.append(
            FieldError(
                name, Message("is {length} characters long; at most {limit}", length=len(text), limit=limit)
            )
        )
    elif _CONTROL.search(text):
        errors.append(FieldError(name, N_("contains control characters")))
    return text


def _check_now(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("`now` needs its time zone")


def open_complaint(
    session: Session,
    *,
    caller: str,
    category: str,
    text: str,
    facility: str | None,
    channel: str,
    recording: str | None,
    now: datetime,
    actor: str | None = None,
    rules: ComplaintRules | None = None,
) -> str:
    """Check everything, store the complaint and its first step (`received`), audit it; return its number.

    A phone complaint is a recording (its text may be empty) and keeps a hidden or odd caller id as "";
    a written one needs its text, and a caller number, when given, must look like one.
    """
    _check_now(now)
    rules = rules or default_rules()
    errors: list[FieldError] = []
    if channel not in CHANNELS:
        errors.append(
            FieldError(
                "channel",
                Message("{value!r} is not one of {choices}", value=channel, choices=", ".join(CHANNELS)),
            )
        )
    caller_value = re.sub(r"[ \-().]", "", caller or "")
    if caller_value and not _PHONE.fullmatch(caller_value):
        if channel == "phone":
            caller_value = ""  # a hidden or garbled caller id must not cost the caller their complaint
        else:
            errors.append(FieldError("caller", N_("not a phone number (digits, optionally a leading +)")))
    if category not in rules.categories:
        errors.append(
            FieldError(
                "category",
                Message(
                    "{value!r} is not one of {choices}", value=category, choices=", ".join(rules.categories)
                ),
            )
        )
    body = _clean_text(text or "", "text", MAX_TEXT, errors, required=channel != "phone")
    if channel == "phone" and not (recording or "").strip():
        errors.append(FieldError("recording", N_("a phone complaint needs its recording")))
    if recording is not None and (len(recording) > MAX_RECORDING_PATH or _CONTROL.search(recording)):
        errors.append(FieldError("recording", N_("not a usable file path")))
    zone, desk = rules.zone, ""
    facility_code = (facility or "").strip() or None
    if facility_code is not None:
        place = store.facility_place(session, facility_code)
        if place is None:
            errors.append(
                FieldError("facility", Message("unknown facility {facility!r}", facility=facility_code))
            )
        else:
            zone, desk = place
    if errors:
        raise InputError(errors)
    if not desk and rules.complaint_number:
        desk = store.did_desk(session, rules.complaint_number) or ""
    received = store.utc_naive(now)
    due = deadlines(now, rules.sla.policy(category), zone)
    row = store.insert_complaint(
        session,
        ComplaintRow(
            received_at=received,
            channel=channel,
            caller=caller_value,
            category=category,
            text=body,
            text_public=False,
            recording=(recording or "").strip() or None,
            facility_code=facility_code,
            desk=desk,
            zone=zone,
            status=RECEIVED,
            status_at=received,
            first_response_due=store.utc_naive(due.first_response_due),
            resolution_due=store.utc_naive(due.resolution_due),
        ),
    )
    store.add_step(
        session,
        ComplaintStepRow(complaint_id=row.id, at=received, from_status=None, status=RECEIVED, officer=""),
    )
    assert row.number is not None
    record(
        session,
        actor or f"{channel}:complaint",
        "complaint-open",
        facility_code,
        f"complaint {row.number} received by {channel}, category {category}",
        None,
        {
            "number": row.number,
            "category": category,
            "channel": channel,
            "facility": facility_code,
            "desk": desk,
        },
    )
    return row.number


def _find(session: Session, number: str) -> ComplaintRow:
    """The complaint with this number: `InputError` on `number` for a malformed one, `NotFound` if none."""
    value = (number or "").strip()
    problem = check_number(value)
    if problem is not None:
        raise InputError.one("number", problem)
    row = store.by_number(session, value)
    if row is None:
        raise NotFound(Message("no complaint has the number {number}", number=value))
    return row


def change_status(
    session: Session,
    number: str,
    status: str,
    *,
    note: str,
    officer: str,
    now: datetime,
    public: bool = False,
    text_public: bool | None = None,
    rules: ComplaintRules | None = None,
) -> Complaint:
    """Move the complaint one allowed step, with the officer's response note (`public`: shown on the
    public page). The first change away from `received` is the first response; a final status closes
    it. `text_public` marks the complaint's own text public (or private again)."""
    _check_now(now)
    rules = rules or default_rules()
    row = _find(session, number)
    errors: list[FieldError] = []
    problem = transition_problem(row.status, status)
    if problem is not None:
        errors.append(FieldError("status", problem))
    body = _clean_text(note or "", "note", MAX_NOTE, errors, required=True)
    if not officer.strip():
        errors.append(FieldError("officer", N_("is empty")))
    at = store.utc_naive(now)
    if at < row.status_at:
        errors.append(FieldError("now", N_("is before the complaint's last change")))
    if errors:
        raise InputError(errors)
    before = {"status": row.status, "text_public": row.text_public}
    store.add_step(
        session,
        ComplaintStepRow(
            complaint_id=row.id,
            at=at,
            from_status=row.status,
            status=status,
            note=body,
            note_public=public,
            officer=officer[:64],
        ),
    )
    row.status, row.status_at = status, at
    if row.first_response_at is None:
        row.first_response_at = at
    if status in CLOSED:
        row.closed_at = at
    if text_public is not None:
        row.text_public = text_public
    assert row.number is not None
    record(
        session,
        officer,
        "complaint-status",
        row.facility_code,
        f"complaint {row.number}: {before['status']} → {status}",
        before,
        {"status": status, "text_public": row.text_public, "note_public": public},
    )
    session.flush()
    return show(session, row.number, now, rules=rules)


def assign_facility(
    session: Session,
    number: str,
    facility: str,
    *,
    officer: str,
    now: datetime,
    rules: ComplaintRules | None = None,
) -> Complaint:
    """Name the facility the complaint is about; its desk becomes that facility's kabupaten/kota.
    The deadlines stay as promised when the complaint arrived."""
    _check_now(now)
    rules = rules or default_rules()
    row = _find(session, number)
    place = store.facility_place(session, facility)
    if place is None:
        raise InputError.one("facility", Message("unknown facility {facility!r}", facility=facility))
    if row.status in CLOSED:
        raise InputError.one(
            "status", f"the complaint is {row.status}: a closed complaint keeps its facility"
        )
    before = {"facility": row.facility_code, "desk": row.desk}
    row.facility_code = facility
    row.desk = place[1] or row.desk
    assert row.number is not None
    record(
        session,
        officer,
        "complaint-assign",
        facility,
        f"complaint {row.number} assigned to {facility}",
        before,
        {"facility": facility, "desk": row.desk},
    )
    session.flush()
    return show(session, row.number, now, rules=rules)


def show(session: Session, number: str, now: datetime, *, rules: ComplaintRules | None = None) -> Complaint:
    rules = rules or default_rules()
    row = _find(session, number)
    return _view(row, store.steps_of(session, [row.id])[row.id], now, rules)


def desk_of(session: Session, number: str) -> str:
    """The desk (kabupaten/kota code, "" unknown) a complaint belongs to, for the console's access check."""
    return _find(session, number).desk


@dataclass(frozen=True)
class ListFilter:
    status: str | None = None
    category: str | None = None
    facility: str | None = None
    overdue: bool = False
    desks: frozenset[str] | None = None  # None: every desk


def list_complaints(
    session: Session,
    filters: ListFilter,
    at: datetime,
    *,
    rules: ComplaintRules | None = None,
    limit: int = LIST_LIMIT,
) -> list[Complaint]:
    """Newest first; `overdue` keeps only complaints past a deadline at `at` (still unanswered or open)."""
    _check_now(at)
    rules = rules or default_rules()
    errors = []
    if filters.status and filters.status not in lifecycle.STATUSES:
        errors.append(
            FieldError(
                "status",
                Message(
                    "{value!r} is not one of {choices}",
                    value=filters.status,
                    choices=", ".join(lifecycle.STATUSES),
                ),
            )
        )
    if filters.category and filters.category not in rules.categories:
        errors.append(
            FieldError(
                "category",
                Message(
                    "{value!r} is not one of {choices}",
                    value=filters.category,
                    choices=", ".join(rules.categories),
                ),
            )
        )
    if errors:
        raise InputError(errors)
    query = store.complaints_query(
        status=filters.status,
        category=filters.category,
        facility=filters.facility,
        desks=filters.desks,
        open_only=OPEN if filters.overdue else None,
    )
    rows = store.select_complaints(session, query, limit if not filters.overdue else limit * 20)
    steps = store.steps_of(session, [r.id for r in rows])
    views = [_view(r, steps[r.id], at, rules) for r in rows]
    if filters.overdue:
        views = [v for v in views if v.sla.overdue][:limit]
    return views


def public_status(session: Session, number: str, *, now: datetime | None = None) -> PublicComplaint:
    """The public view of one complaint. `NotFound` for an unknown number, `InputError` (on `number`) for a
    malformed one or a wrong check digit: a mistyped number is told apart from one that does not exist."""
    row = _find(session, number)
    assert row.number is not None
    zone = row.zone
    steps = _steps(store.steps_of(session, [row.id])[row.id], zone)
    received = _local(row.received_at, zone)
    assert received is not None
    now = now or datetime.now(ZoneInfo(zone))
    due = _deadlines(row)
    first, closed = _local(row.first_response_at, zone), _local(row.closed_at, zone)
    sla = state_at(now, due, first, closed, timedelta(0))
    return PublicComplaint(
        number=row.number,
        status=row.status,
        received_at=received,
        history=[PublicStep(s.status, s.at, s.took_s, s.note if s.note_public else None) for s in steps],
        first_response_s=_seconds(received, first),
        category=row.category,
        desk=row.desk,
        facility=row.facility_code,
        text=row.text if row.text_public and row.text else None,
        first_response_due=due.first_response_due,
        resolution_due=due.resolution_due,
        overdue=sla.overdue,
        closed_s=_seconds(received, closed),
    )


# -- figures and the review ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskMonth:
    """One desk's complaints received in one month (`month` as YYYY-MM in the rules' zone)."""

    month: str
    desk: str
    received: int
    answered_on_time_pct: float | None  # first response within its deadline (8 h by default), of those due
    median_first_response_s: int | None
    median_to_done_s: int | None
    open_now: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _median(values: list[int]) -> int | None:
    return int(statistics.median(values)) if values else None


def monthly_figures(
    session: Session, start: datetime, end: datetime, now: datetime, *, rules: ComplaintRules | None = None
) -> list[DeskMonth]:
    """Per month and desk, complaints received in [start, end): received, % first response on time (of
    those answered or already past their deadline), medians to first response and to done, open now."""
    _check_now(now)
    rules = rules or default_rules()
    zone = ZoneInfo(rules.zone)
    groups: dict[tuple[str, str], list[ComplaintRow]] = defaultdict(list)
    for row in store.received_between(session, start, end):
        month = store.aware(row.received_at).astimezone(zone).strftime("%Y-%m")
        groups[(month, row.desk)].append(row)
    figures = []
    for (month, desk), rows in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1]), reverse=False):
        due_now = [
            r for r in rows if r.first_response_at is not None or store.aware(r.first_response_due) < now
        ]
        on_time = [
            r
            for r in due_now
            if r.first_response_at is not None and r.first_response_at <= r.first_response_due
        ]
        first = [
            int((r.first_response_at - r.received_at).total_seconds()) for r in rows if r.first_response_at
        ]
        done = [
            int((r.closed_at - r.received_at).total_seconds())
            for r in rows
            if r.closed_at is not None and r.status == lifecycle.DONE
        ]
        figures.append(
            DeskMonth(
                month,
                desk,
                len(rows),
                round(100.0 * len(on_time) / len(due_now), 1) if due_now else None,
                _median(first),
                _median(done),
                sum(1 for r in rows if r.status in OPEN),
            )
        )
    figures.sort(key=lambda f: (f.month, f.desk), reverse=True)
    return figures


@dataclass(frozen=True)
class DeskReview:
    desk: str
    new: list[str] = field(default_factory=list)  # numbers received since the last review
    first_response_overdue: list[str] = field(default_factory=list)
    resolution_overdue: list[str] = field(default_factory=list)
    due_soon: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Review:
    at: datetime
    since: datetime
    desks: list[DeskReview]

    def to_json(self) -> dict[str, Any]:
        return {"at": _iso(self.at), "since": _iso(self.since), "desks": [d.to_json() for d in self.desks]}


def review(
    session: Session,
    now: datetime,
    *,
    rules: ComplaintRules | None = None,
    desks: Iterable[str] | None = None,
) -> Review:
    """Per desk: complaints new since one review interval ago, those past a deadline and those within the
    warning window of one — what the officers look at every 8 hours."""
    _check_now(now)
    rules = rules or default_rules()
    since = now - rules.review_every
    rows = store.select_complaints(session, store.complaints_query(desks=desks, open_only=OPEN), 100_000)
    found: dict[str, DeskReview] = {}
    for row in sorted(rows, key=lambda r: r.id):
        due = _deadlines(row)
        first = _local(row.first_response_at, row.zone)
        sla = state_at(now, due, first, None, rules.sla.warn_before)
        entry = found.setdefault(row.desk, DeskReview(row.desk))
        assert row.number is not None
        if store.aware(row.received_at) > since:
            entry.new.append(row.number)
        if sla.first_response_overdue:
            entry.first_response_overdue.append(row.number)
        if sla.resolution_overdue:
            entry.resolution_overdue.append(row.number)
        if sla.due_soon:
            entry.due_soon.append(row.number)
    return Review(now, since, [found[d] for d in sorted(found)])


def describe_review(result: Review, translate: Callable[[str], str] = untranslated) -> list[str]:
    """One line per desk, for the log (English, the default) and the command line (`translate`: `tr`)."""
    t = translate
    lines = []
    for d in result.desks:
        overdue = " ".join(dict.fromkeys(d.first_response_overdue + d.resolution_overdue))
        lines.append(
            t(
                Message(
                    "complaints desk {desk}: {new} new, {no_response} without first response past due, "
                    "{past} past the resolution deadline, {soon} due soon",
                    desk=d.desk or t(N_("(none)")),
                    new=len(d.new),
                    no_response=len(d.first_response_overdue),
                    past=len(d.resolution_overdue),
                    soon=len(d.due_soon),
                )
            )
            + (t(Message(" — overdue: {numbers}", numbers=overdue)) if overdue else "")
            + (t(Message(" — due soon: {numbers}", numbers=" ".join(d.due_soon))) if d.due_soon else "")
        )
    return lines or [t(N_("complaints: no open complaints"))]


def review_job(rules: ComplaintRules, engine: Engine, run_time: datetime) -> Review:
    """The scheduled review (every `complaint_review_hours`): the same figures as the console's, logged
    per desk, as a warning where a deadline has passed or is near."""
    with Session(engine) as session:
        result = review(session, run_time, rules=rules)
    urgent = {d.desk for d in result.desks if d.first_response_overdue or d.resolution_overdue or d.due_soon}
    for desk, line in zip(result.desks, describe_review(result), strict=False):
        log.log(logging.WARNING if desk.desk in urgent else logging.INFO, "%s", line)
    if not result.desks:
        log.info("complaints review at %s: no open complaints", run_time.isoformat(timespec="minutes"))
    return result
