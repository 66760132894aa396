"""Softphone pieces that need no Asterisk: event parsing, CLI validation, bot-fleet plumbing."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from softphone import Bot, BotFleet, BotFleetError, Softphone, answered_by, read_events
from softphone.cli import add_arguments, format_event, run
from softphone.events import EventSink, caller_from_uri, display_name_from_uri, make_event, x_headers
from softphone.phone import parse_server

INVITE = (
    "INVITE sip:pkm-gayamsari-op1@127.0.0.1:40000 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKabc\r\n"
    'From: "Budi" <sip:0248312345@127.0.0.1>;tag=1\r\n'
    "X-Siaga-Area: 3374\r\n"
    "x-siaga-route: nearest,\r\n"
    " open-now\r\n"
    "X-Siaga-Try: 1\r\n"
    "X-Siaga-Try: 2\r\n"
    "Content-Type: application/sdp\r\n"
    "\r\n"
    "v=0\r\n"
    "X-Not-A-Header: body\r\n"
)


def test_x_headers_unfolds_joins_repeats_and_ignores_the_body() -> None:
    assert x_headers(INVITE) == {
        "X-Siaga-Area": "3374",
        "x-siaga-route": "nearest, open-now",
        "X-Siaga-Try": "1, 2",
    }
    assert x_headers("INVITE sip:a@b SIP/2.0\nX-One: 1\n\n") == {"X-One": "1"}


@pytest.mark.parametrize(
    ("uri", "caller", "name"),
    [
        ('"Budi" <sip:0248312345@127.0.0.1>;tag=1', "0248312345", "Budi"),
        ("<sip:+6281234@10.1.1.1:5060;user=phone>", "+6281234", ""),
        ("Ibu Sari <tel:0811222333>", "0811222333", "Ibu Sari"),
        ("sip:anonymous@anonymous.invalid", "anonymous", ""),
        ("<sip:127.0.0.1>", "", ""),
    ],
)
def test_caller_and_display_name(uri: str, caller: str, name: str) -> None:
    assert caller_from_uri(uri) == caller
    assert display_name_from_uri(uri) == name


def test_event_sink_flushes_each_line_for_live_readers(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "events.jsonl"
    sink = EventSink(path)
    sink.write(make_event("registered", "op1"))
    first = json.loads(path.read_text())  # readable before close
    assert first["event"] == "registered" and first["account"] == "op1" and first["ts"].endswith("+00:00")
    sink.write(make_event("incoming", "op1", caller="08"))
    sink.close()
    assert len(path.read_text().splitlines()) == 2


def test_parse_server() -> None:
    assert parse_server("127.0.0.1:5090") == ("127.0.0.1", 5090)
    assert parse_server("pbx.local") == ("pbx.local", 5060)
    for bad in ("127.0.0.1:0", "127.0.0.1:x", ":5060", "a b:5060"):
        with pytest.raises(ValueError):
            parse_server(bad)


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([f"--user=op{i}" for i in range(9)], "at most 8"),
        (["--user=op1", "--user=op1"], "given twice: op1"),
        (["--user=op1", "--no-answer=op2"], "not --user: op2"),
        (["--user=op1", "--answer-after=op2=1"], "'op2' is not one of the --user names"),
        (["--user=op1", "--answer-after=soon"], "SECONDS or NAME=SECONDS"),
        (["--user=op1", "--server=nowhere:99999"], "HOST:PORT"),
        (["--user=op 1"], "invalid operator username"),
    ],
)
def test_cli_rejects_bad_options_with_status_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(_args(*argv)) == 2
    assert message in capsys.readouterr().err


def test_incoming_call_is_shown_as_a_readable_block() -> None:
    event = make_event(
        "incoming",
        "pkm-gayamsari-op1",
        caller="0248312345",
        display_name="Budi",
        sip_call_id="abc",
        headers={
            "X-Siaga-Area": "Gayamsari (33.74.04)",
            "X-Siaga-Location": "-6.99180 110.44490",
            "X-Siaga-Location-Source": "pidf-lo",
            "X-Siaga-Accuracy": "12 m",
            "X-Siaga-Attempt": "2 of 3; Puskesmas Halmahera did not answer",
            "X-Other": "kept",
        },
    )
    assert format_event(event).splitlines() == [
        '[pkm-gayamsari-op1] incoming call from 0248312345 ("Budi")',
        "    attempt:  2 of 3; Puskesmas Halmahera did not answer",
        "    area:     Gayamsari (33.74.04)",
        "    location: -6.99180 110.44490  [source pidf-lo, accuracy 12 m]",
        "    sip call-id: abc",
        "    X-Other: kept",
    ]
    ended = make_event("disconnected", "op1", caller="08", answered=False, status_code=487, reason="Gone")
    assert format_event(ended) == "[op1] call from 08 ended unanswered (487 Gone)"


def test_fleet_splits_users_into_processes_of_at_most_eight(tmp_path: Path) -> None:
    bots = [Bot(f"op{i}") for i in range(1, 17)]
    bots += [Bot("slow", answer_after_s=1.5), Bot("mute", no_answer=True)]
    fleet = BotFleet(bots, tmp_path, server="127.0.0.1:5090", password="secret")
    groups = fleet.groups()
    assert [len(g) for g in groups] == [8, 8, 2]
    cmd = fleet.command(3, groups[2])
    assert cmd[1:3] == ["-m", "softphone"]
    assert "--auto-answer" in cmd and "--json" in cmd
    assert cmd[cmd.index("--events") + 1] == str(tmp_path / "bots-3.jsonl")
    assert cmd[cmd.index("slow") + 1 : cmd.index("slow") + 3] == ["--answer-after", "slow=1.5"]
    assert cmd[-2:] == ["--no-answer", "mute"]
    assert "secret" not in cmd  # passed through the environment instead
    with pytest.raises(ValueError, match="duplicate"):
        BotFleet(["op1", "op1"], tmp_path)


def test_read_events_merges_files_in_time_order_and_skips_torn_lines(tmp_path: Path) -> None:
    (tmp_path / "bots-1.jsonl").write_text(
        json.dumps({"ts": "2025-01-01T00:00:02+00:00", "event": "answered", "account": "a", "caller": "08"})
        + '\n{"ts": "2025-01-01T00:00:0'  # a line still being written
    )
    (tmp_path / "bots-2.jsonl").write_text(
        json.dumps({"ts": "2025-01-01T00:00:01+00:00", "event": "answered", "account": "b", "caller": "08"})
        + "\n"
        + json.dumps({"ts": "2025-01-01T00:00:03+00:00", "event": "answered", "account": "c", "caller": "09"})
        + "\n"
    )
    events = read_events(tmp_path)
    assert [e["account"] for e in events] == ["b", "a", "c"]
    assert answered_by(events, "08") == ["b", "a"]
    assert answered_by(events, "07") == []


def test_fleet_reports_missing_users_when_a_bot_process_gives_up(tmp_path: Path) -> None:
    # Nothing listens on this port: each bot exits 1 after --register-timeout.
    fleet = BotFleet(
        ["lonely-1", "lonely-2"], tmp_path, server="127.0.0.1:5999", password="x", register_timeout_s=1
    )
    with fleet, pytest.raises(BotFleetError) as excinfo:
        fleet.wait_registered(timeout_s=20)
    message = str(excinfo.value)
    assert "lonely-1" in message and "lonely-2" in message
    assert "exited with status 1" in message
    assert all(p.returncode is not None for p in fleet.processes)


def test_softphone_validates_operator_arguments() -> None:
    with Softphone() as phone:
        for bad in ("", "op 1", "op@x"):
            with pytest.raises(ValueError, match="invalid operator username"):
                phone.add_operator(bad, "pw")
        with pytest.raises(ValueError, match="HOST:PORT"):
            phone.add_operator("op1", "pw", "127.0.0.1:notaport")
        with pytest.raises(ValueError, match=">= 0"):
            phone.add_operator("op1", "pw", answer_after_s=-1)
        with pytest.raises(RuntimeError, match="one Softphone per process"):
            Softphone()
        assert phone.operators == []
    assert not phone.alive
    with pytest.raises(RuntimeError, match="closed"):
        phone.add_operator("op1", "pw")


def test_module_runs_as_python_dash_m() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "softphone", "--help"], capture_output=True, text=True, timeout=30, check=True
    )
    assert "--no-answer NAME" in out.stdout
