"""The last English of the command line in Bahasa Indonesia (issue 16, point 1): a call explained, the
staffing table, the database and prompt lines, dispatch and complaints, the roster job's lines, an
import's summary, status, the softphone's lines; numbers written the Indonesian way (5,5 · 1.234); and
everything a script reads (`--json`, exit codes) the same in both languages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from geo.importers import ImportResult
from kernel.db import make_engine
from routing.records.report import outcome_event, parse_report, plan_event
from routing.records.store import apply_event
from shifts.coverage import Gap
from shifts.jobs import describe_gap
from shifts.report import gap_lines
from siaga import cli, language
from softphone.cli import format_event, run_command
from softphone.keys import parse_line
from tests.desks.builders import DESK, build_database
from tests.routing.test_records import ATTEMPTS, CALL, START, plan
from tests.unit.cli_run import run_siaga as _run
from web import i18n
from web.i18n import format_number

MONDAY = "2026-11-23"
AT = "2026-11-23T10:00+07:00"


def _both(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str):  # type: ignore[no-untyped-def]
    """The same command in Indonesian and in English: (code, out) of each."""
    code_id, out_id, err_id = _run(monkeypatch, capsys, "id", *argv)
    code_en, out_en, err_en = _run(monkeypatch, capsys, "en", *argv)
    return (code_id, out_id + err_id), (code_en, out_en + err_en)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-output-language")
    assert cli.main(["sample", "load", "--data-dir", str(folder), "--week-of", MONDAY]) == 0
    return folder


# --- siaga calls ------------------------------------------------------------------------------------------


@pytest.fixture
def call_db(db_url: str) -> str:
    """One answered call in a test database: the first puskesmas did not answer, the second did."""
    engine = make_engine(db_url)
    the_plan = plan()
    for event in (
        plan_event(the_plan, START),
        outcome_event(parse_report(the_plan.call_id, CALL, ATTEMPTS), "dispatch-desk"),
    ):
        with Session(engine) as session, session.begin():
            apply_event(session, event)
    engine.dispose()
    return db_url


def test_calls_show_explains_a_call_in_indonesian_and_its_json_is_the_same(
    call_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (code_id, indonesian), (code_en, english) = _both(
        monkeypatch, capsys, "calls", "show", "1", "--db", call_db
    )
    assert code_id == code_en == 0
    assert "Lokasi: dari direktori penelepon — test house." in indonesian
    assert "Rencana (yang terdekat dengan petugas jaga lebih dulu, dispatcher pusat terakhir):" in indonesian
    assert "Yang terjadi:" in indonesian
    assert "menghubungi Puskesmas mid (mid-op) selama 4,1 dtk: tidak dijawab." in indonesian
    assert (
        "Dijawab oleh Puskesmas far (far-op) 5,5 dtk setelah panggilan masuk, pada percobaan kedua, karena "
        "Puskesmas mid tidak menjawab." in indonesian
    )
    # The plan's stored English "why" is read back into Indonesian as well.
    assert "terdekat yang ada petugas jaga" in indonesian and "nearest staffed" not in indonesian
    for word in ("Answered by", "What happened", "Location:", "did not answer"):
        assert word not in indonesian
    assert "Answered by Puskesmas far (far-op) 5.5 s after the call arrived, on the second attempt" in english
    assert "rang Puskesmas mid (mid-op) for 4.1 s: no answer." in english
    (_, json_id), (_, json_en) = _both(monkeypatch, capsys, "calls", "show", "1", "--db", call_db, "--json")
    assert json_id == json_en
    assert json.loads(json_en)["plan"]["targets"][0]["why"].startswith("nearest staffed")


def test_calls_list_heads_and_results_are_indonesian_and_its_json_the_same(
    call_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (_, indonesian), (_, english) = _both(monkeypatch, capsys, "calls", "list", "--db", call_db)
    head_id, row_id = indonesian.splitlines()
    assert head_id.split() == [
        "#",
        "mulai",
        "penelepon",
        "nomor",
        "tujuan",
        "layanan",
        "lokasi",
        "wilayah",
        "hasil",
    ]
    assert "dijawab oleh far-op setelah 5,5 dtk (percobaan 2)" in row_id
    assert english.splitlines()[0].split() == [
        "#", "started", "caller", "dialled", "service", "location", "area", "result",
    ]  # fmt: skip
    assert "answered by far-op after 5.5 s (attempt 2)" in english
    (_, json_id), (_, json_en) = _both(monkeypatch, capsys, "calls", "list", "--db", call_db, "--json")
    assert json_id == json_en and json.loads(json_en)[0]["answered_by"] == "far-op"


# --- siaga staffing ---------------------------------------------------------------------------------------


def test_the_staffing_table_is_indonesian_with_indonesian_numbers_and_the_same_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    build_database(tmp_path).dispose()
    args = (
        "staffing",
        "--desk",
        DESK,
        "--from",
        "2026-11-02",
        "--to",
        "2026-11-15",
        "--data-dir",
        str(tmp_path),
    )
    (code_id, indonesian), (code_en, english) = _both(monkeypatch, capsys, *args)
    assert code_id == code_en == 0
    lines = indonesian.splitlines()
    assert (
        lines[0] == "PSC 119 Kota Makassar [psc119-makassar], meja dispatch, waktu dalam Asia/Makassar (WITA)"
    )
    assert lines[1] == "2026-11-02 sampai 2026-11-15 (14 hari), target 90 % dalam 15 dtk"
    assert lines[2] == "75 panggilan"
    assert lines[4].split()[:8] == [
        "hari",
        "shift",
        "panggilan",
        "panggilan/jam",
        "AHT",
        "dtk",
        "Erlang",
        "dibutuhkan",
    ]
    senin_pagi = next(line for line in lines if line.startswith("Senin") and "pagi" in line)
    assert senin_pagi.split() == [
        "Senin", "pagi", "07:00–14:00", "70", "5,00", "360", "0,500", "2", "2,50", "95", "%", "51", "%",
    ]  # fmt: skip
    assert any(line.startswith("Selasa") and line.endswith("kurang 1,0") for line in lines)
    assert "Monday" not in indonesian and "needed:" not in indonesian
    assert "Monday" in english and "short by 1.0" in english
    (_, json_id), (_, json_en) = _both(monkeypatch, capsys, *args, "--json")
    assert json_id == json_en and json.loads(json_en)["rows"][0]["day"] == "Monday"


def test_a_bad_staffing_option_is_refused_in_indonesian_with_the_same_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    build_database(tmp_path).dispose()
    args = ("staffing", "--desk", "nowhere", "--data-dir", str(tmp_path))
    (code_id, indonesian), (code_en, english) = _both(monkeypatch, capsys, *args)
    assert code_id == code_en == 2
    assert "--desk: tidak ada fasilitas 'nowhere' (meja layanan: " in indonesian
    assert "--desk: no facility 'nowhere' (desks: " in english


# --- db, prompts, status, complaints, dispatch --------------------------------------------------------------


def test_db_current_prompts_and_status_speak_indonesian(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (code_id, indonesian), (code_en, english) = _both(
        monkeypatch, capsys, "db", "current", "--data-dir", str(data_dir)
    )
    assert code_id == code_en == 0
    assert indonesian.strip().endswith("(terbaru)") and english.strip().endswith("(head)")
    assert indonesian.split()[0] == english.split()[0]  # the revision itself
    (_, indonesian), (_, english) = _both(monkeypatch, capsys, "prompts", "list")
    assert "# greeting: awal panggilan, per layanan," in indonesian
    assert "# greeting: the start of a call, per service," in english
    (_, json_id), (_, json_en) = _both(monkeypatch, capsys, "prompts", "list", "--json")
    assert json_id == json_en
    fresh = f"sqlite:///{data_dir / 'fresh.db'}"
    code, indonesian, _ = _run(monkeypatch, capsys, "id", "db", "upgrade", "--db", fresh)
    assert code == 0 and ": ditingkatkan dari basis data kosong ke " in indonesian
    code, english, _ = _run(monkeypatch, capsys, "en", "db", "upgrade", "--db", fresh)
    assert code == 0 and english.rstrip().endswith(", nothing to do")
    # Nothing is up in this data dir: status says so in Indonesian, with the same exit code.
    (code_id, indonesian), (code_en, english) = _both(
        monkeypatch, capsys, "status", "--data-dir", str(data_dir)
    )
    assert code_id == code_en == 1
    assert "tidak berjalan" in indonesian and "not running" not in indonesian
    assert "not running" in english


def test_complaints_and_dispatch_speak_indonesian_and_their_json_is_the_same(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ("--data-dir", str(data_dir), "--at", AT)
    (_, indonesian), (_, english) = _both(monkeypatch, capsys, "complaints", "review", *common)
    assert indonesian.strip() == "pengaduan: tidak ada pengaduan yang masih terbuka"
    assert english.strip() == "complaints: no open complaints"
    (_, indonesian), (_, english) = _both(monkeypatch, capsys, "complaints", "list", *common)
    assert indonesian.strip() == "0 pengaduan" and english.strip() == "0 complaint(s)"
    (_, json_id), (_, json_en) = _both(monkeypatch, capsys, "complaints", "review", *common, "--json")
    assert json_id == json_en
    recommend = ("dispatch", "recommend", "--lat", "-6.99", "--lon", "110.42", *common)
    (code_id, indonesian), (code_en, english) = _both(monkeypatch, capsys, *recommend)
    assert code_id == code_en == 0
    assert indonesian.startswith("unit:\n") and "\nrumah sakit:\n" in indonesian
    assert "perkiraan tiba" in indonesian and " km  " in indonesian
    assert english.startswith("units:\n") and "\nhospitals:\n" in english and "eta " in english
    (_, json_id), (_, json_en) = _both(monkeypatch, capsys, *recommend, "--json")
    assert json_id == json_en and json.loads(json_en)["units"]
    (_, indonesian), (_, english) = _both(monkeypatch, capsys, "dispatch", "units", *common)
    assert "pengemudi: " in indonesian and "tenaga medis: " in indonesian
    assert "drivers: " in english
    (_, json_id), (_, json_en) = _both(monkeypatch, capsys, "dispatch", "units", *common, "--json")
    assert json_id == json_en


# --- pure formatters: words and numbers ---------------------------------------------------------------------


def _gap() -> Gap:
    return Gap(
        "kecamatan",
        "33.74.01",
        "emergency",
        datetime(2026, 11, 23, 14, 0, tzinfo=UTC),
        datetime(2026, 11, 23, 21, 0, tzinfo=UTC),
        "Asia/Jakarta",
        ("pkm-a", "pkm-b"),
    )


def test_gaps_and_an_import_summary_write_their_numbers_the_indonesian_way() -> None:
    with i18n.language("id"):
        gap = describe_gap(_gap(), language.tr, format_number)
        line = gap_lines([_gap()], language.tr, format_number)[0]
        summary = ImportResult("facilities", "f.csv", 1234).summary(language.tr, format_number)
    assert gap == (
        "kecamatan 33.74.01 (pkm-a, pkm-b): tidak ada petugas emergency yang jaga 2026-11-23 21:00 WIB – "
        "2026-11-24 04:00 WIB (7,0 jam)"
    )
    assert "(7,0 jam)" in line
    assert summary == "1.234 fasilitas diimpor dari f.csv"
    # The defaults are the log's English, as before.
    assert describe_gap(_gap()).endswith("(7.0 h)")
    assert ImportResult("facilities", "f.csv", 1234).summary() == "imported 1,234 facilities from f.csv"


class _Phone:
    """Just what `run_command` asks of a softphone for these keys."""

    def answer_ringing(self) -> int:
        return 1

    def hangup_all(self) -> None:
        return None


def test_the_softphones_lines_are_indonesian_when_siaga_softphone_passes_its_language() -> None:
    event = {"event": "disconnected", "account": "op1", "caller": "08", "status_code": 487, "reason": "Gone"}
    with i18n.language("id"):
        assert format_event(event, language.tr) == "[op1] panggilan dari 08 berakhir tanpa dijawab (487 Gone)"
        assert run_command(_Phone(), "op1", parse_line("a"), language.tr) == "1 panggilan dijawab"  # type: ignore[arg-type]
        assert run_command(_Phone(), "op1", parse_line("h"), language.tr) == "telepon ditutup"  # type: ignore[arg-type]
    assert format_event(event) == "[op1] call from 08 ended unanswered (487 Gone)"
