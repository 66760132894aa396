"""Hospital beds as the Ministry's bed reporting counts them (RS Online / SIRANAP): per room type, total,
used, queue and the time of the count. Pure checks, shared by the CSV import and the hospitals' API.

A report older than the stale limit (setting `beds_stale_hours`) is shown as stale and never routed to:
a bed that was free yesterday evening says nothing about tonight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dispatch.csvfile import exact_rows
from kernel.dataerrors import DataError, RowError
from kernel.messages import N_, Message

BED_CLASSES = ("igd", "icu", "picu", "nicu", "ponek", "isolation", "ward")
COLUMNS = ("hospital", "bed_class", "total", "occupied", "waiting", "updated_at")
HOSPITAL_KIND = "hospital"
# The largest Indonesian hospitals have ~1,500 beds in all; a count past this is a typo, not a hospital.
MAX_BEDS = 10_000
# A hospital's clock may run a little ahead of ours; further ahead is a wrong date or zone.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class BedReport:
    hospital: str
    bed_class: str
    total: int
    occupied: int
    waiting: int
    updated_at: datetime  # aware
    line: int = field(default=0, compare=False)

    @property
    def free(self) -> int:
        return max(0, self.total - self.occupied)

    def stale(self, now: datetime, stale_after: timedelta) -> bool:
        return now - self.updated_at > stale_after


def count_problems(total: int, occupied: int, waiting: int) -> list[tuple[str, str]]:
    """(field, reason) for impossible counts."""
    problems = []
    for name, value in (("total", total), ("occupied", occupied), ("waiting", waiting)):
        if value < 0:
            problems.append((name, Message("{value} is negative", value=value)))
        elif value > MAX_BEDS:
            problems.append((name, Message("{value} is more than {most}", value=value, most=f"{MAX_BEDS:,}")))
    if occupied > total >= 0:
        problems.append(
            (
                "occupied",
                Message(
                    "{occupied} occupied is more than the {total} beds in total",
                    occupied=occupied,
                    total=total,
                ),
            )
        )
    return problems


def time_problem(value: datetime, now: datetime) -> str | None:
    if value.tzinfo is None:
        return Message("{time} has no UTC offset (write e.g. 2026-11-30T14:05+07:00)", time=value.isoformat())
    if value > now + CLOCK_SKEW:
        ours = now.astimezone(value.tzinfo).isoformat(timespec="minutes")
        return Message("{time} is in the future (it is {now} now)", time=value.isoformat(), now=ours)
    return None


def parse_updated_at(raw: str, now: datetime) -> tuple[datetime | None, str | None]:
    """The time, or why it cannot be used (no offset, not ISO 8601, in the future)."""
    if not raw:
        return None, N_("missing")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None, Message(
            "{raw!r} is not an ISO 8601 time with offset (e.g. 2026-11-30T14:05+07:00)", raw=raw
        )
    problem = time_problem(value, now)
    return (None, problem) if problem else (value, None)


def bed_class_problem(bed_class: str) -> str | None:
    if bed_class not in BED_CLASSES:
        return Message("{value!r} is not one of {choices}", value=bed_class, choices=", ".join(BED_CLASSES))
    return None


def parse_beds_csv(text: str, source: str, hospitals: Mapping[str, str], now: datetime) -> list[BedReport]:
    """Check every line; raise `DataError` naming each bad one, else return the reports.

    `hospitals` maps every stored facility code to its kind: a code that is not a hospital is refused.
    """
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    reports: list[BedReport] = []
    for line, cells in exact_rows(text, source, COLUMNS, errors):
        hospital, bed_class, raw_total, raw_occupied, raw_waiting, raw_updated = cells
        before = len(errors)

        def bad(column: str, message: str, line: int = line) -> None:
            errors.append(RowError(source, line, column, message))

        kind = hospitals.get(hospital)
        if kind is None:
            bad(
                "hospital",
                Message("unknown facility {facility!r}", facility=hospital) if hospital else N_("missing"),
            )
        elif kind != HOSPITAL_KIND:
            bad("hospital", Message("{facility} is a {kind}, not a hospital", facility=hospital, kind=kind))
        problem = bed_class_problem(bed_class)
        if problem:
            bad("bed_class", problem)
        elif (hospital, bed_class) in seen:
            bad(
                "bed_class",
                Message(
                    "{hospital} {bed_class} is already on line {line}",
                    hospital=hospital,
                    bed_class=bed_class,
                    line=seen[(hospital, bed_class)],
                ),
            )
        else:
            seen[(hospital, bed_class)] = line
        counts: dict[str, int] = {}
        for name, raw in (("total", raw_total), ("occupied", raw_occupied), ("waiting", raw_waiting)):
            try:
                counts[name] = int(raw)
            except ValueError:
                bad(name, Message("{raw!r} is not a whole number", raw=raw) if raw else N_("missing"))
        if len(counts) == 3:
            for name, message in count_problems(counts["total"], counts["occupied"], counts["waiting"]):
                bad(name, message)
        updated, problem = parse_updated_at(raw_updated, now)
        if problem:
            bad("updated_at", problem)
        if len(errors) == before and updated is not None:
            reports.append(
                BedReport(
                    hospital, bed_class, counts["total"], counts["occupied"], counts["waiting"], updated, line
                )
            )
    if errors:
        raise DataError(errors)
    if not reports:
        raise DataError([RowError(source, 0, None, N_("no bed counts in the file"))])
    return reports


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
