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
from kernel.messages import N_, Message
from kernel.settings import Settings
from lab.sample import load_sample_roster, week_start
from lab.sipp import place_calls
from lab.stack import Stack
from shifts.model import Staff
from shifts.roster import on_duty
from shifts.store import load_duties
from softphone.bots import Bot, answered_by, read_events
from web.calls.services import plan_in_language
from web.i18n import current_language
from web.i18n import translate as tr

# The per-call labels of the results, in the run's language (`siaga demo` speaks it, see siaga/language.py).
LABELS = {"routed": N_("routed to"), "skipped": N_("skipped"), "answered": N_("answered"), "why": N_("why")}


@dataclass(frozen=True)
class DemoCall:
    caller: str
    dialled: str
    expected_facility: str
    note: str
    note_id: str = (
        ""  # the note in Bahasa Indonesia (optional column `note_id`), shown when the run speaks it
    )


def read_demo_calls(path: Path) -> list[DemoCall]:
    with path.open(newline="", encoding="utf-8-sig") as handle:  # a spreadsheet's "CSV UTF-8" has a BOM
        return [
            DemoCall(r["caller"], r["dialled"], r["expected_facility"], r["note"], r.get("note_id") or "")
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
    print(
        "[1/4] "
        + tr(
            Message(
                "sample roster for the week of {week}: {count} shift assignments ({db})",
                week=first_day,
                count=count,
                db=settings.db_url,
            )
        )
    )
    with Session(db) as session:
        endpoints = sorted(set(session.scalars(select(Staff.endpoint))))
    calls = read_demo_calls(settings.region_dir / "demo_calls.csv")
    settings.decision_log.unlink(missing_ok=True)

    stack = Stack(settings)
    try:
        print(
            "[2/4] "
            + tr(
                Message(
                    "starting Asterisk, the engine and {count} operator softphones …", count=len(endpoints)
                )
            ),
            flush=True,
        )
        stack.start([Bot(e) for e in endpoints])
        print(
            "      "
            + tr(
                Message(
                    "all {count} softphones registered ({seconds} s)",
                    count=len(endpoints),
                    seconds=f"{time.monotonic() - started:.0f}",
                )
            )
        )
        print("[3/4] " + tr(Message("placing {count} calls with SIPp …", count=len(calls))), flush=True)
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

    print("[4/4] " + tr(N_("results: where the engine routed each call and which softphone answered")) + "\n")
    label = {key: tr(word) for key, word in LABELS.items()}
    width = max(len(v) for v in label.values()) + 2
    failures = 0
    for n, call in enumerate(calls, start=1):
        # The plan's skip reasons are the router's English: shown in the reader's language.
        plan = plan_in_language(plans.get(call.caller) or {})
        area = plan.get("area") or {}
        where = f"{area['name']} [{area['code']}]" if area else tr(N_("area unknown"))
        source = (plan.get("location") or {}).get("source")
        located = tr(Message("location from {source}", source=source)) if source else tr(N_("no location"))
        answered = answered_by(events, call.caller)
        expected = expected_endpoints(settings, call.expected_facility, called_at)
        ok = len(answered) == 1 and answered[0] in expected
        failures += not ok
        print(
            f"{n:>2}. "
            + tr(
                Message(
                    "caller {caller} dialled {dialled}: {where}, {located}",
                    caller=call.caller,
                    dialled=call.dialled,
                    where=where,
                    located=located,
                )
            )
        )
        targets = [f"{i}) {t['endpoint']}" for i, t in enumerate(plan.get("targets", []), start=1)]
        first_desk = len(targets) + 1
        targets += [
            f"{i}) "
            + tr(Message("desk {desk}", desk=d["desk"]))
            + (tr(Message(" (wait {seconds} s)", seconds=d["max_wait_s"])) if d.get("max_wait_s") else "")
            for i, d in enumerate(plan.get("desks", []), start=first_desk)
        ]
        fallback = tr(N_("(the engine gave no plan: dialplan fallback, the default desk)"))
        print(f"    {label['routed']:<{width}}{'  '.join(targets) if plan else fallback}")
        for skip in plan.get("skipped", []):
            print(f"    {label['skipped']:<{width}}{skip['facility']}: {skip['reason']}")
        wanted = tr(N_(" or ")).join(sorted(expected)) or tr(N_("nobody?"))
        verdict = (
            tr(N_("as expected")) if ok else tr(Message("NOT AS EXPECTED (wanted {wanted})", wanted=wanted))
        )
        nobody = tr(N_("(nobody)"))
        print(f"    {label['answered']:<{width}}{', '.join(answered) or nobody}  {verdict}")
        note = call.note_id if call.note_id and current_language() == "id" else call.note
        print(f"    {label['why']:<{width}}{note}")
    print()
    print(
        f"demo calls={len(calls)} as_expected={len(calls) - failures} failed={failures} "
        f"sipp_exit={run.returncode} seconds={time.monotonic() - started:.0f}"
    )
    print(
        tr(
            Message(
                "logs: {folder}: asterisk/log, engine/engine.log, engine/decisions.jsonl, bots/, demo/sipp",
                folder=settings.run_dir,
            )
        )
    )
    if keep_running:
        print(tr(N_("everything is still running: `siaga asterisk stop` and kill the engine/bots when done")))
    return 1 if failures or run.returncode != 0 else 0
