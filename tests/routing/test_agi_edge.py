"""The `route` and `outcome` scripts on a real FastAGI server, driven by a fake Asterisk that evaluates
nested dialplan functions (LEN, DEVICE_STATE, DB_KEYS, DB_DELETE) the way Asterisk does."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agi import variables as v
from agi.outcome import make_outcome_handler
from agi.route import RouteOptions, make_route_handler
from agi.scripts import ScriptTable
from agi.server import FastAgiServer
from agi.testing import FakeAsterisk, FakeCallResult
from routing.records.writer import RecordKeeper, RecordWriter, records_engine
from routing.router import Router, RoutingPolicy
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
        if name.startswith("LEN(") and name.endswith(")"):
            return str(len(name[4:-1].encode()))
        if name.startswith("DB_KEYS("):
            family = name[8:-1]
            return ",".join(k.split("/", 1)[1] for k in self.astdb if k.startswith(family + "/"))
        if name.startswith("DB_DELETE("):
            return self.astdb.pop(name[10:-1], "")
        return channel_vars.get(name, "")


def router() -> Router:
    duties = [duty(f, "malam", "2026-11-22") for f in ("near", "mid", "far")]
    return Router(toy_region(FACILITIES), FixedRoster(duties), RoutingPolicy("dispatch-desk"), toy_tables())


def _clock():  # type: ignore[no-untyped-def]
    from tests.unit.builders import at

    return at("2026-11-23T02:00+07:00")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    records = RecordKeeper(tmp_path / "spool", lambda: records_engine(f"sqlite:///{tmp_path / 'r.db'}"))
    scripts = ScriptTable()
    scripts.register(
        "route", make_route_handler(router(), None, _clock, records=records, options=RouteOptions())
    )
    scripts.register("outcome", make_outcome_handler(records, "dispatch-desk"))
    server = FastAgiServer("127.0.0.1", 0, scripts, workers=1, call_timeout_s=5)
    server.start_background()
    try:
        yield server.port, tmp_path / "spool"
    finally:
        server.stop()


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


@pytest.mark.parametrize("value", ["a,b", "x=y", 'say "hi"', "back\\slash"])
def test_mset_refuses_values_it_would_split(value: str) -> None:
    import socket

    from agi.protocol import AgiSession, UnsafeValueError, _SocketLines

    left, right = socket.socketpair()
    with left, right:
        session = AgiSession(_SocketLines(left, 1.0), {"agi_network_script": "route"})
        with pytest.raises(UnsafeValueError, match="MSet"):
            session.set_variables([("ROUTE_AREA", value)])
