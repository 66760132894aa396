"""Which facilities are desks, and where each desk's callers go when it cannot answer in time.

A desk is a facility of kind `dispatch` (a kabupaten/kota's PSC 119, a province's or the national
command centre) or `consultation` (a doctors' line such as Semarang's Konter). Each desk is one Asterisk
queue named after the facility code. `desks.csv` in the region folder (optional) gives a desk its
overflow chain and how long a caller waits there before moving on:

    desk,overflow,max_wait_s
    psc119-semarang,psc119-jateng|ncc119,60
    psc119-jateng,ncc119,90

The chain is the desk, then its overflow desks in the order given. The last desk of a chain has no
maximum wait: a caller waits there until someone answers, never hung up on by us. A desk not in the file
has no overflow. The whole file is refused, every bad line named, if a line names an unknown desk or a
facility that is not a desk, repeats a desk, gives a wait that is not 5-3600 s, or makes a cycle (a desk
in its own chain): a half-applied overflow table would send callers in circles or nowhere.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from desks.overflow_model import STORED, stored_desks_csv
from geo.facilities import Facility
from geo.store import load_facilities
from kernel.dataerrors import DataError, RowError
from kernel.db import make_engine
from kernel.messages import Message
from kernel.settings import Settings, SettingsError

DESK_KINDS = ("dispatch", "consultation", "complaints")
DESK_KINDS_TEXT = "dispatch, consultation or complaints"
COLUMNS = ("desk", "overflow", "max_wait_s")
MIN_WAIT_S, MAX_WAIT_S = 5, 3600
DEFAULT_MAX_WAIT_S = 60  # a desk with overflow desks but no max_wait_s


@dataclass(frozen=True)
class Desk:
    code: str  # the facility code, and the Asterisk queue's name
    name: str
    kind: str
    overflow: tuple[str, ...] = ()
    max_wait_s: int = DEFAULT_MAX_WAIT_S  # used only while the desk is not the last of a chain


@dataclass(frozen=True)
class DeskTable:
    desks: Mapping[str, Desk]

    def chain(self, code: str) -> list[Desk]:
        """The desk and its overflow desks, in order; unknown codes give an empty chain."""
        first = self.desks.get(code)
        if first is None:
            return []
        return [first, *(self.desks[c] for c in first.overflow if c in self.desks)]

    def of_kind(self, kind: str) -> list[Desk]:
        return sorted((d for d in self.desks.values() if d.kind == kind), key=lambda d: d.code)

    def __len__(self) -> int:
        return len(self.desks)


def is_desk(facility: Facility) -> bool:
    return facility.kind in DESK_KINDS


def not_a_desk(facility: Facility) -> Message:
    """Why `facility` cannot be a desk (its kind), for a desks file's line or a command's option."""
    return Message(
        "{code} is a {kind}, not a desk ({kinds})",
        code=facility.code,
        kind=facility.kind,
        kinds=DESK_KINDS_TEXT,
    )


def parse_desks_csv(text: str, source: str, facilities: Iterable[Facility]) -> DeskTable:
    """Desks are every desk facility; the text adds overflow chains and waits (see the module's doc)."""
    by_code = {f.code: f for f in facilities}
    desks = {f.code: Desk(f.code, f.name, f.kind) for f in by_code.values() if is_desk(f)}
    errors: list[RowError] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("desk", "overflow") if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        problem = (
            Message("missing column(s) {columns}", columns=", ".join(missing))
            if missing
            else Message("unknown column(s) {columns}", columns=", ".join(unknown))
            if unknown
            else Message("a column is named twice")
        )
        raise DataError(
            [
                RowError(
                    source,
                    1,
                    None,
                    Message("{problem}; expected {columns}", problem=problem, columns=",".join(COLUMNS)),
                )
            ]
        )
    reader.fieldnames = header
    seen: set[str] = set()
    configured: dict[str, Desk] = {}
    for line, row in enumerate(reader, start=2):
        get = {k: (v or "").strip() for k, v in row.items() if k}
        code = get.get("desk", "")
        problems: list[tuple[str, str]] = []
        facility = by_code.get(code)
        if facility is None:
            problems.append(("desk", Message("no facility {code!r}", code=code)))
        elif not is_desk(facility):
            problems.append(("desk", not_a_desk(facility)))
        if code in seen:
            problems.append(("desk", Message("{code} is configured twice", code=code)))
        seen.add(code)
        overflow = tuple(c.strip() for c in get.get("overflow", "").split("|") if c.strip())
        for other in overflow:
            if other not in desks:
                problems.append(("overflow", Message("{code!r} is not a desk", code=other)))
        if code in overflow or len(set(overflow)) != len(overflow):
            problems.append(("overflow", Message("{code}'s chain names a desk twice or itself", code=code)))
        wait_text = get.get("max_wait_s", "")
        wait = DEFAULT_MAX_WAIT_S
        if wait_text:
            try:
                wait = int(wait_text)
            except ValueError:
                wait = -1
            if not MIN_WAIT_S <= wait <= MAX_WAIT_S:
                problems.append(
                    (
                        "max_wait_s",
                        Message(
                            "{value!r} is not {least}-{most} seconds",
                            value=wait_text,
                            least=MIN_WAIT_S,
                            most=MAX_WAIT_S,
                        ),
                    )
                )
        errors += [RowError(source, line, field, message) for field, message in problems]
        if not problems and facility is not None:
            configured[code] = Desk(code, facility.name, facility.kind, overflow, wait)
    desks.update(configured)
    errors += _cycles(desks, source)
    if errors:
        raise DataError(errors)
    return DeskTable(desks)


def _cycles(desks: Mapping[str, Desk], source: str) -> list[RowError]:
    """A chain that leads back to where it started (a overflows to b, b to a) is a cycle, even though each
    line alone is fine: callers would be passed back and forth."""
    errors = []
    for code, desk in sorted(desks.items()):
        seen = {code}
        stack = list(desk.overflow)
        while stack:
            nxt = stack.pop()
            if nxt == code:
                errors.append(
                    RowError(
                        source,
                        0,
                        "overflow",
                        Message("overflow cycle: {code} leads back to itself", code=code),
                    )
                )
                break
            if nxt in seen:
                continue
            seen.add(nxt)
            stack.extend(desks[nxt].overflow if nxt in desks else ())
    return errors


def load_desks(facilities: Sequence[Facility], path: Path | None) -> DeskTable:
    """The desks of these facilities, with `path`'s overflow table if the file exists."""
    if path is None or not path.exists():
        return DeskTable({f.code: Desk(f.code, f.name, f.kind) for f in facilities if is_desk(f)})
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            [RowError(str(path), 0, None, Message("cannot read: {error}", error=str(exc)))]
        ) from exc
    return parse_desks_csv(text, str(path), facilities)


def load_desk_table(settings: Settings, facilities: list[Facility] | None = None) -> DeskTable:
    """The desks (facilities of kind dispatch, consultation or complaints) with their overflow chains: the
    stored table (`siaga import desks`; none stored, no overflow), or the file of the deprecated `desks_file`
    setting while it is set. Either is checked against the facilities as a desks.csv is."""
    facilities = facilities if facilities is not None else load_facilities(settings)
    if settings.desks_file is not None:
        return load_desks(facilities, settings.desks_file)
    with Session(make_engine(settings.db_url)) as session:
        text = stored_desks_csv(session)
    return parse_desks_csv(text, STORED, facilities)


def complaint_desk(settings: Settings, desks: DeskTable) -> str:
    """The queue the complaints line's option 0 (an officer) waits in: the setting, else the first desk of
    kind `complaints`, else "" (the dialplan then uses the default desk: a person still answers)."""
    if settings.complaint_desk:
        if settings.complaint_desk not in desks.desks:
            raise SettingsError(
                Message(
                    "setting 'complaint_desk': {desk!r} is not a desk; desks: {desks}",
                    desk=settings.complaint_desk,
                    desks=", ".join(sorted(desks.desks)) or "none",
                )
            )
        return settings.complaint_desk
    officers = desks.of_kind("complaints")
    return officers[0].code if officers else ""


def default_desk(settings: Settings, desks: DeskTable) -> str:
    """The queue a call without a plan waits in: the setting, else the first dispatch desk (by code) that is
    no other desk's overflow (a city's PSC rather than its province's), else none."""
    if settings.default_desk:
        if settings.default_desk not in desks.desks:
            raise SettingsError(
                Message(
                    "setting 'default_desk': {desk!r} is not a desk (a facility of kind {kinds}); "
                    "desks: {desks}",
                    desk=settings.default_desk,
                    kinds=DESK_KINDS_TEXT,
                    desks=", ".join(sorted(desks.desks)) or "none",
                )
            )
        return settings.default_desk
    dispatch = desks.of_kind("dispatch")
    overflow_targets = {code for desk in desks.desks.values() for code in desk.overflow}
    first_contact = [d for d in dispatch if d.code not in overflow_targets]  # not someone's overflow
    chosen = first_contact or dispatch
    return chosen[0].code if chosen else ""
