"""The `route` and `outcome` scripts on a real FastAGI server, driven by a fake Asterisk that evaluates
nested dialplan functions (LEN, DEVICE_STATE, DB_KEYS, DB_DELETE, `${X:offset:length}`) the way Asterisk
does, and splits MSet's argument as Asterisk's application parser does."""

from __future__ import annotations

import dataclasses
import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest

from agi import variables as v
from agi.outcome import make_outcome_handler
from agi.protocol import AgiSession
from agi.route import RouteOptions, make_route_handler
from agi.scripts import ScriptTable
from agi.server import FastAgiServer
from agi.testing import FakeAsterisk, FakeCallResult
from geo.facilities import Facility
from routing.records.writer import RecordKeeper, RecordWriter, records_engine
from routing.router import Router, RoutingPolicy
from tests.agi.support import logging_to
from tests.routing.builders import FACILITIES, toy_tables
from tests.unit.builders import FixedRoster, duty, toy_region

POINT = 'shape="Point",crs="2d",pos="-7.0 110.34"'
START = f"{time.time():.3f}"


class EvaluatingAsterisk(FakeAsterisk):
    """Expands ${…} innermost first and calls LEN/DB_* like pbx_substitute_variables would."""

    def __init__(self, *args, astdb: dict[str, str] | None = None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.astdb = astdb if astdb is not None else {}

    def _substitute(self, expr: str, result: FakeCallResult, channel_vars: dict[str, str]) -> str:
        out, i = "", 0
        while i < len(expr):
            if expr.startswith("${", i):
                depth, j = 1, i + 2
                while depth:
                    depth += {"{": 1, "}": -1}.get(expr[j], 0) if expr[j - 1 : j + 1] != "$" else 0
                    j += 1
                inner = self._substitute(expr[i + 2 : j - 1], result, channel_vars)
                out += self._lookup(inner, channel_vars)
                i = j
            else:
                out += expr[i]
                i += 1
        return out

    def _lookup(self, name: str, channel_vars: dict[str, str]) -> str:
        # parse_variable_name(): a ":" outside parentheses starts offset[:length], for functions too.
        depth = 0
        for i, char in enumerate(name):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if char == ":" and depth == 0:
                offset, _, length = name[i + 1 :].partition(":")
                value = self._lookup(name[:i], channel_vars)
                start = int(offset or 0)
                return value[start : start + int(length)] if length else value[start:]
        if name.startswith("LEN(") and name.endswith(")"):
            return str(len(name[4:-1].encode()))
        if name.startswith("DB_KEYS("):
            family = name[8:-1]
            return ",".join(k.split("/", 1)[1] for k in self.astdb if k.startswith(family + "/"))
        if name.startswith("DB_DELETE("):
            return self.astdb.pop(name[10:-1], "")
        return channel_vars.get(name, "")


def router(facilities: list[Facility] | None = None) -> Router:
    duties = [duty(f, "malam", "2026-11-22") for f in ("near", "mid", "far")]
    region = toy_region(facilities or FACILITIES)
    return Router(region, FixedRoster(duties), RoutingPolicy("dispatch-desk"), toy_tables())


def _clock():  # type: ignore[no-untyped-def]
    from tests.unit.builders import at

    return at("2026-11-23T02:00+07:00")


@contextmanager
def running_engine(
    tmp_path: Path, facilities: list[Facility] | None = None, options: RouteOptions | None = None
) -> Iterator[tuple[int, Path]]:
    records = RecordKeeper(tmp_path / "spool", lambda: records_engine(f"sqlite:///{tmp_path / 'r.db'}"))
    scripts = ScriptTable()
    scripts.register(
        "route",
        make_route_handler(
            router(facilities), None, _clock, records=records, options=options or RouteOptions()
        ),
    )
    scripts.register("outcome", make_outcome_handler(records, "dispatch-desk"))
    server = FastAgiServer("127.0.0.1", 0, scripts, workers=1, call_timeout_s=5)
    server.start_background()
    try:
        yield server.port, tmp_path / "spool"
    finally:
        server.stop()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    with running_engine(tmp_path) as running:
        yield running


def spooled(spool: Path) -> list[dict]:  # type: ignore[type-arg]
    """Every event the worker spooled, in order (one worker, so one file)."""
    return [
        json.loads(line)
        for path in sorted(spool.glob("spool-*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_route_reads_the_pidf_location_and_skips_an_unregistered_phone(engine) -> None:  # type: ignore[no-untyped-def]
    port, spool = engine
    fake = EvaluatingAsterisk(port=port)
    call = fake.call(
        "route",
        ("emergency", "-", START),
        channel_vars={
            v.GEOLOC_EFFECTIVE: POINT,
            v.GEOLOC_FORMAT: "GML",
            "DEVICE_STATE(PJSIP/near-op)": "UNAVAILABLE",
        },
    )
    assert call.closed_cleanly
    assert call.variables[v.route_n(1)] == "PJSIP/mid-op"
    assert call.variables[v.ROUTE_LOCATION_SOURCE] == "pidf-lo"
    assert call.variables[v.ROUTE_ASK_DIGITS] == "0"
    assert call.variables[v.ROUTE_STATUS] == "OK"
    assert sum(c.startswith("GET FULL VARIABLE") for c in call.commands) == 2
    (event,) = spooled(spool)
    assert event["kind"] == "plan"
    assert event["plan"]["skipped"][0]["reason"] == "near-op: softphone not registered"


def test_an_emergency_call_with_a_point_gets_the_ambulance_line_and_a_failing_one_costs_only_it(
    tmp_path: Path,
) -> None:
    def ambulance(now: datetime, lat: float, lon: float) -> str:  # runs in the forked worker
        return f"119-x near {lat:.4f},{lon:.4f} at {now:%H:%M}"

    with running_engine(tmp_path, options=RouteOptions(ambulance=ambulance)) as (port, _):
        fake = EvaluatingAsterisk(port=port)
        call = fake.call("route", ("emergency", "-", START), channel_vars={v.GEOLOC_EFFECTIVE: POINT})
        assert call.variables[v.SCREENPOP_AMBULANCE].startswith("119-x near -7.0000,110.3400 ")
        assert call.variables[v.SCREENPOP_AMBULANCE].endswith(f" at {_clock():%H:%M}")  # the call's now
        assert call.variables[v.ROUTE_STATUS] == "OK"
        no_point = fake.call("route", ("emergency", "-", START))
        assert v.SCREENPOP_AMBULANCE not in no_point.variables and no_point.variables[v.ROUTE_STATUS] == "OK"

    def broken(now: datetime, lat: float, lon: float) -> str:
        raise RuntimeError("database gone")

    (tmp_path / "b").mkdir()
    with running_engine(tmp_path / "b", options=RouteOptions(ambulance=broken)) as (port, _):
        call = EvaluatingAsterisk(port=port).call(
            "route", ("emergency", "-", START), channel_vars={v.GEOLOC_EFFECTIVE: POINT}
        )
        assert v.SCREENPOP_AMBULANCE not in call.variables
        assert call.variables[v.ROUTE_STATUS] == "OK" and call.variables[v.route_n(1)].startswith("PJSIP/")


def test_a_forged_frame_in_a_header_cannot_displace_the_pidf_location(engine) -> None:  # type: ignore[no-untyped-def]
    port, _ = engine
    forged = '1:x35:shape="Point",pos="-7.0 110.45"'
    call = EvaluatingAsterisk(port=port).call(
        "route",
        ("emergency",),
        channel_vars={v.GEOLOC_EFFECTIVE: POINT, v.carrier_header("X-Caller-Location"): forged},
    )
    assert call.variables[v.ROUTE_LOCATION_SOURCE] == "pidf-lo"
    assert call.variables[v.route_n(1)] == "PJSIP/near-op"


def test_digits_typed_in_the_ivr_come_back_as_an_argument(engine) -> None:  # type: ignore[no-untyped-def]
    port, _ = engine
    fake = EvaluatingAsterisk(port=port)
    first = fake.call("route", ("emergency", "-", START), env={"agi_callerid": "081299999999"})
    assert first.variables[v.ROUTE_ASK_DIGITS] == "1"
    second = fake.call("route", ("emergency", "ivr:50131", START), env={"agi_callerid": "081299999999"})
    assert second.variables[v.ROUTE_LOCATION_SOURCE] == "ivr"
    assert second.variables[v.ROUTE_ASK_DIGITS] == "0"
    hostile = fake.call("route", ("emergency", "ivr:1;EXEC", START), env={"agi_callerid": "081299999999"})
    assert hostile.variables[v.ROUTE_LOCATION_SOURCE] == "none"


def test_outcome_spools_the_report_and_collects_those_kept_in_astdb(engine) -> None:  # type: ignore[no-untyped-def]
    port, spool = engine
    kept = (
        f"v1|{START}|{START}|emergency|119|0247000006|failed"
        f"#1|PJSIP/dispatch-desk|{START}|{START}|ANSWER|900|500;"
    )
    fake = EvaluatingAsterisk(port=port, astdb={f"{v.PENDING_FAMILY}/siaga-1700000000.7": kept})
    call_report = f"v1|{START}|{START}|emergency|119|0247000001|ok"
    attempts = f"1|PJSIP/near-op|{START}|{START}|ANSWER|1200|1000;"
    call = fake.call("outcome", (call_report, attempts), env={"agi_uniqueid": "siaga-1700000001.8"})
    assert call.variables[v.OUTCOME_STATUS] == "OK"
    assert fake.astdb == {}
    events = spooled(spool)
    assert [(e["kind"], e["call_id"]) for e in events] == [
        ("outcome", "siaga-1700000001.8"),
        ("outcome", "siaga-1700000000.7"),
    ]
    assert events[1]["report"]["route_status"] == "engine unreachable"


def test_a_bad_report_is_refused_and_the_dialplan_keeps_it(engine) -> None:  # type: ignore[no-untyped-def]
    port, spool = engine
    call = EvaluatingAsterisk(port=port).call("outcome", ("v1|x|y|emergency|119|0|ok", ""))
    assert v.OUTCOME_STATUS not in call.variables
    assert spooled(spool) == []


def test_the_reply_does_not_wait_for_a_locked_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    records_engine(url).dispose()
    keeper = RecordKeeper(tmp_path / "spool", lambda: records_engine(url, 0.2))
    scripts = ScriptTable()
    scripts.register("route", make_route_handler(router(), None, _clock, records=keeper))
    server = FastAgiServer("127.0.0.1", 0, scripts, workers=1)
    server.start_background()
    writer = RecordWriter(tmp_path / "spool", lambda: records_engine(url, 0.2), retry_s=0.1, max_retry_s=0.3)
    locker = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    writer.start_thread()
    try:
        fake = EvaluatingAsterisk(port=server.port)
        for n in range(5):
            call = fake.call("route", ("emergency",), channel_vars={v.GEOLOC_EFFECTIVE: POINT})
            assert call.variables[v.ROUTE_STATUS] == "OK"
            assert call.elapsed_s < 0.5, f"call {n} waited {call.elapsed_s:.2f} s"
        time.sleep(0.5)
        assert writer.failures > 0, "the writer did meet the locked database"
        locker.execute("ROLLBACK")
        deadline = time.monotonic() + 10
        count = 0
        while time.monotonic() < deadline and count < 5:
            with sqlite3.connect(tmp_path / "r.db") as db:
                count = db.execute("select count(*) from call_record").fetchone()[0]
            time.sleep(0.1)
        assert count == 5
    finally:
        locker.close()
        writer.stop()
        server.stop()


class NoMSetAsterisk(EvaluatingAsterisk):
    """An Asterisk without MSet: EXEC answers result=-2 (application not found)."""

    def _reply(self, command: str, result: FakeCallResult, channel_vars: dict[str, str]) -> str:
        if command.upper().startswith("EXEC"):
            return "200 result=-2\n"
        return super()._reply(command, result, channel_vars)


def test_the_plan_goes_in_one_mset_with_the_status_last(engine) -> None:  # type: ignore[no-untyped-def]
    port, _ = engine
    call = EvaluatingAsterisk(port=port).call(
        "route", ("emergency",), channel_vars={v.GEOLOC_EFFECTIVE: POINT}
    )
    (mset,) = [c for c in call.commands if c.startswith("EXEC")]
    assert mset.startswith('EXEC MSet "ROUTE_1=PJSIP/near-op,')
    assert mset.endswith(f'{v.ROUTE_STATUS}=OK"')
    assert not any(c.startswith("SET VARIABLE") for c in call.commands)


def test_without_mset_the_plan_is_set_one_variable_at_a_time(engine) -> None:  # type: ignore[no-untyped-def]
    port, _ = engine
    call = NoMSetAsterisk(port=port).call("route", ("emergency",), channel_vars={v.GEOLOC_EFFECTIVE: POINT})
    assert call.variables[v.ROUTE_STATUS] == "OK"
    assert call.variables[v.route_n(1)] == "PJSIP/near-op"
    assert [c for c in call.commands if c.startswith("SET VARIABLE")][-1].startswith(
        f"SET VARIABLE {v.ROUTE_STATUS}"
    )


HOSTILE_VALUES = [
    "a,b",
    "x=y",
    'say "hi"',
    "back\\slash",
    "0812(",
    "0812)",
    "[Rawat Inap",
    'Puskesmas "Sehat" (Rawat [Inap], Barat\\',
    "trailing\\",
    "${EXTEN}",
    "",
]


def set_through_fake(pairs: list[tuple[str, str]]) -> FakeCallResult:
    """`set_variables(pairs)` on a session whose peer is the fake Asterisk; what the fake ended with."""
    ours, theirs = socket.socketpair()
    fake = FakeAsterisk(timeout_s=3.0)
    with ThreadPoolExecutor(max_workers=1) as pool, theirs:
        future = pool.submit(fake.call_on, theirs)
        with ours:
            AgiSession.open(ours, read_timeout_s=2.0).set_variables(pairs)
        return future.result(timeout=5)


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_mset_keeps_every_value_whole_and_the_status_last(value: str) -> None:
    """Whatever a value holds, MSet (split as Asterisk splits it) sets it unchanged and the rest too."""
    pairs = [
        ("_SIAGA_POP_CALLER", value),
        ("ROUTE_AREA", value),
        ("ROUTE_COUNT", "2"),
        ("ROUTE_STATUS", "OK"),
    ]
    result = set_through_fake(pairs)
    assert len(result.commands) == 1
    assert result.variables == dict(pairs)


def test_more_pairs_than_one_mset_takes_go_in_several_with_the_status_in_the_last() -> None:
    """MSet parses 98 pairs; a 99th would hold the rest of the line unparsed."""
    pairs = [(f"V_{n}", f"x({n}") for n in range(150)] + [("ROUTE_STATUS", "OK")]
    result = set_through_fake(pairs)
    assert len(result.commands) == 2
    assert result.commands[-1].endswith('ROUTE_STATUS=OK"')
    assert result.variables == dict(pairs)


def test_a_caller_id_with_an_open_parenthesis_still_gets_the_whole_plan(engine) -> None:  # type: ignore[no-untyped-def]
    """Real Asterisk sent `0812(` to the dispatcher: its "(" swallowed ROUTE_STATUS in MSet."""
    port, _ = engine
    fake = EvaluatingAsterisk(port=port)
    plain = fake.call(
        "route", ("emergency",), env={"agi_callerid": "08129999"}, channel_vars={v.GEOLOC_EFFECTIVE: POINT}
    )
    odd = fake.call(
        "route", ("emergency",), env={"agi_callerid": "0812("}, channel_vars={v.GEOLOC_EFFECTIVE: POINT}
    )
    for call in (plain, odd):
        assert call.variables[v.ROUTE_STATUS] == "OK"
        assert call.variables[v.route_n(1)] == "PJSIP/near-op"
        assert call.variables[v.ROUTE_COUNT] == plain.variables[v.ROUTE_COUNT]
    assert odd.variables[v.SCREENPOP_VARIABLES["X-Siaga-Caller"]] == "0812("
    assert {k: x for k, x in odd.variables.items() if "POP" not in k} == {
        k: x for k, x in plain.variables.items() if "POP" not in k
    }


def test_facility_names_with_brackets_quotes_and_backslashes_cannot_swallow_the_status(
    tmp_path: Path,
) -> None:
    """A name cut mid-bracket, or holding any of ( ) [ ] " \\ , reaches the screen-pop whole."""
    names = {"near": 'Puskesmas "Sehat" (Rawat [Inap', "mid": "Pkm Mid) ] \\ , end"}
    facilities = [dataclasses.replace(f, name=names.get(f.code, f.name)) for f in FACILITIES]
    with running_engine(tmp_path, facilities) as (port, _):
        call = EvaluatingAsterisk(port=port).call(
            "route", ("emergency",), channel_vars={v.GEOLOC_EFFECTIVE: POINT}
        )
    assert call.variables[v.ROUTE_STATUS] == "OK"
    count = int(call.variables[v.ROUTE_COUNT])
    assert [call.variables[v.route_n(n)] for n in range(1, count + 1)] == [
        "PJSIP/near-op",
        "PJSIP/mid-op",
        "PJSIP/far-op",
        "PJSIP/dispatch-desk",
    ]
    assert call.variables[v.screenpop_attempt_n(2)] == "2 of 4; Puskesmas 'Sehat' (Rawat [Inap did not answer"
    assert call.variables[v.screenpop_attempt_n(3)].startswith(
        "3 of 4; Puskesmas 'Sehat' (Rawat [Inap and Pkm Mid) ]"
    )


def report_for(key: str) -> str:
    """What the dialplan keeps in AstDB for a call the engine could not take."""
    call = f"v1|{START}|{START}|emergency|119|0247000006|failed"
    return f"{call}#1|PJSIP/dispatch-desk|{START}|{START}|ANSWER|900|500;"


class RacingAsterisk(EvaluatingAsterisk):
    """Another worker's `outcome` deletes these keys between our DB_KEYS and our DB_DELETE."""

    def __init__(self, *args, taken: set[str], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.taken = taken

    def _lookup(self, name: str, channel_vars: dict[str, str]) -> str:
        if name.startswith("DB_DELETE(") and name[10:-1].split("/", 1)[1] in self.taken:
            self.astdb.pop(name[10:-1], None)
            return ""
        return super()._lookup(name, channel_vars)


def test_a_pending_report_another_worker_took_is_not_a_drop(tmp_path: Path) -> None:
    keys = [f"siaga-1700000000.{n}" for n in range(1, 5)]
    astdb = {f"{v.PENDING_FAMILY}/{key}": report_for(key) for key in keys}
    with logging_to(tmp_path / "agi.log") as agi_log, running_engine(tmp_path) as (port, spool):
        fake = RacingAsterisk(port=port, astdb=astdb, taken={keys[1], keys[2]})
        call_report = f"v1|{START}|{START}|emergency|119|0247000001|ok"
        call = fake.call("outcome", (call_report, ""), env={"agi_uniqueid": "siaga-1700000001.8"})
        assert call.variables[v.OUTCOME_STATUS] == "OK"
        time.sleep(0.2)
    collected = [e["call_id"] for e in spooled(spool)]
    assert collected == ["siaga-1700000001.8", keys[0], keys[3]]
    assert fake.astdb == {}
    assert "dropped" not in agi_log.text()
    assert "collected 2 report(s)" in agi_log.text()


def test_a_backlog_longer_than_a_reply_line_still_drains_ten_at_a_time(engine) -> None:  # type: ignore[no-untyped-def]
    """500 keys make DB_KEYS ~10 KB, past the 8 KB reply line the engine accepts: read only the start."""
    port, spool = engine
    keys = [f"siaga-17000{n:05d}.{n}" for n in range(500)]
    astdb = {f"{v.PENDING_FAMILY}/{key}": report_for(key) for key in keys}
    fake = EvaluatingAsterisk(port=port, astdb=astdb)
    assert len(",".join(keys)) > 8192
    call_report = f"v1|{START}|{START}|emergency|119|0247000001|ok"
    for round_ in range(1, 3):
        call = fake.call("outcome", (call_report, ""), env={"agi_uniqueid": f"siaga-1800000001.{round_}"})
        assert call.closed_cleanly
        assert call.variables[v.OUTCOME_STATUS] == "OK"
        assert len(fake.astdb) == 500 - 10 * round_
    pending = [e["call_id"] for e in spooled(spool) if e["call_id"] in keys]
    assert pending == sorted(keys)[:20]
