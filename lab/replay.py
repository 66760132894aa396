"""`siaga replay CALLS.csv`: replay a list of calls through the running system and check where each went.

A tester's question is "with tonight's roster, where would each of these calls ring?". The list is turned
into SIPp calls (PIDF-LO by value when lat/lon are given, SIP INFO digits when `dtmf` is given, a plain
caller id otherwise), placed against the running Asterisk one at a time at their `at_offset_s` (or, with
`--rate/--limit`, as a load run), and each call is joined with the engine's call record to say who
answered, after how many attempts and how fast. Exit 1 on any mismatch or unanswered call, so a roster
change can be gated on it.

Reading the list and judging the rows is pure (`read_calls`, `judge`); SIPp and the database are edges.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from kernel.cli_common import add_common_options, settings_from_args
from kernel.db import make_engine
from kernel.settings import Settings
from lab.sipp import SippRun, place_calls
from routing.records.model import CallRecord
from routing.records.store import recent_calls

REQUIRED = ("caller", "dialled")
_NUMBER = re.compile(r"\+?[0-9]{1,20}")
_DIALLED = re.compile(r"[0-9*#+]{1,32}")
_DTMF = re.compile(r"(?=.)[0-9*]{0,6}#?")  # "#" alone: the caller skips the prompt
_COORD = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{1,8})?")
_CARRIER = re.compile(r"(-?[0-9]{1,3}(?:\.[0-9]{1,8})?),(-?[0-9]{1,3}(?:\.[0-9]{1,8})?);([0-9]{1,6})")
DTMF_FIELDS = 6  # sipp/uac_dtmf_info.xml types exactly six keys
DEFAULT_CARRIER_HEADER = "X-Caller-Location"


@dataclass(frozen=True)
class ReplayCall:
    line: int
    caller: str
    dialled: str
    lat: str = ""
    lon: str = ""
    expected_facility: str = ""
    dtmf: str = ""
    at_offset_s: float = 0.0
    carrier_location: str = ""  # what the carrier's header says, "lat,lon;accuracy_m"

    @property
    def scenario(self) -> str:
        if self.lat:
            return "uac_pidf_point.xml"
        if self.carrier_location:
            return "uac_carrier_header.xml"
        if self.dtmf:
            return "uac_dtmf_info.xml"
        return "uac_caller.xml"

    def fields(self, carrier_header: str = DEFAULT_CARRIER_HEADER) -> tuple[str, ...]:
        """The SIPp injection fields of this call's scenario (`carrier_header`: the header's name, as the
        engine is configured to read it)."""
        if self.lat:
            return (self.caller, self.dialled, self.lat, self.lon)
        carrier = _CARRIER.fullmatch(self.carrier_location)
        if carrier:
            return (self.caller, self.dialled, carrier_header, *carrier.groups())
        if self.dtmf:
            keys = list(self.dtmf if self.dtmf.endswith("#") else self.dtmf + "#")
            return (self.caller, self.dialled, *(keys + ["#"] * DTMF_FIELDS)[:DTMF_FIELDS])
        return (self.caller, self.dialled)


BUSY_REASON = "on another call"  # routing.presence's reason for a phone that is in use


def expectation_met(expected: str, facility: str, plan: dict[str, object]) -> bool:
    """Answered where expected — or, when the expected facility's phone was on another call as the call
    arrived (the plan says so), answered by a target or a desk of the plan instead: in a surge the router
    must move a caller on rather than ring a busy phone, and that is the expected behaviour, not a
    mismatch."""
    if not expected or facility == expected:
        return True
    skipped = plan.get("skipped") or []
    targets = plan.get("targets") or []
    busy = any(
        isinstance(s, dict) and s.get("facility") == expected and BUSY_REASON in str(s.get("reason", ""))
        for s in skipped  # type: ignore[union-attr]
    )
    desks = plan.get("desks") or []
    planned = any(isinstance(t, dict) and t.get("facility") == facility for t in targets) or any(  # type: ignore[union-attr]
        isinstance(d, dict) and d.get("desk") == facility
        for d in desks  # type: ignore[union-attr]
    )
    return busy and planned


@dataclass(frozen=True)
class Outcome:
    """What happened to one call, from its record (None when no record was found)."""

    call_id: str = ""
    facility: str = ""
    answered_by: str = ""
    attempts: int = 0
    time_to_answer_s: float | None = None
    plan: dict[str, object] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    call: ReplayCall
    outcome: Outcome | None

    @property
    def answered(self) -> bool:
        return self.outcome is not None and bool(self.outcome.answered_by)

    @property
    def as_expected(self) -> bool:
        if not self.answered or self.outcome is None:
            return False
        return expectation_met(self.call.expected_facility, self.outcome.facility, self.outcome.plan)

    @property
    def moved_on(self) -> bool:
        """As expected only because the expected facility was busy."""
        return (
            self.as_expected
            and bool(self.call.expected_facility)
            and self.outcome is not None
            and (self.outcome.facility != self.call.expected_facility)
        )


def _csv_rows(reader: csv.DictReader[str]) -> Iterator[dict[str, str]]:
    """The reader's rows, with its csv.Error (a field past the csv module's 128 KB limit, a NUL byte)
    turned into a ValueError naming the line, so `siaga replay` answers with the line, not a traceback."""
    try:
        yield from reader
    except csv.Error as exc:  # DictReader.line_num moves only when a row is read well: ask its reader
        raise ValueError(f"line {reader.reader.line_num}: {exc}") from exc


def read_calls(text: str) -> list[ReplayCall]:
    """Parse and check the list; a bad row is an error naming its line, never a silently skipped call."""
    # A spreadsheet's "CSV UTF-8" starts with a BOM, which would otherwise glue itself to "caller".
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as exc:
        raise ValueError(f"line {reader.reader.line_num}: {exc}") from exc
    missing = [c for c in REQUIRED if c not in fieldnames]
    if missing:
        raise ValueError(f"the call list has no {', '.join(missing)} column")
    calls: list[ReplayCall] = []
    for line, row in enumerate(_csv_rows(reader), start=2):
        get = {k: (v or "").strip() for k, v in row.items() if k}
        caller, dialled = get.get("caller", ""), get.get("dialled", "")
        lat, lon, dtmf = get.get("lat", ""), get.get("lon", ""), get.get("dtmf", "")
        problems = []
        if not _NUMBER.fullmatch(caller):
            problems.append(f"caller {caller!r} is not a number")
        if not _DIALLED.fullmatch(dialled):
            problems.append(f"dialled {dialled!r} is not a number")
        if bool(lat) != bool(lon) or (lat and not (_COORD.fullmatch(lat) and _COORD.fullmatch(lon))):
            problems.append("lat and lon must both be decimal degrees, or both empty")
        if dtmf and not _DTMF.fullmatch(dtmf):
            problems.append(f"dtmf {dtmf!r} is not up to 6 keys (0-9 *), optionally ending in #")
        carrier = get.get("carrier_location", "")
        if carrier and not _CARRIER.fullmatch(carrier):
            problems.append(f"carrier_location {carrier!r} is not 'lat,lon;accuracy_m'")
        if sum(map(bool, (lat, carrier, dtmf))) > 1:
            problems.append(
                "give one of lat/lon, carrier_location or dtmf: a caller with a location is not asked"
            )
        try:
            offset = float(get.get("at_offset_s") or 0)
        except ValueError:
            problems.append(f"at_offset_s {get.get('at_offset_s')!r} is not a number")
            offset = 0.0
        if problems:
            raise ValueError(f"line {line}: " + "; ".join(problems))
        calls.append(
            ReplayCall(
                line, caller, dialled, lat, lon, get.get("expected_facility", ""), dtmf, offset, carrier
            )
        )
    return sorted(calls, key=lambda c: (c.at_offset_s, c.line))


def outcome_of(record: CallRecord) -> Outcome:
    facility = record.answered_facility or ""
    if not facility and record.answered_by:
        facility = record.answered_by
    return Outcome(
        record.call_id,
        facility,
        record.answered_by or "",
        len(record.attempts),
        record.time_to_answer_s,
        _plan_of(record),
    )


def _plan_of(record: CallRecord) -> dict[str, object]:
    try:
        plan = json.loads(record.plan_json) if record.plan_json else {}
    except ValueError:
        return {}
    return plan if isinstance(plan, dict) else {}


def judge(calls: Sequence[ReplayCall], records: Sequence[CallRecord]) -> list[Row]:
    """Match each call to a finished record from the same caller and number, oldest first."""
    pool = sorted(
        (r for r in records if r.ended_at is not None),
        key=lambda r: (r.started_at or datetime.min, r.id),
    )
    rows: list[Row] = []
    for call in calls:
        match = next((r for r in pool if r.caller == call.caller and r.dialled == call.dialled), None)
        if match is not None:
            pool.remove(match)
        rows.append(Row(call, outcome_of(match) if match is not None else None))
    return rows


def summary(rows: Sequence[Row]) -> str:
    as_expected = sum(r.as_expected for r in rows)
    answered = sum(r.answered for r in rows)
    failed = len(rows) - answered
    return f"replay calls={len(rows)} as_expected={as_expected} answered={answered} failed={failed}"


def table(rows: Sequence[Row]) -> str:
    head = ("line", "caller", "dialled", "expected", "actual", "answered by", "attempts", "answer s", "")
    lines = [head]
    for r in rows:
        o = r.outcome or Outcome()
        tta = f"{o.time_to_answer_s:.1f}" if o.time_to_answer_s is not None else "-"
        verdict = (
            ("ok (expected one busy)" if r.moved_on else "ok")
            if r.as_expected
            else ("NO RECORD" if r.outcome is None else "MISMATCH")
        )
        if r.outcome is not None and not r.answered:
            verdict = "UNANSWERED"
        lines.append(
            (
                str(r.call.line),
                r.call.caller,
                r.call.dialled,
                r.call.expected_facility or "-",
                o.facility or "-",
                o.answered_by or "-",
                str(o.attempts),
                tta,
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in lines
    )


# -- edges -------------------------------------------------------------------------------------------


def _progress(done: int, total: int) -> None:
    """A bar redrawn in place on a terminal; only the final count when stderr is a file or a pipe."""
    if not sys.stderr.isatty() and done < total:
        return
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    sys.stderr.write(f"\rreplay [{'#' * filled}{'.' * (width - filled)}] {done}/{total} calls{end}")
    sys.stderr.flush()


def place(
    calls: Sequence[ReplayCall],
    out_dir: Path,
    sip_port: int,
    *,
    rate: float | None = None,
    limit: int = 1,
    show_progress: bool = True,
    carrier_header: str = DEFAULT_CARRIER_HEADER,
) -> list[SippRun]:
    """One SIPp run per call at its offset; with `rate`, one load run per scenario at that rate."""
    runs: list[SippRun] = []
    if rate is not None:
        scenarios = list(dict.fromkeys(c.scenario for c in calls))
        done = 0
        for n, scenario in enumerate(scenarios, start=1):
            group = [c for c in calls if c.scenario == scenario]
            runs.append(
                place_calls(
                    [c.fields(carrier_header) for c in group],
                    out_dir / f"load-{n}-{scenario.removesuffix('.xml')}",
                    sip_port=sip_port,
                    scenario=scenario,
                    concurrent=limit,
                    rate=rate,
                    timeout_s=600,
                )
            )
            done += len(group)
            if show_progress:
                _progress(done, len(calls))
        return runs
    started = time.monotonic()
    for n, call in enumerate(calls, start=1):
        wait = call.at_offset_s - (time.monotonic() - started)
        if wait > 0:
            time.sleep(wait)
        runs.append(
            place_calls(
                [call.fields(carrier_header)],
                out_dir / f"call-{n:04d}",
                sip_port=sip_port,
                scenario=call.scenario,
                timeout_s=180,
            )
        )
        if show_progress:
            _progress(n, len(calls))
    return runs


def collect(settings: Settings, calls: Sequence[ReplayCall], since: datetime, timeout_s: float) -> list[Row]:
    """Wait (up to `timeout_s`) until every call has its finished record, then judge."""
    deadline = time.monotonic() + timeout_s
    engine = make_engine(settings.db_url)
    while True:
        with Session(engine) as session:
            records = [
                r
                for r in recent_calls(session, max(200, 4 * len(calls)))
                if r.started_at is None or _utc(r.started_at) >= since
            ]
            rows = judge(calls, records)
        if all(r.outcome is not None for r in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def replay(
    settings: Settings,
    calls_path: Path,
    out_dir: Path,
    *,
    rate: float | None = None,
    limit: int = 1,
    record_timeout_s: float = 30.0,
) -> tuple[int, str]:
    """Replay the list; returns (exit status, the report: table, SIPp's failures, then the summary line).

    SIPp's own verdict is reported but not trusted alone: a call Asterisk answers at the kode-pos prompt
    is a SIPp success even when no one ever picked up, so the record decides answered/as expected."""
    calls = read_calls(calls_path.read_text(encoding="utf-8-sig"))
    since = datetime.now(UTC) - timedelta(seconds=2)
    runs = place(
        calls,
        out_dir,
        settings.sip_port,
        rate=rate,
        limit=limit,
        carrier_header=settings.carrier_location_header,
    )
    rows = collect(settings, calls, since, record_timeout_s)
    failed_runs = [run for run in runs if run.returncode != 0]
    notes = "".join(
        f"SIPp reported failed calls (exit {run.returncode}): {run.out_dir}\n" for run in failed_runs
    )
    report = table(rows) + "\n" + notes + summary(rows)
    ok = all(r.as_expected for r in rows)
    return (0 if ok else 1), report


def cmd_replay(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if args.sip_port is not None:
        settings = dataclasses.replace(settings, sip_port=args.sip_port)
    if args.rate is not None and args.rate <= 0:
        print("replay: --rate must be positive", file=sys.stderr)
        return 2
    if args.limit < 1:
        print("replay: --limit must be at least 1", file=sys.stderr)
        return 2
    out_dir = args.out or settings.data_dir / "replay" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        status, report = replay(settings, args.calls, out_dir, rate=args.rate, limit=args.limit)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 2
    print(report)
    print(f"SIPp files and statistics: {out_dir}", file=sys.stderr)
    return status


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "replay",
        help="replay a list of calls through the running system and check where each was answered",
        description="Place the calls of CALLS.csv (caller,dialled,lat,lon[,expected_facility,dtmf,"
        "at_offset_s]) with SIPp against the running system (`siaga up --bots`) and compare where each "
        "was answered with expected_facility (optional carrier_location column: 'lat,lon;accuracy_m' sent in "
        "the carrier's location header). Exit 1 on any mismatch or unanswered call.",
    )
    add_common_options(p)
    p.add_argument("calls", type=Path, metavar="CALLS.csv", help="the call list")
    p.add_argument("--rate", type=float, default=None, metavar="R", help="load run: R calls per second")
    p.add_argument("--limit", type=int, default=1, metavar="L", help="load run: at most L calls at once")
    p.add_argument(
        "--sip-port", type=int, metavar="PORT", help="Asterisk's SIP port on 127.0.0.1 (default: settings)"
    )
    p.add_argument("--out", type=Path, help="folder for SIPp's files (default: DATA_DIR/replay/<time>)")
    p.set_defaults(func=cmd_replay)
