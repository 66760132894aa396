"""FakeAsterisk must behave like res_agi where our safety depends on it."""

from __future__ import annotations

import socket
import threading

import pytest

from agi.protocol import MAX_COMMAND_BYTES, quote_argument
from agi.testing import AGI_MAX_ARGS, FakeAsterisk, FakeCallResult, separate_app_args, split_agi_command


@pytest.mark.parametrize(
    ("line", "argv"),
    [
        ('SET VARIABLE X "a b"', ["SET", "VARIABLE", "X", "a b"]),
        ('SET VARIABLE X ""', ["SET", "VARIABLE", "X", ""]),
        ('SET VARIABLE X "say \\"hi\\""', ["SET", "VARIABLE", "X", 'say "hi"']),
        ('SET VARIABLE X "c:\\\\dir"', ["SET", "VARIABLE", "X", "c:\\dir"]),
        ("VERBOSE  two\tspaces  1", ["VERBOSE", "two", "spaces", "1"]),
        ('SET VARIABLE X a"b c"d', ["SET", "VARIABLE", "X", "ab cd"]),
        ("SET VARIABLE X a\\ b", ["SET", "VARIABLE", "X", "a b"]),
        # What pyst2's unescaped quoting produces: quotes vanish, or the value is cut in two.
        ('SET VARIABLE X "a "b" c"', ["SET", "VARIABLE", "X", "a b c"]),
        ('SET VARIABLE X "x" y"', ["SET", "VARIABLE", "X", "x", "y"]),
    ],
)
def test_split_agi_command_follows_res_agi(line: str, argv: list[str]) -> None:
    assert split_agi_command(line) == argv


@pytest.mark.parametrize("value", ["", " ", '"', "\\", '\\"', 'a "b" \\c\\', 'x\\\\"y'])
def test_quote_argument_and_split_are_inverse(value: str) -> None:
    assert split_agi_command(f"SET VARIABLE X {quote_argument(value)}")[3] == value


def _serve_raw(payload: bytes) -> tuple[list[str], dict[str, str]]:
    """Send ``payload`` to FakeAsterisk as if we were the AGI server; return what it executed."""
    ours, theirs = socket.socketpair()
    fake = FakeAsterisk(timeout_s=3.0)
    outcome: dict[str, FakeCallResult] = {}

    def run() -> None:
        with theirs:
            outcome["result"] = fake.call_on(theirs)

    thread = threading.Thread(target=run)
    thread.start()
    with ours:
        ours.settimeout(3.0)
        buffered = b""
        while b"\n\n" not in buffered:
            buffered += ours.recv(4096)
        ours.sendall(payload)
        ours.shutdown(socket.SHUT_WR)
        while ours.recv(4096):
            pass
    thread.join(timeout=5)
    result = outcome["result"]
    return result.commands, result.variables


def test_fake_splits_overlong_lines_like_asterisk() -> None:
    """Why MAX_COMMAND_BYTES exists: the tail of an over-long line runs as its own command."""
    head = b'SET VARIABLE X "'
    filler = b"x" * (MAX_COMMAND_BYTES - len(head))
    commands, _ = _serve_raw(head + filler + b'EXEC System id"\n')
    assert len(commands) == 2
    assert commands[1] == 'EXEC System id"'


def test_fake_runs_a_partial_line_at_eof() -> None:
    commands, variables = _serve_raw(b'SET VARIABLE X "1"')
    assert commands == ['SET VARIABLE X "1"']
    assert variables == {"X": "1"}


def test_environment_overrides_and_args() -> None:
    env = FakeAsterisk(port=1).environment("route", ["a", "b"], {"agi_callerid": "0812", "agi_rdnis": None})
    assert list(env)[:2] == ["agi_network", "agi_network_script"]
    assert env["agi_callerid"] == "0812"
    assert "agi_rdnis" not in env
    assert (env["agi_arg_1"], env["agi_arg_2"]) == ("a", "b")


def test_connect_failure_is_reported_not_raised() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = FakeAsterisk(port=port, timeout_s=1.0).call()
    assert not result.closed_cleanly
    assert result.error is not None and "connect failed" in result.error


@pytest.mark.parametrize(
    ("data", "args"),
    [
        ("A=1,B=2", ["A=1", "B=2"]),
        # An unclosed "(" or "[" keeps every later comma: the rest becomes one argument.
        ("A=0812(,B=2,ROUTE_STATUS=OK", ["A=0812(,B=2,ROUTE_STATUS=OK"]),
        ("A=[x,B=2", ["A=[x,B=2"]),
        ("A=f(x,y),B=2", ["A=f(x,y)", "B=2"]),
        ("A=x),B=2", ["A=x)", "B=2"]),  # a stray closer is ignored
        ('A="a,b",B=2', ["A=a,b", "B=2"]),  # quotes group and are removed
        ("A=a\\,b,B=\\\\", ["A=a,b", "B=\\"]),  # backslash: the next character is literal
        ("A=\\(,B=2", ["A=(", "B=2"]),
        ("A=1,", ["A=1", ""]),
        ("", []),
    ],
)
def test_fake_splits_application_arguments_like_asterisk(data: str, args: list[str]) -> None:
    assert separate_app_args(data) == args


def test_the_last_slot_holds_the_rest_unparsed() -> None:
    assert separate_app_args("a,b\\,c,d", array_len=2) == ["a", "b\\,c,d"]
    assert separate_app_args("NAME=x=y", "=", array_len=2) == ["NAME", "x=y"]


def test_parse_args_keeps_at_most_127_arguments() -> None:
    argv = split_agi_command("VERBOSE " + " ".join(str(n) for n in range(200)))
    assert len(argv) == AGI_MAX_ARGS - 1
    assert argv[-1] == "125"


def test_exec_hands_only_its_second_argument_to_mset_unsubstituted() -> None:
    fake = FakeAsterisk(port=1)
    result = FakeCallResult()
    assert fake._reply('EXEC MSet "A=0812(,ROUTE_STATUS=OK"', result, {}) == "200 result=0\n"
    assert result.variables == {"A": "0812(,ROUTE_STATUS=OK"}
    fake._reply('EXEC MSet "B=${EXTEN}" "C=1"', result, {})
    assert result.variables["B"] == "${EXTEN}"
    assert "C" not in result.variables
    assert fake._reply('EXEC NoSuchApp "x"', result, {}) == "200 result=-2\n"
