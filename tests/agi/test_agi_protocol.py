"""AgiSession against FakeAsterisk over a socketpair: no server, no fork, milliseconds per test."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from agi.protocol import (
    MAX_COMMAND_BYTES,
    AgiCommandError,
    AgiProtocolError,
    AgiSession,
    UnsafeValueError,
    quote_argument,
)
from agi.testing import FakeAsterisk, FakeCallResult

Handler = Callable[[AgiSession], Any]


def converse(
    handler: Handler, *, read_timeout_s: float = 1.0, **call: Any
) -> tuple[FakeCallResult, BaseException | None]:
    """Run ``handler`` on a session whose peer is FakeAsterisk; return what each side ended with."""
    ours, theirs = socket.socketpair()
    fake = FakeAsterisk(timeout_s=3.0)
    error: BaseException | None = None
    with ThreadPoolExecutor(max_workers=1) as pool, theirs:
        future = pool.submit(fake.call_on, theirs, **call)
        try:
            with ours:
                handler(AgiSession.open(ours, read_timeout_s=read_timeout_s))
        except Exception as exc:
            error = exc
        return future.result(timeout=5), error


def test_environment_script_args_and_unique_id() -> None:
    seen: dict[str, Any] = {}

    def capture(session: AgiSession) -> None:
        seen.update(script=session.script, args=session.args, uid=session.unique_id, env=session.env)

    result, error = converse(capture, script="route", args=["emergency", "a b", ""])
    assert error is None
    assert seen["script"] == "route"
    assert seen["args"] == ["emergency", "a b", ""]
    assert seen["uid"] == result.env["agi_uniqueid"]
    assert seen["env"]["agi_callerid"] == "081234567890"
    assert seen["env"]["agi_accountcode"] == ""
    assert result.closed_cleanly


@pytest.mark.parametrize(("network_script", "expected"), [("route?exten=119", "route"), ("/route/", "route")])
def test_script_is_the_path_part(network_script: str, expected: str) -> None:
    seen: list[str] = []
    _, error = converse(lambda s: seen.append(s.script), env={"agi_network_script": network_script})
    assert error is None
    assert seen == [expected]


def test_missing_unique_id_does_not_break_the_call() -> None:
    seen: list[str] = []
    _, error = converse(lambda s: seen.append(s.unique_id), env={"agi_uniqueid": None})
    assert error is None
    assert seen == ["unknown"]


@pytest.mark.parametrize(
    "value",
    [
        'PJSIP/pkm "Cibinong" 2',
        "back\\slash and trailing\\",
        '\\"',
        "",
        "   leading and trailing spaces   ",
        "Puskesmas Kec. Cibinong (rawat inap) = 24 jam",
        "${EXTEN}",
        "ünïcödé – Jawa Barat",
        "x" * 500,
    ],
)
def test_set_variable_round_trips(value: str) -> None:
    result, error = converse(lambda s: s.set_variable("SIAGA_VALUE", value))
    assert error is None
    assert result.variables == {"SIAGA_VALUE": value}
    assert len(result.commands) == 1


@pytest.mark.parametrize("bad", ["\n", "\r", "\0", "\x1b", "\t", "\x7f"])
def test_control_characters_in_values_are_refused_before_sending(bad: str) -> None:
    result, error = converse(lambda s: s.set_variable("SIAGA_ROUTE_TARGET", f"PJSIP/a{bad}EXEC System id"))
    assert isinstance(error, UnsafeValueError)
    assert isinstance(error, ValueError)
    assert result.commands == []
    assert result.variables == {}


@pytest.mark.parametrize("bad", ["\n", "\r", "\0", "\x1b"])
def test_control_characters_in_an_mset_value_are_refused_naming_it_before_sending(bad: str) -> None:
    result, error = converse(lambda s: s.set_variables([("A", "ok"), ("B", f"x{bad}EXEC System id")]))
    assert isinstance(error, UnsafeValueError)
    assert "value of B" in str(error)
    assert result.commands == []


@pytest.mark.parametrize("name", ["", "HAS SPACE", "1ST", "CALLERID(num)", "X\nY", "A-B", 'Q"'])
def test_odd_variable_names_are_refused(name: str) -> None:
    result, error = converse(lambda s: s.set_variable(name, "v"))
    assert isinstance(error, UnsafeValueError)
    assert result.commands == []


def test_commands_that_asterisk_would_split_are_refused() -> None:
    # 'SET VARIABLE V "…"\n' is 18 bytes plus the value.
    longest = "x" * (MAX_COMMAND_BYTES - len('SET VARIABLE V ""\n'))
    result, error = converse(lambda s: s.set_variable("V", longest))
    assert error is None
    assert result.variables == {"V": longest}

    result, error = converse(lambda s: s.set_variable("V", longest + "x"))
    assert isinstance(error, UnsafeValueError)
    assert "splits" in str(error)
    assert result.commands == []


def test_get_full_variable() -> None:
    seen: dict[str, str | None] = {}

    def read(session: AgiSession) -> None:
        session.set_variable("MINE", "a (b) c")
        for expr in (
            "${PJSIP_HEADER(read,X-Lat)}",
            "${UNSET}",
            "${MINE}",
            "${CHANNEL}",
            "${WORD}",
            "${CTRL}",
        ):
            seen[expr] = session.get_full_variable(expr)

    _, error = converse(
        read, channel_vars={"PJSIP_HEADER(read,X-Lat)": "-6.48", "WORD": "hangup", "CTRL": "a\x01b"}
    )
    assert error is None
    assert seen == {
        "${PJSIP_HEADER(read,X-Lat)}": "-6.48",
        "${UNSET}": "",  # Asterisk answers "200 result=1 ()" for an unset variable
        "${MINE}": "a (b) c",
        "${CHANNEL}": "PJSIP/trunk-00000001",
        "${WORD}": "hangup",  # pyst2 used to raise AGIResultHangup on this value
        "${CTRL}": None,  # control characters: treated as missing
    }


def test_get_full_variable_refuses_unsafe_expressions() -> None:
    result, error = converse(lambda s: s.get_full_variable("${A}\nEXEC System id"))
    assert isinstance(error, UnsafeValueError)
    assert result.commands == []


def test_verbose() -> None:
    result, error = converse(lambda s: s.verbose('routing "119" call', level=2))
    assert error is None
    assert result.verbose == ['routing "119" call']
    assert result.commands == ['VERBOSE "routing \\"119\\" call" 2']

    _, error = converse(lambda s: s.verbose("x", level=9))
    assert isinstance(error, ValueError)


def test_asterisk_error_reply_becomes_agi_command_error() -> None:
    _, error = converse(lambda s: s._execute("NO SUCH COMMAND"))
    assert isinstance(error, AgiCommandError)
    assert "invalid or unknown command" in str(error)
    assert "510" in str(error)


def test_a_usage_reply_is_read_to_its_end_and_the_session_goes_on() -> None:
    """520- opens a usage block; its lines belong to that reply, not to the next command."""
    seen: list[str | None] = []

    def handler(session: AgiSession) -> None:
        with pytest.raises(AgiCommandError, match="usage"):
            session._execute("GET FULL VARIABLE")  # no expression: Asterisk shows the usage
        seen.append(session.get_full_variable("${CHANNEL}"))

    _, error = converse(handler)
    assert error is None
    assert seen == ["PJSIP/trunk-00000001"]


def test_hangup_notice_is_skipped_and_recorded() -> None:
    seen: list[bool] = []

    def handler(session: AgiSession) -> None:
        session.set_variable("A", "1")
        seen.append(session.hung_up)

    result, error = converse(handler, send_hangup=True)
    assert error is None
    assert result.variables == {"A": "1"}
    assert seen == [True]


def test_control_characters_in_env_values_are_dropped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="siaga.agi")
    seen: dict[str, str] = {}
    result, error = converse(
        lambda s: seen.update(s.env), env={"agi_calleridname": "Bu\x1bdi", "agi_rdnis": "a\rb"}
    )
    assert error is None
    assert "agi_calleridname" not in seen
    assert "agi_rdnis" not in seen
    assert seen["agi_callerid"] == "081234567890"
    uid = result.env["agi_uniqueid"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(uid in w and "agi_calleridname" in w and "control characters" in w for w in warnings)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"raw_env": b"agi_network: yes\nagi_network_script: route\n", "close_after_env": True}, "closed"),
        ({"raw_env": b"agi_network: yes\nagi_network_script: route\n"}, "timed out"),
        ({"raw_env": b"".join(b"agi_x%d: y\n" % i for i in range(10_000)) + b"\n"}, "more than 200 lines"),
        ({"raw_env": b"agi_calleridname: " + b"x" * 2000 + b"\n\n"}, "longer than 1024 bytes"),
        ({"raw_env": b"x" * 5000, "close_after_env": True}, "longer than 1024 bytes"),
        ({"raw_env": b"agi_network_script: r\xffoute\n\n"}, "no agi_network_script"),
        ({"raw_env": bytes(range(256)) * 4 + b"\n\n"}, "AGI environment"),
        ({"raw_env": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"}, "malformed"),
        ({"raw_env": b"agi_network: yes\n\n"}, "no agi_network_script"),
        ({"raw_env": b"agi_network_script: route\nagi_network_script: evil\n\n"}, "duplicate"),
        ({"raw_env": b"\n"}, "no agi_network_script"),
    ],
    ids=[
        "eof",
        "silence",
        "10k-lines",
        "long-line",
        "no-newline",
        "not-utf8",
        "binary",
        "http",
        "no-script",
        "duplicate",
        "empty",
    ],
)
def test_garbled_environment_raises_protocol_error(call: dict[str, Any], message: str) -> None:
    result, error = converse(lambda s: None, read_timeout_s=0.3, **call)
    assert isinstance(error, AgiProtocolError), error
    assert message in str(error)
    assert result.commands == []
    assert result.elapsed_s < 2.0


def test_slow_drip_environment_is_bounded_by_one_deadline() -> None:
    """A peer sending a byte just under every read timeout still cannot hold the session."""
    ours, theirs = socket.socketpair()
    stop = threading.Event()

    def drip() -> None:
        for byte in b"agi_network_script: route\n" * 100:
            if stop.wait(0.05):
                return
            theirs.send(bytes([byte]))

    dripper = threading.Thread(target=drip)
    dripper.start()
    try:
        with pytest.raises(AgiProtocolError, match="timed out"):
            AgiSession.open(ours, read_timeout_s=0.3)
    finally:
        stop.set()
        dripper.join()
        ours.close()
        theirs.close()


def test_session_works_outside_the_main_thread() -> None:
    """pyst2's constructor called signal.signal() and failed here; nothing of ours needs the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        result, error = pool.submit(converse, lambda s: s.set_variable("A", "1")).result(timeout=5)
    assert error is None
    assert result.variables == {"A": "1"}


def test_protocol_trace_goes_to_a_debug_logger_not_stderr(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG, logger="siaga.agi.trace")
    result, error = converse(lambda s: s.set_variable("A", "1"))
    assert error is None
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""
    uid = result.env["agi_uniqueid"]
    trace = [r.getMessage() for r in caplog.records if r.name == "siaga.agi.trace"]
    assert any("COMMAND: SET VARIABLE A" in line and uid in line for line in trace)
    assert any("RESULT: 200 result=1" in line and uid in line for line in trace)


def test_quote_argument_escapes_quotes_and_backslashes() -> None:
    assert quote_argument('a "b" \\c') == '"a \\"b\\" \\\\c"'
    with pytest.raises(UnsafeValueError):
        quote_argument("a\nb")


def test_a_caller_name_in_another_encoding_is_dropped_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    """A latin-1 display name ("José") must not send the caller to the fallback: only that value goes."""
    caplog.set_level(logging.WARNING, logger="siaga.agi")
    seen: dict[str, str] = {}
    raw = (
        b"agi_network_script: route\nagi_uniqueid: 42.1\nagi_callerid: 0248312345\n"
        b"agi_calleridname: Jos\xe9\n\n"
    )
    _, error = converse(lambda s: seen.update(s.env), raw_env=raw)
    assert error is None
    assert seen["agi_callerid"] == "0248312345"
    assert "agi_calleridname" not in seen
    assert any("agi_calleridname" in r.getMessage() and "not UTF-8" in r.getMessage() for r in caplog.records)
