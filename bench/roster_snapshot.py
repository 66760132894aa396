"""A national roster: how long the import takes, how fast the on-duty snapshot rebuilds, how many lookups.

    .venv/bin/python bench/roster_snapshot.py [--facilities 10000] [--days 31] [--staff 40]

10,000 facilities spread over WIB, WITA and WIT, ~40 staff each, one person on each of the three shifts
of every day of December 2026 (930,000 assignments, 400,000 staff created by the same file), imported
with `shifts.importing.import_roster` — the code `siaga roster import` runs — into a fresh SQLite file.

Measured in the same run against naive baselines:
- rebuild: `shifts.store.load_snapshot` (shifts running now + the next boundary, from the indexes)
  against the walking skeleton's way: every assignment within ±24 h, then `build_snapshot` over them;
- lookups: `RosterSource.snapshot(now).staff_at(code)`, what the router does per call, against
  `on_duty()` scanning every duty of the ±24 h window per lookup (answers compared, they must agree);
- import: against writing the same rows one ORM object at a time (the skeleton's `write_roster`), on a
  slice of the file, scaled to the whole.

The last line is `roster import_s=… rebuild_ms=… lookups_per_s=…`; goals: import <= 60 s, rebuild <= 200 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kernel.db import make_engine  # noqa: E402
from shifts.importing import import_roster  # noqa: E402
from shifts.model import Assignment  # noqa: E402
from shifts.roster import build_snapshot, on_duty  # noqa: E402
from shifts.roster_csv import parse_roster_csv  # noqa: E402
from shifts.store import RosterSource, load_snapshot, utc_naive  # noqa: E402
from shifts.templates import DEFAULT_SHIFTS  # noqa: E402

ZONES = (("Asia/Jakarta", 6), ("Asia/Makassar", 3), ("Asia/Jayapura", 1))  # facilities per 10
ROLES = ("operator", "nurse", "doctor", "midwife", "driver")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def facility_zones(count: int) -> dict[str, str]:
    cycle = [zone for zone, weight in ZONES for _ in range(weight)]
    return {f"pkm-{n:05d}": cycle[n % len(cycle)] for n in range(count)}


def roster_text(zones: dict[str, str], first: date, days: int, staff: int) -> str:
    """One person per shift per day, going round the facility's staff; staff columns on every line."""
    lines = ["facility_code,staff_id,date,shift,staff_name,role,endpoint"]
    shifts = list(DEFAULT_SHIFTS)
    for code in zones:
        slot = 0
        for offset in range(days):
            day = (first + timedelta(days=offset)).isoformat()
            for shift in shifts:
                person = slot % staff
                staff_id = f"{code}-s{person:02d}"
                role = ROLES[person % 4]  # midwives are rostered only where the file says so
                lines.append(f"{code},{staff_id},{day},{shift},Petugas {person} {code},{role},{staff_id}")
                slot += 1
    return "\n".join(lines) + "\n"


def window_query(session: Session, at: datetime) -> list:  # type: ignore[type-arg]
    """The skeleton's snapshot read: every assignment within ±24 h (no lower bound on start)."""
    return load_duties_unbounded(session, at - timedelta(hours=24), at + timedelta(hours=24))


def load_duties_unbounded(session: Session, start: datetime, end: datetime) -> list:  # type: ignore[type-arg]
    from sqlalchemy import select

    from shifts.model import Staff
    from shifts.roster import Duty

    query = (
        select(Assignment, Staff)
        .join(Staff, Staff.id == Assignment.staff_id)
        .where(Assignment.end_utc > utc_naive(start), Assignment.start_utc < utc_naive(end))
    )
    return [
        Duty(
            s.id, s.name, s.role, s.endpoint, a.facility_code, a.shift,
            a.start_utc.replace(tzinfo=UTC), a.end_utc.replace(tzinfo=UTC),
        )
        for a, s in session.execute(query)
    ]  # fmt: skip


def orm_rows_per_s(text: str, zones: dict[str, str], directory: Path) -> float:
    """The skeleton's write: one ORM object per assignment (and per new staff member), then commit."""
    from shifts.model import Staff

    engine = make_engine(f"sqlite:///{directory / 'orm.db'}")
    parsed = parse_roster_csv(text, "slice", zones, {})
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        for s in parsed.staff:
            session.add(
                Staff(
                    id=s.staff_id,
                    name=s.name,
                    role=s.role,
                    endpoint=s.endpoint,
                    facility_code=s.facility_code,
                )
            )
        session.flush()
        for a in parsed.assignments:
            session.add(
                Assignment(
                    staff_id=a.staff_id, facility_code=a.facility_code, shift_date=a.shift_date,
                    shift=a.shift, start_utc=utc_naive(a.start), end_utc=utc_naive(a.end),
                    timezone=a.timezone,
                )
            )  # fmt: skip
    return len(parsed.assignments) / (time.perf_counter() - started)


def run(facilities: int, days: int, staff: int, lookups: int, directory: Path) -> dict[str, float]:
    zones = facility_zones(facilities)
    first = date(2026, 12, 1)
    text = roster_text(zones, first, days, staff)
    rows = text.count("\n") - 1
    log(f"{facilities:,} facilities x 3 shifts x {days} days = {rows:,} assignments")
    log(f"{facilities * staff:,} staff, created by the same file")

    engine = make_engine(f"sqlite:///{directory / 'roster.db'}")
    started, cpu = time.perf_counter(), time.process_time()
    with Session(engine) as session, session.begin():
        result = import_roster(session, text, "national.csv", zones, max_shift=timedelta(hours=16))
    import_s, import_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    assert result.assignments == rows
    log(f"import: {import_s:.1f} s ({rows / import_s:,.0f} assignments/s)")

    slice_codes = list(zones)[: max(1, facilities // 50)]
    slice_text = "\n".join(
        line
        for n, line in enumerate(text.splitlines())
        if n == 0 or line.split(",", 1)[0] in set(slice_codes)
    )
    baseline_rate = orm_rows_per_s(slice_text + "\n", {c: zones[c] for c in slice_codes}, directory)
    baseline_import_s = rows / baseline_rate
    log(
        f"import baseline (an ORM object per row, {len(slice_codes)} facilities, scaled): "
        f"{baseline_import_s:.1f} s"
    )

    # Mid-month, mid-morning in WIB: WIT and WITA facilities are on pagi too.
    middle = datetime.combine(
        first + timedelta(days=days // 2), datetime.min.time(), ZoneInfo("Asia/Jakarta")
    )
    now = middle + timedelta(hours=10, minutes=17)
    rebuilds, rebuilds_cpu = [], []
    with Session(engine) as session:
        for _ in range(7):
            started, cpu = time.perf_counter(), time.process_time()
            snapshot, on_now = load_snapshot(session, now)
            rebuilds.append(time.perf_counter() - started)
            rebuilds_cpu.append(time.process_time() - cpu)
    rebuild_ms, rebuild_cpu_ms = statistics.median(rebuilds) * 1000, statistics.median(rebuilds_cpu) * 1000
    with Session(engine) as session:
        started = time.perf_counter()
        window = window_query(session, now)
        naive_snapshot = build_snapshot(window, now, now + timedelta(hours=24))
        baseline_rebuild_ms = (time.perf_counter() - started) * 1000
    assert snapshot.by_facility.keys() == naive_snapshot.by_facility.keys()
    log(f"rebuild: {rebuild_ms:.1f} ms, median of 7 ({on_now:,} duties on now)")
    log(f"rebuild baseline (±24 h window, {len(window):,} duties): {baseline_rebuild_ms:.1f} ms")

    source = RosterSource(engine, refresh_s=3600)
    source.snapshot(now)
    codes = list(zones)
    rng = random.Random(11)
    picks = [rng.choice(codes) for _ in range(lookups)]
    started = time.perf_counter()
    found = 0
    for code in picks:
        found += len(source.snapshot(now).staff_at(code))
    lookups_per_s = lookups / (time.perf_counter() - started)
    naive_count = max(20, min(300, lookups // 1000))
    started = time.perf_counter()
    naive_answers = [on_duty(window, code, now) for code in picks[:naive_count]]
    baseline_lookups_per_s = naive_count / (time.perf_counter() - started)
    for code, expected in zip(picks[:naive_count], naive_answers, strict=True):
        assert [d.staff_id for d in source.snapshot(now).staff_at(code)] == [d.staff_id for d in expected]
    assert found >= lookups  # every facility has its shift on at this hour
    log(f"lookups: {lookups_per_s:,.0f}/s through RosterSource.snapshot(now).staff_at()")
    log(f"lookups baseline (scan the ±24 h duties per lookup): {baseline_lookups_per_s:,.0f}/s")

    print(f"assignments {rows}")
    print(
        f"import  {import_s:8.2f} s   baseline {baseline_import_s:8.2f} s   "
        f"ratio {baseline_import_s / import_s:6.1f}x"
    )
    print(
        f"rebuild {rebuild_ms:8.1f} ms  baseline {baseline_rebuild_ms:8.1f} ms  "
        f"ratio {baseline_rebuild_ms / rebuild_ms:6.1f}x"
    )
    print(
        f"lookups {lookups_per_s:10,.0f}/s baseline {baseline_lookups_per_s:8,.0f}/s "
        f"ratio {lookups_per_s / baseline_lookups_per_s:,.0f}x"
    )
    # Wall-clock figures suffer when other processes share the cores; CPU time shows what the code costs.
    print(f"cpu     import {import_cpu_s:.2f} s, rebuild {rebuild_cpu_ms:.1f} ms (this process's CPU time)")
    print(f"roster import_s={import_s:.1f} rebuild_ms={rebuild_ms:.1f} lookups_per_s={lookups_per_s:.0f}")
    return {"import_s": import_s, "rebuild_ms": rebuild_ms, "lookups_per_s": lookups_per_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facilities", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--staff", type=int, default=40, help="staff per facility")
    parser.add_argument("--lookups", type=int, default=500_000)
    parser.add_argument("--dir", type=Path, help="keep the database here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        run(args.facilities, args.days, args.staff, args.lookups, args.dir)
        return 0
    with tempfile.TemporaryDirectory(prefix="siaga-bench-") as directory:
        run(args.facilities, args.days, args.staff, args.lookups, Path(directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
