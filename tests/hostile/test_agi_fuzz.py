"""The engine's AGI layer fuzzed with hypothesis: hostile environments and hostile replies.

Whatever connects to the FastAGI port (or whatever Asterisk relays from a caller) may send any bytes.
The protocol layer must answer with its own errors only (`AgiError`: protocol, command, unsafe value),
within its timeouts, and the `route` script must never leave a plan on the channel that the dialplan
would trust (`ROUTE_STATUS=OK`) unless the whole plan is there and stays as written.

Runs are bounded (examples, deadlines, socket timeouts of a fraction of a second) and derandomized so CI
sees the same examples every time; `SIAGA_FUZZ_RANDOM=1` explores new ones (and
`SIAGA_FUZZ_EXAMPLES=2000` more of them). Hypothesis keeps no example
database here (`database=None`), so a run leaves nothing in the working tree.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agi import variables as v
from agi.protocol import AgiError, AgiSession, EnvironmentParser, parse_reply
from agi.route import context_from_env, context_from_session, make_route_handler
from agi.scripts import ScriptTable
from agi.server import FastAgiServer
from agi.testing import FakeAsterisk, separate_app_args, split_agi_command
from kernel.catalogue import SERVICES
from routing.router import Router, RoutingPolicy
from tests.routing.builders import FACILITIES, toy_tables
from tests.unit.builders import FixedRoster, at, duty, toy_region

READ_TIMEOUT_S = 0.15  # the session's per-read timeout in these tests (production: seconds)
SLACK_S = 0.5  # scheduling noise on a busy 2-core machine
EXAMPLES = int(os.environ.get("SIAGA_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # bounded by the socket timeouts and asserted per example instead
    database=None,
    derandomize=os.environ.get("SIAGA_FUZZ_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOW = at("2026-11-23T02:00+07:00")
DISPATCHER = "dispatch-desk"
_CALLER_ID = re.compile(r"\+?[0-9][0-9 ()-]{0,31}")
_KEY = re.compile(r"agi_[a-z0-9_]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BLANK_LINE = re.compile(rb"(?:^|\n)\r?\n")  # an edit can make one anywhere, ending the block early

# --- environments ------------------------------------------------------------------------------------

REAL_ENV = FakeAsterisk().environment("route", ("emergency", "-", "1795398067.123"))
control_chars = st.sampled_from([bytes([c]) for c in [*range(0x20), 0x7F]])
env_values = st.one_of(
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=40),  # often not UTF-8
    st.builds(lambda a, c, b: a + c + b, st.binary(max_size=8), control_chars, st.binary(max_size=8)),
    st.sampled_from([b"x" * n for n in (1000, 1017, 1018, 1019, 1024, 1025, 3000)]),  # near the 1 KB cap
    st.sampled_from([b"0812(", b'"', b"\\", b"a,b=c", b"${SHELL(id)}", b"\xef\xbb\xbfbom", b"\xc0\x80"]),
)
env_keys = st.one_of(
    st.sampled_from([k.encode() for k in REAL_ENV]),
    st.from_regex(r"agi_[a-z0-9_]{1,70}", fullmatch=True).map(str.encode),
    st.binary(max_size=12),
    st.sampled_from([b"AGI_CALLERID", b"agi_", b"agi-callerid", b"agi_arg_1 ", b" agi_arg_1", b"agi_\xe9"]),
)
separators = st.sampled_from([b": ", b":", b":  ", b" : ", b"", b"="])


@st.composite
def environments(draw: st.DrawFn) -> tuple[bytes, str]:
    """An environment block (bytes) and how it ends: "blank" line, "eof", or "silence" (nothing more)."""
    lines = [f"{k}: {val}".encode() for k, val in REAL_ENV.items()]
    for _ in range(draw(st.integers(0, 6))):
        edit = draw(st.sampled_from(["drop", "duplicate", "insert", "replace"]))
        index = draw(st.integers(0, max(0, len(lines) - 1)))
        if edit == "drop" and lines:
            lines.pop(index)
        elif edit == "duplicate" and lines:
            lines.insert(draw(st.integers(0, len(lines))), lines[index])
        else:
            line = draw(env_keys) + draw(separators) + draw(env_values)
            if edit == "insert" or not lines:
                lines.insert(index, line)
            else:
                lines[index] = line
    if draw(st.booleans()) and draw(st.integers(0, 20)) == 0:
        lines *= 40  # past the 200-line cap
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    ending = draw(st.sampled_from(["blank", "blank", "blank", "eof", "silence"]))
    block = newline.join(lines) + newline
    if ending == "blank":
        block += newline + draw(st.sampled_from([b"", b"HANGUP\n", b"200 result=1\n", b"\x00\xff"]))
    return block, ending


def _feed(sock: socket.socket, payload: bytes, close: bool) -> threading.Thread:
    """Send `payload` from a thread (it may be larger than the socket buffer); half-close if asked."""

    def run() -> None:
        try:
            sock.sendall(payload)
            if close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the engine side gave up and closed: fine

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@FUZZ
@given(environments())
def test_hostile_environment_gives_a_session_or_an_agi_error(case: tuple[bytes, str]) -> None:
    block, ending = case
    engine_end, asterisk_end = socket.socketpair()
    with engine_end, asterisk_end:
        writer = _feed(asterisk_end, block, close=ending == "eof")
        started = time.monotonic()
        try:
            session = AgiSession.open(engine_end, read_timeout_s=READ_TIMEOUT_S, env_timeout_s=READ_TIMEOUT_S)
        except AgiError:
            session = None
        elapsed = time.monotonic() - started
        engine_end.close()
        writer.join(2)
    assert elapsed < READ_TIMEOUT_S + SLACK_S, f"reading the environment took {elapsed:.2f}s"
    if not _BLANK_LINE.search(block):
        assert session is None, "an environment without its blank line was accepted"
    if session is None:
        return
    for key, value in session.env.items():
        assert _KEY.fullmatch(key), key
        assert not _CONTROL.search(value), (key, value)
    ctx = context_from_session(session, NOW, {})
    assert ctx.caller == "" or _CALLER_ID.fullmatch(ctx.caller)
    assert ctx.service in SERVICES


@FUZZ
@given(environments(), st.lists(st.integers(1, 9), min_size=1, max_size=30))
def test_environment_parser_reads_the_same_whole_or_in_pieces(
    case: tuple[bytes, str], sizes: list[int]
) -> None:
    """The one-pass fast path (whole block) and the careful line-by-line path (bytes dribbling in) must
    agree on every block: the same environment, the same dropped keys, or both an error."""
    block, _ = case

    def parse(chunks: list[bytes]) -> tuple[Any, ...]:
        parser = EnvironmentParser()
        try:
            for chunk in chunks:
                if parser.feed(chunk):
                    break
        except AgiError as exc:
            return ("error", type(exc).__name__)
        return (parser.complete, parser.env, parser.dropped, parser.rest if parser.complete else b"")

    pieces, position, turn = [], 0, 0
    while position < len(block):
        size = sizes[turn % len(sizes)]
        pieces.append(block[position : position + size])
        position += size
        turn += 1
    whole, dribbled = parse([block]), parse(pieces)
    if whole[0] == "error" or dribbled[0] == "error":
        assert whole[0] == dribbled[0] == "error", (whole, dribbled)
    else:
        # Dribbled bytes may stop at the blank line before the rest arrives; compare what both saw.
        assert whole[:3] == dribbled[:3], (whole, dribbled)
        assert whole[3].startswith(dribbled[3]), (whole[3], dribbled[3])


@FUZZ
@given(
    st.dictionaries(st.text(max_size=20), st.text(max_size=60), max_size=12),
    st.lists(st.text(max_size=30), max_size=5),
    st.text(max_size=30),
    st.dictionaries(st.sampled_from(["effective", "format", "carrier", "trunk"]), st.text(max_size=80)),
)
def test_context_from_env_never_raises_and_keeps_only_numbers(
    env: dict[str, str], args: list[str], unique_id: str, facts: dict[str, str]
) -> None:
    ctx = context_from_env(env, args, unique_id, NOW, facts)
    assert ctx.caller == "" or _CALLER_ID.fullmatch(ctx.caller), ctx.caller
    assert ctx.dialled == "" or re.fullmatch(r"[0-9*#+]{1,32}", ctx.dialled), ctx.dialled
    assert ctx.service in SERVICES
    assert re.fullmatch(r"[0-9]{0,6}", ctx.facts.digits)


@given(st.text(max_size=300))
@FUZZ
def test_parse_reply_returns_or_refuses(line: str) -> None:
    try:
        reply = parse_reply(line)
    except AgiError:
        return
    assert line.startswith("200 result=") and reply.result != "-1"


# --- replies to the route script's commands ----------------------------------------------------------


def _framed(values: list[bytes]) -> bytes:
    return b"".join(str(len(value)).encode() + b":" + value for value in values)


_number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).encode()),
    st.sampled_from([b"-6.99", b"110.44", b"1e308", b"-0", b"", b" ", b"nan", b"9" * 400]),
)
_effective = st.one_of(
    st.builds(
        lambda shape, lat, lon, extra: (
            b'shape="' + shape + b'",crs="2d",pos="' + lat + b" " + lon + b'"' + extra
        ),
        st.sampled_from([b"Point", b"Circle", b"Polygon", b"", b'Point",pos="1 2']),
        _number,
        _number,
        st.sampled_from([b"", b',radius="50"', b',radius="-1"', b',radius="nan"', b',uom="x"']),
    ),
    st.binary(max_size=60).filter(lambda b: b"\n" not in b),
)
_facts_value = st.one_of(
    st.builds(
        lambda eff, fmt, carrier, trunk: _framed([eff, fmt, carrier, trunk]),
        _effective,
        st.sampled_from([b"GML", b"civicAddress", b"URI", b"", b"gml\x00"]),
        st.one_of(
            st.builds(lambda a, b, c: a + b"," + b + b";" + c, _number, _number, _number),
            st.binary(max_size=30).filter(lambda b: b"\n" not in b),
        ),
        st.sampled_from([b"", b"caller-trunk", b"timur-119", b"bad name!", b"x" * 70]),
    ),
    st.binary(max_size=80).filter(lambda b: b"\n" not in b),  # framing that does not add up
)
_states = st.lists(
    st.sampled_from(
        [b"NOT_INUSE", b"INUSE", b"UNAVAILABLE", b"INVALID", b"RINGING", b"", b"lower", b"(", b")"]
    ),
    max_size=8,
).map(b",".join)
replies = st.one_of(
    st.just(b"200 result=1\n"),
    st.just(b"200 result=0\n"),
    st.just(b"200 result=-1\n"),
    st.just(b"200 result=1 (hangup)\n"),
    st.builds(lambda data: b"200 result=1 (" + data + b")\n", _facts_value),
    st.builds(lambda data: b"200 result=1 (" + data + b")\n", _states),
    st.builds(lambda data: b"200 result=1 (" + data + b"\n", _states),  # no closing parenthesis
    st.just(b"510 Invalid or unknown command\n"),
    st.just(b"511 Command Not Permitted on a dead channel or intercept routine\n"),
    st.builds(
        lambda body: (
            b"520-Invalid command syntax.  Proper usage follows:\n" + body + b"520 End of proper usage.\n"
        ),
        st.lists(st.binary(max_size=30).filter(lambda b: b"\n" not in b), max_size=4).map(
            lambda lines: b"".join(line + b"\n" for line in lines)
        ),
    ),
    st.just(b"520-Invalid command syntax.  Proper usage follows:\nand then nothing\n"),  # never ends
    st.just(b"HANGUP\n200 result=1\n"),
    st.just(b"HANGUP\nHANGUP\n"),
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"") + b"\n"),  # a garbage line
    st.sampled_from([b"200 result=1 (" + b"x" * n + b")\n" for n in (8170, 8178, 8179, 8180, 20_000)]),
    st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"")),  # a partial line, then silence
    st.just(b"200 result=1\n200 result=1\n"),  # an extra reply, answering the next command early
    st.just(b"\xff\xfe2\x000\x000\x00\n"),  # UTF-16
)


@dataclass
class ScriptedAsterisk:
    """Answers each command line with the next scripted reply; then either closes or answers sanely."""

    script: list[bytes]
    then: str  # "eof" or "sane"
    commands: list[str] = field(default_factory=list)

    def serve(self, sock: socket.socket, env: bytes) -> None:
        buffer = b""
        try:
            sock.sendall(env)
            sock.settimeout(3)
            while True:
                while b"\n" not in buffer:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                line, buffer = buffer.split(b"\n", 1)
                command = line.decode("utf-8", errors="replace")
                self.commands.append(command)
                if len(self.commands) <= len(self.script):
                    sock.sendall(self.script[len(self.commands) - 1])
                elif self.then == "eof":
                    sock.shutdown(socket.SHUT_WR)
                else:
                    sock.sendall(_sane_reply(command))
        except OSError:
            return

    def writes(self) -> list[tuple[int, str, str]]:
        """(command number, name, value) of every variable the engine asked to set, in order."""
        found = []
        for number, command in enumerate(self.commands):
            argv = split_agi_command(command)
            words = [a.upper() for a in argv[:2]]
            if words == ["SET", "VARIABLE"] and len(argv) >= 4:
                found.append((number, argv[2], argv[3]))
            elif words == ["EXEC", "MSET"] and len(argv) >= 3:
                for pair in separate_app_args(argv[2]):
                    name, _, value = pair.partition("=")
                    found.append((number, name, value))
        return found


def _sane_reply(command: str) -> bytes:
    upper = command.upper()
    if upper.startswith("EXEC"):
        return b"200 result=0\n"
    if upper.startswith("GET FULL VARIABLE"):
        return b"200 result=1 ()\n"
    return b"200 result=1\n"


def _router() -> Router:
    duties = [duty(f, "malam", "2026-11-22") for f in ("near", "mid", "far")]
    return Router(toy_region(FACILITIES), FixedRoster(duties), RoutingPolicy(DISPATCHER), toy_tables())


ROUTE = make_route_handler(_router(), None, lambda: NOW.astimezone(UTC))


def _check_plan_writes(writes: list[tuple[int, str, str]]) -> None:
    """Once ROUTE_STATUS=OK could be on the channel, the plan there is whole and is never changed.

    Whole: ROUTE_COUNT targets, each with its dial string and ring time, and (where the plan has desks)
    ROUTE_DESK_COUNT desks, each named. What the plan *says* is the router's business, not checked here.
    """
    commands_with_status = {n for n, name, _ in writes if name == v.ROUTE_STATUS}
    for number in commands_with_status:
        in_command = [name for n, name, _ in writes if n == number]
        assert in_command[-1] == v.ROUTE_STATUS, f"ROUTE_STATUS is not the last of its command: {in_command}"
    channel: dict[str, str] = {}
    trusted_at: dict[str, str] | None = None
    for _, name, value in writes:  # applied as Asterisk would, even when its reply was an error
        if trusted_at is not None and name.startswith("ROUTE_"):
            assert trusted_at.get(name) == value, f"{name} changed after ROUTE_STATUS=OK"
        channel[name] = value
        if name == v.ROUTE_STATUS and value == v.STATUS_OK and trusted_at is None:
            count = channel.get(v.ROUTE_COUNT, "")
            assert count.isdigit() and int(count) <= 20, f"ROUTE_COUNT {count!r} with ROUTE_STATUS=OK"
            for n in range(1, int(count) + 1):
                assert channel.get(v.route_n(n), "").startswith("PJSIP/"), (n, channel)
                assert channel.get(v.route_timeout_n(n), "").isdigit(), (n, channel)
            desks = channel.get("ROUTE_DESK_COUNT")
            if desks is not None:
                assert desks.isdigit(), f"ROUTE_DESK_COUNT {desks!r}"
                assert all(channel.get(f"ROUTE_DESK_{n}") for n in range(1, int(desks) + 1)), channel
            assert int(count) > 0 or int(desks or 0) > 0, f"a trusted plan that rings no one: {channel}"
            trusted_at = dict(channel)


def _run_route(script: list[bytes], then: str) -> tuple[ScriptedAsterisk, BaseException | None, float]:
    env = "".join(f"{k}: {val}\n" for k, val in REAL_ENV.items()).encode() + b"\n"
    asterisk = ScriptedAsterisk(script, then)
    engine_end, asterisk_end = socket.socketpair()
    with engine_end, asterisk_end:
        thread = threading.Thread(target=asterisk.serve, args=(asterisk_end, env), daemon=True)
        thread.start()
        started = time.monotonic()
        error: BaseException | None = None
        try:
            session = AgiSession.open(engine_end, read_timeout_s=READ_TIMEOUT_S)
            ROUTE(session)
        except Exception as exc:  # judged by the caller: only AgiError is allowed
            error = exc
        elapsed = time.monotonic() - started
        engine_end.close()
        thread.join(3)
    return asterisk, error, elapsed


@FUZZ
@given(st.lists(replies, max_size=6), st.sampled_from(["eof", "sane"]))
def test_route_script_with_hostile_replies(script: list[bytes], then: str) -> None:
    asterisk, error, elapsed = _run_route(script, then)
    assert error is None or isinstance(error, AgiError), f"{type(error).__name__}: {error}"
    # Each command waits at most one read timeout for its reply (a 520 block: one per line).
    reads = len(asterisk.commands) + sum(r.count(b"\n") for r in script) + 2
    assert elapsed < reads * READ_TIMEOUT_S + SLACK_S, f"{elapsed:.2f}s for {len(asterisk.commands)} commands"
    _check_plan_writes(asterisk.writes())
    if then == "sane" and not script:
        assert error is None and any(name == v.ROUTE_STATUS for _, name, _ in asterisk.writes())


def test_a_sane_asterisk_gets_a_whole_plan() -> None:
    """The control for the property above: with ordinary replies the plan is written, status last."""
    asterisk, error, _ = _run_route([], "sane")
    assert error is None
    writes = asterisk.writes()
    assert writes[-1][1:] == (v.ROUTE_STATUS, v.STATUS_OK)
    _check_plan_writes(writes)


def test_check_plan_writes_catches_a_half_plan() -> None:
    """The checker itself: a status written before the plan is complete is caught."""
    whole = [(0, v.ROUTE_COUNT, "1"), (0, v.route_n(1), "PJSIP/x"), (0, v.route_timeout_n(1), "20")]
    _check_plan_writes([*whole, (0, v.ROUTE_STATUS, "OK")])
    with pytest.raises(AssertionError):  # the status before the plan is whole
        _check_plan_writes([(0, v.ROUTE_COUNT, "2"), (0, v.route_n(1), "PJSIP/x"), (0, v.ROUTE_STATUS, "OK")])
    with pytest.raises(AssertionError):  # the status not last in its command
        _check_plan_writes([*whole, (0, v.ROUTE_STATUS, "OK"), (0, v.ROUTE_AREA, "")])
    with pytest.raises(AssertionError):  # the plan changed after it was trusted
        _check_plan_writes([*whole, (0, v.ROUTE_STATUS, "OK"), (1, v.route_n(1), "PJSIP/elsewhere")])


# --- the same environments against the real pre-forked server ----------------------------------------


@pytest.fixture(scope="module")
def agi_server() -> Iterator[FastAgiServer]:
    """The real FastAGI server (one worker) with the route script over the toy region."""
    scripts = ScriptTable()
    scripts.register("route", ROUTE)
    server = FastAgiServer("127.0.0.1", 0, scripts, workers=1, read_timeout_s=0.3, call_timeout_s=2.0)
    server.start_background()
    try:
        yield server
    finally:
        server.stop()


def _plan_status(commands: list[str]) -> str | None:
    asterisk = ScriptedAsterisk([], "sane", commands)
    statuses = [value for _, name, value in asterisk.writes() if name == v.ROUTE_STATUS]
    return statuses[-1] if statuses else None


@settings(FUZZ, max_examples=max(1, EXAMPLES * 3 // 10))
@given(environments().filter(lambda case: case[1] != "silence"))  # silence: the session test above
def test_server_survives_hostile_environments(agi_server: FastAgiServer, case: tuple[bytes, str]) -> None:
    block, ending = case
    fake = FakeAsterisk("127.0.0.1", agi_server.port, timeout_s=5)
    result = fake.call(raw_env=block, close_after_env=ending == "eof")
    # The server may close mid-send (a refused flood reaches us as a reset): fine. A hang is not.
    assert result.error != "timeout", "the server kept the connection open past the fake's timeout"
    assert result.elapsed_s < 2.0 + SLACK_S
    _check_plan_writes(ScriptedAsterisk([], "sane", result.commands).writes())


def test_server_still_routes_after_the_fuzzing(agi_server: FastAgiServer) -> None:
    """Runs after the fuzz above (same module server): a well-formed call still gets a whole plan."""
    fake = FakeAsterisk("127.0.0.1", agi_server.port, timeout_s=5)
    result = fake.call("route", ("emergency", "-", f"{time.time():.3f}"))
    assert result.closed_cleanly, result.error
    assert _plan_status(result.commands) == v.STATUS_OK, result.commands
