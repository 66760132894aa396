"""The operator's keyboard lines → commands (the softphone carries them out on its pj thread)."""

from __future__ import annotations

from softphone.keys import AWAY_CODE, BACK_CODE, Command, parse_line


def test_lines_become_commands() -> None:
    assert parse_line("1234#\n") == Command("dtmf", "1234#")
    assert parse_line(" h ") == Command("hangup")
    assert parse_line("a") == Command("answer")
    assert parse_line("away") == Command("dial", AWAY_CODE)
    assert parse_line("BACK") == Command("dial", BACK_CODE)
    assert parse_line("") == Command("none")
    assert parse_line("?") == Command("help")


def test_anything_else_is_refused_not_sent() -> None:
    assert parse_line("12 34").action == "unknown"
    assert parse_line("1" * 40).action == "unknown"
    assert parse_line("x" * 100) == Command("unknown", "x" * 40)


def test_an_ambulance_crew_reports_its_status_by_name_or_key() -> None:
    assert parse_line("status on_scene") == Command("status", "*52")
    assert parse_line("status 2") == Command("status", "*52")
    assert parse_line("Status out of service") == Command("status", "*59")
    assert parse_line("status flying").action == "unknown"
    assert parse_line("status 7").action == "unknown"
