"""`siaga complaints …` as an operator types it: the JSON fields the issue names, refusals naming fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from complaints.numbers import check_number
from siaga.cli import main


def _run(capsys: pytest.CaptureFixture[str], data_dir: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["complaints", *argv, "--data-dir", str(data_dir)])
    out, err = capsys.readouterr()
    return code, out, err


def test_open_show_list_status_review(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        tmp_path,
        "open",
        "--caller",
        "081234567890",
        "--category",
        "obat",
        "--text",
        "<i>habis</i>",
        "--json",
    )
    assert code == 0
    opened = json.loads(out)
    number = opened["number"]
    assert check_number(number) is None and opened["status"] == "received" and opened["channel"] == "cli"
    for key in (
        "received_at",
        "first_response_due",
        "resolution_due",
        "overdue",
        "history",
        "text",
        "caller",
    ):
        assert key in opened
    code, out, _ = _run(capsys, tmp_path, "show", number, "--json")
    assert code == 0 and json.loads(out)["text"] == "<i>habis</i>"
    code, out, _ = _run(capsys, tmp_path, "list", "--overdue", "--at", "2099-01-01T00:00+07:00", "--json")
    assert code == 0 and [c["number"] for c in json.loads(out)["complaints"]] == [number]
    code, out, _ = _run(capsys, tmp_path, "list", "--overdue", "--json")
    assert code == 0 and json.loads(out)["complaints"] == []
    code, _, err = _run(capsys, tmp_path, "status", number, "done", "--note", "x")
    assert code == 2 and "received" in err and "done" in err
    code, out, _ = _run(
        capsys, tmp_path, "status", number, "verified", "--note", "dicek", "--public", "--json"
    )
    assert code == 0 and json.loads(out)["history"][1]["note_public"] is True
    code, out, _ = _run(capsys, tmp_path, "review", "--at", "2099-01-01T00:00+07:00", "--json")
    assert code == 0 and number in json.loads(out)["desks"][0]["resolution_overdue"]


def test_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, tmp_path, "open", "--caller", "abc", "--category", "jamu", "--text", "x")
    assert code == 2 and "caller:" in err and "category:" in err
    code, _, err = _run(capsys, tmp_path, "show", "00000014")
    assert code == 2 and "number:" in err
    code, _, err = _run(capsys, tmp_path, "show", "00000013")
    assert code == 1 and "no complaint" in err
