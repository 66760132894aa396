"""`siaga demo`: the sample region, end to end, with real Asterisk, SIPp and pjsua2 softphones.

Loads the sample roster for this week, starts Asterisk, the engine and an answering bot for every
operator, places the sample calls with SIPp and prints, per call, where the engine routed it and who
answered. Exits non-zero if any call was not answered by the operator on duty at the expected facility.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.db import make_engine
from kernel.settings import Settings
from lab.sample import load_sample_roster, week_start
from lab.sipp import place_calls
from lab.stack import Stack
from shifts.model import Staff
from shifts.roster import on_duty
from shifts.store import load_duties
from softphone.bots import Bot, answered_by, read_events


@dataclass(frozen=True)
class DemoCall:
    caller: str
    dialled: str
    expected_facility: str
    note: str


def read_demo_calls(path: Path) -> list[DemoCall]:
    with path.open(newline="", encoding="utf-8-sig") as handle:  # a spreadsheet's "CSV UTF-8" has a BOM
        return [
            DemoCall(r["caller"], r["dialled"], r["expected_facility"], r["note"])
            for r in csv.DictReader(handle)
        ]


def read_decisions(path: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    """The engine's decision log, latest plan per caller."""
    plans: dict[str, dict] = {}  # type: ignore[type-arg]
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            plan = json.loads(line)
            plans[plan["caller"]] = plan
    return plans


def expected_endpoints(settings: Settings, facility: str, at: datetime) -> set[str]:
    """Who should answer: whoever is on duty at the facility then (for a desk: any member of its queue)."""
    engine = make_engine(settings.db_url)
    with Session(engine) as session:
        duties = load_duties(session, at, at)
    return {d.endpoint for d in on_duty(duties, facility, at)}


def run_demo(settings: Settings, *, keep_running: bool = False) -> int:
    started = time.monotonic()
    # The demo's callers never type digits: without the kode-pos IVR the unknown caller goes straight to
    # the dispatcher instead of hanging up during the prompt (tests/telephony covers the IVR).
    settings = dataclasses.replace(settings, ivr_attempts=0)
    db = make_engine(settings.db_url)
    first_day = week_start(datetime.now(UTC).astimezone().date())
    count = load_sample_roster(db, settings.region_dir, settings.facilities_path, first_day)
    print(f"[1/4] sample roster for the week of {first_day}: {count} shift assignments ({settings.db_url})")
    with Session(db) as session:
        endpoints = sorted(set(session.scalars(select(Staff.endpoint))))
    calls = read_demo_calls(settings.region_dir / "demo_calls.csv")
    settings.decision_log.unlink(missing_ok=True)

    stack = Stack(settings)
    try:
        print(f"[2/4] starting Asterisk, the engine and {len(endpoints)} operator softphones …", flush=True)
        stack.start([Bot(e) for e in endpoints])
        print(f"      all {len(endpoints)} softphones registered ({time.monotonic() - started:.0f} s)")
        print(f"[3/4] placing {len(calls)} calls with SIPp …", flush=True)
        called_at = datetime.now(UTC)
        run = place_calls(
            [(c.caller, c.dialled) for c in calls],
            settings.run_dir / "demo" / "sipp",
            sip_port=settings.sip_port,
        )
        time.sleep(1.0)  # the last BYE reaches the bots' event files
        events = read_events(stack.bots_dir)
        plans = read_decisions(settings.decision_log)
    finally:
        if not keep_running:
            stack.stop()

    print("[4/4] results: where the engine routed each call and which softphone answered\n")
    failures = 0
    for n, call in enumerate(calls, start=1):
        plan = plans.get(call.caller) or {}
        area = plan.get("area") or {}
        where = f"{area['name']} [{area['code']}]" if area else "area unknown"
        source = (plan.get("location") or {}).get("source")
        located = f"location from {source}" if source else "no location"
        answered = answered_by(events, call.caller)
        expected = expected_endpoints(settings, call.expected_facility, called_at)
        ok = len(answered) == 1 and answered[0] in expected
        failures += not ok
        print(f"{n:>2}. caller {call.caller} dialled {call.dialled}: {where}, {located}")
        targets = [f"{i}) {t['endpoint']}" for i, t in enumerate(plan.get("targets", []), start=1)]
        first_desk = len(targets) + 1
        targets += [
            f"{i}) desk {d['desk']}" + (f" (wait {d['max_wait_s']} s)" if d.get("max_wait_s") else "")
            for i, d in enumerate(plan.get("desks", []), start=first_desk)
        ]
        fallback = "(the engine gave no plan: dialplan fallback, the default desk)"
        print(f"    routed to  {'  '.join(targets) if plan else fallback}")
        for skip in plan.get("skipped", []):
            print(f"    skipped    {skip['facility']}: {skip['reason']}")
        verdict = (
            "as expected" if ok else f"NOT AS EXPECTED (wanted {' or '.join(sorted(expected)) or 'nobody?'})"
        )
        print(f"    answered   {', '.join(answered) or '(nobody)'}  {verdict}")
        print(f"    why        {call.note}")
    print()
    print(
        f"demo calls={len(calls)} as_expected={len(calls) - failures} failed={failures} "
        f"sipp_exit={run.returncode} seconds={time.monotonic() - started:.0f}"
    )
    print(
        f"logs: {settings.run_dir}: asterisk/log, engine/engine.log, engine/decisions.jsonl, bots/, demo/sipp"
    )
    if keep_running:
        print("everything is still running: `siaga asterisk stop` and kill the engine/bots when done")
    return 1 if failures or run.returncode != 0 else 0
