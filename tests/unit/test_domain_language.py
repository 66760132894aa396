"""The domains' messages and the CLI's human output in Bahasa Indonesia (issue 16, point 1): an importer's
refusal names the file, line and column in the reader's language, `roster gaps` speaks Indonesian while
its `--json` stays byte-identical, a complaint refused at the command line says why in Indonesian, and
the router's stored English texts are read back into messages a page can translate."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.facilities import parse_facilities_csv
from kernel.dataerrors import DataError, FieldError, RowError
from kernel.messages import Message
from routing.presence import unreachable_reason
from routing.router import WHY_ORDERS, WHY_SERVES
from siaga import cli, language
from tests.unit.cli_run import run_siaga as _run
from web import i18n

MONDAY = "2026-11-23"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("domain-language")
    assert cli.main(["sample", "load", "--data-dir", str(folder), "--week-of", MONDAY]) == 0
    return folder


# --- importers --------------------------------------------------------------------------------------------


def test_a_facilities_csv_is_refused_in_indonesian_naming_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "facilities.csv"
    bad.write_text(
        "code,name,kind,lat,lon,area_code,timezone\n"
        "pkm-a,Puskesmas A,puskesmas,-6.98,110.41,33.74.01,Asia/Jakarta\n"
        "pkm-a,Puskesmas A2,klinik,abc,110.41,99.99,Asia/Jakrta\n",
        encoding="utf-8",
    )
    parsed = parse_facilities_csv(bad, known_areas={"33.74.01"})
    assert [(e.line, e.field) for e in parsed.errors] == [
        (3, "code"),
        (3, "kind"),
        (3, "lat"),
        (3, "area_code"),
        (3, "timezone"),
    ]
    with i18n.language("id"):
        rows = [language.row(e) for e in parsed.errors]
    assert rows[0] == f"{bad}:3: code: kode 'pkm-a' ganda (pertama di baris 2)"
    assert rows[1].startswith(f"{bad}:3: kind: 'klinik' tidak termasuk pilihan puskesmas")
    assert rows[2] == f"{bad}:3: lat: lat bukan angka: 'abc'"
    assert rows[3] == f"{bad}:3: area_code: wilayah '99.99' tidak dikenal"
    assert (
        rows[4] == f"{bad}:3: timezone: zona waktu 'Asia/Jakrta' tidak dikenal (pakai misalnya Asia/Jakarta)"
    )
    # The stored English text is the msgid filled in, as before: logs and the JSON API read the same.
    assert str(parsed.errors[3]) == f"{bad}:3: area_code: unknown area '99.99'"


def test_an_areas_geojson_is_refused_in_indonesian_through_the_cli(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "areas.geojson"
    bad.write_text(
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"code": "X1", "name": "Kec X", "level": "kecamatan"},'
        ' "geometry": {"type": "Polygon", "coordinates": [[[110.4, -6.9], [110.5, -6.9], [110.5, -7.0],'
        " [110.4, -6.9]]]}}]}",
        encoding="utf-8",
    )
    args = ("import", "areas", str(bad), "--data-dir", str(data_dir))
    code, _, err = _run(monkeypatch, capsys, "id", *args)
    assert code == 2
    assert "1 baris salah:" in err
    assert f"{bad}:1: parent: belum diisi: kecamatan perlu kode induknya (properti 'parent')" in err
    code, _, err = _run(monkeypatch, capsys, "en", *args)
    assert code == 2
    assert f"{bad}:1: parent: missing: a kecamatan needs its parent's code (property 'parent')" in err


def test_a_data_error_keeps_its_english_text_and_translates_its_frame() -> None:
    error = DataError([RowError("f.csv", 2, "lat", Message("{lat} is not a latitude", lat=99))])
    assert str(error) == "1 bad row(s):\n  f.csv:2: lat: 99 is not a latitude"
    with i18n.language("id"):
        assert i18n.translate(error.args[0]).startswith("1 baris salah:\n")
        assert language.describe(error) == "1 baris salah:\n  f.csv:2: lat: 99 bukan lintang"
    assert str(FieldError("lat", "bad", 4)) == "line 4: lat: bad"


# --- the CLI's human output ---------------------------------------------------------------------------------


def test_roster_gaps_speak_indonesian_and_their_json_does_not_change(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A week later than the sample roster: nobody is rostered, every facility has a gap.
    args = ("roster", "gaps", "--from", "2026-12-07T07:00+07:00", "--to", "2026-12-07T14:00+07:00")
    args += ("--data-dir", str(data_dir))
    code, indonesian, _ = _run(monkeypatch, capsys, "id", *args)
    assert code == 1  # exit codes are the same in every language
    assert "tidak ada petugas" in indonesian and "jam)" in indonesian
    assert "kekosongan jaga di" in indonesian
    assert "no " not in indonesian and " staff " not in indonesian
    code, english, _ = _run(monkeypatch, capsys, "en", *args)
    assert code == 1
    assert "gap(s) at" in english and ": no " in english
    _, json_id, _ = _run(monkeypatch, capsys, "id", *args, "--json")
    _, json_en, _ = _run(monkeypatch, capsys, "en", *args, "--json")
    assert json_id == json_en and json_id.lstrip().startswith("[")


def test_a_bad_option_of_roster_is_refused_in_indonesian(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = (
        "roster",
        "gaps",
        "--from",
        "2026-12-07",
        "--to",
        "2026-12-07T14:00+07:00",
        "--data-dir",
        str(data_dir),
    )
    code, _, err = _run(monkeypatch, capsys, "id", *args)
    assert code == 2
    assert "siaga: --from '2026-12-07' perlu offset UTC, misalnya 2026-11-23T07:00+07:00" in err


def test_a_complaint_refused_at_the_cli_says_why_in_indonesian_naming_the_field(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("complaints", "open", "--caller", "abc", "--category", "nope", "--text", "antre lama")
    args += ("--data-dir", str(data_dir))
    code, out, err = _run(monkeypatch, capsys, "id", *args)
    assert code == 2 and out == ""
    assert err.startswith("siaga: tidak ada yang diubah: ")
    assert "caller: bukan nomor telepon (angka, boleh diawali +)" in err
    assert "category: 'nope' tidak termasuk pilihan " in err
    code, _, err = _run(monkeypatch, capsys, "en", *args)
    assert code == 2
    assert "caller: not a phone number (digits, optionally a leading +)" in err
    code, _, err = _run(monkeypatch, capsys, "id", "complaints", "show", "12x", "--data-dir", str(data_dir))
    assert code == 2
    assert "number: nomor pengaduan hanya berisi angka" in err


def test_a_dispatch_error_is_indonesian(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        monkeypatch,
        capsys,
        "id",
        "dispatch",
        "status",
        "no-such-unit",
        "available",
        "--data-dir",
        str(data_dir),
    )
    assert code == 2
    assert "siaga: unit: unit 'no-such-unit' tidak dikenal" in err


# --- stored English read back ------------------------------------------------------------------------------


def test_a_stored_why_is_recognised_with_its_nested_reasons() -> None:
    reason = unreachable_reason("UNAVAILABLE")
    assert reason is not None
    why = Message(
        "{order} {kind}{serves}; {staff} on {shift} shift{passed}",
        order=WHY_ORDERS[1],
        kind="puskesmas",
        serves=WHY_SERVES,
        staff="Budi Santoso",
        shift="pagi",
        passed=Message(
            " ({reasons})", reasons=Message("{endpoint}: {reason}", endpoint="ep-2", reason=reason)
        ),
    )
    stored = str(why)  # what a call record keeps
    assert stored == (
        "next nearest staffed puskesmas (serves this area); Budi Santoso on pagi shift "
        "(ep-2: softphone not registered)"
    )
    recognise = i18n.Recogniser(
        i18n.msgids_of("routing/"),
        choices={"order": WHY_ORDERS, "serves": (str(WHY_SERVES), "")},
        nested=("passed", "reasons", "reason"),
    )
    found = recognise(stored)
    assert isinstance(found, Message) and str(found) == stored
    with i18n.language("id"):
        shown = i18n.translate(found)
        assert shown == i18n.translate(why)
    assert "softphone tidak terdaftar" in shown and "Budi Santoso" in shown and "pagi" in shown
    assert "nearest" not in shown
    plain = recognise("nearest staffed puskesmas; Sari on malam shift")
    with i18n.language("id"):
        assert i18n.translate(plain).startswith(
            "puskesmas terdekat yang ada petugas jaga; Sari jaga shift malam"
        )
    assert recognise("something nobody wrote") == "something nobody wrote"
