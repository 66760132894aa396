"""The command line in Bahasa Indonesia by default and in English on request (issue 16, point 1): the
language chosen from SIAGA_LANG or the locale, argparse's own words and every help text translated,
domain messages (a bad roster line, the routing explanation) in the reader's language with the named line
and field kept, and machine-read output the same in both languages."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kernel.language import cli_language, language_of
from siaga import cli, language
from tests.unit.cli_run import run_siaga as _run
from web import i18n
from web.catalogs import extract, read

ROOT = Path(__file__).resolve().parents[2]
AT = "2026-11-23T10:00+07:00"  # a Monday morning: the sample roster's pagi shift


def _env(**values: str) -> dict[str, str]:
    """This process's environment without any language setting, plus `values`."""
    env = {k: v for k, v in os.environ.items() if k not in ("SIAGA_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(values)
    return env


def _siaga(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "siaga.cli", *argv],
        cwd=ROOT,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- choosing the language, pure -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "id"),
        ({"LANG": "C"}, "id"),
        ({"LC_ALL": "POSIX", "LANG": "en_US.UTF-8"}, "id"),  # the first one set decides, as in gettext
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LC_MESSAGES": "en_US", "LANG": "id_ID.UTF-8"}, "en"),
        ({"LANG": "id_ID.UTF-8"}, "id"),
        ({"LANG": "fr_FR.UTF-8"}, "id"),
        ({"SIAGA_LANG": "en", "LANG": "id_ID.UTF-8"}, "en"),
        ({"SIAGA_LANG": "id", "LC_ALL": "en_US.UTF-8"}, "id"),
        ({"SIAGA_LANG": "klingon", "LANG": "en_US.UTF-8"}, "en"),  # not ours: the locale decides
    ],
)
def test_the_language_comes_from_siaga_lang_then_the_locale_then_indonesian(
    environ: dict[str, str], expected: str
) -> None:
    assert cli_language(environ) == expected


def test_locale_names_are_read_to_their_language() -> None:
    assert language_of("en_US.UTF-8@euro") == "en"
    assert language_of("ID") == "id"
    assert language_of("C.UTF-8") is None
    assert language_of("") is None


# --- the catalogs ----------------------------------------------------------------------------------------


def test_every_help_text_and_argparse_word_is_extracted_and_translated() -> None:
    """The extraction builds the real parser: a help text added anywhere (softphone, lab.replay) is a
    msgid, and the catalog test of tests/web/test_i18n.py then demands its Indonesian translation."""
    template = extract()
    texts = language.parser_texts(cli.build_parser())
    assert len(texts) > 250
    assert [t for t in texts if t not in template] == []
    for argparse_word in ("usage: ", "show this help message and exit", "%(prog)s: error: %(message)s\n"):
        assert argparse_word in template
    catalog = read("id")
    missing = [t for t in texts if not (catalog.get(t) and catalog.get(t).string)]
    assert missing == []


# --- the CLI, as a user runs it ------------------------------------------------------------------------


def test_help_is_indonesian_on_a_machine_without_a_locale() -> None:
    done = _siaga("--help", LANG="C")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("penggunaan: siaga")
    assert "argumen posisi" in done.stdout
    assert "tampilkan bantuan ini lalu keluar" in done.stdout
    assert "puskesmas terdekat" in done.stdout
    assert "usage:" not in done.stdout


def test_help_is_english_with_siaga_lang_en() -> None:
    done = _siaga("--help", SIAGA_LANG="en", LANG="id_ID.UTF-8")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: siaga")
    assert "show this help message and exit" in done.stdout
    assert "nearest staffed puskesmas" in done.stdout


def test_a_subcommands_help_and_argparse_errors_are_indonesian() -> None:
    helped = _siaga("roster", "import", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "berkas CSV jadwal jaga" in helped.stdout
    assert "periksa berkas, tanpa menyimpan apa pun" in helped.stdout
    wrong = _siaga("route", "--no-such-option")
    assert wrong.returncode == 2  # exit codes are the same in every language
    assert "siaga: kesalahan: argumen tidak dikenal: --no-such-option" in wrong.stderr
    english = _siaga("route", "--no-such-option", LANG="en_US.UTF-8")
    assert english.returncode == 2
    assert "siaga: error: unrecognized arguments: --no-such-option" in english.stderr


# --- domain messages and machine-read output ---------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-language")
    assert cli.main(["sample", "load", "--data-dir", str(folder), "--week-of", "2026-11-23"]) == 0
    return folder


def test_a_bad_roster_line_is_refused_in_indonesian_naming_the_line_and_field(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "roster.csv"
    bad.write_text(
        "facility_code,staff_id,date,shift\npkm-gayamsari,x9,2026-11-23,pagi\npkm-nowhere,x1,2026-13-01,pagi\n",
        encoding="utf-8",
    )
    args = ("roster", "import", str(bad), "--data-dir", str(data_dir))
    code, _, err = _run(monkeypatch, capsys, "id", *args)
    assert code == 2
    assert "baris salah" in err
    assert f"{bad}:2: staff_id: petugas 'x9' tidak dikenal" in err
    assert f"{bad}:3: facility_code: fasilitas 'pkm-nowhere' tidak dikenal" in err
    code, _, err = _run(monkeypatch, capsys, "en", *args)
    assert code == 2
    assert f"{bad}:2: staff_id: unknown staff 'x9' (add staff_name" in err
    assert f"{bad}:3: facility_code: unknown facility 'pkm-nowhere'" in err


def test_the_route_explanation_is_indonesian_and_its_json_the_same_in_both_languages(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("route", "--lat", "-6.99", "--lon", "110.42", "--at", AT, "--data-dir", str(data_dir))
    code, indonesian, _ = _run(monkeypatch, capsys, "id", *args)
    assert code == 0
    assert "lokasi: -6.99000, 110.42000 dari manual" in indonesian
    assert "terdekat yang ada petugas jaga" in indonesian  # the first target's "why"
    assert " jaga shift pagi" in indonesian
    code, english, _ = _run(monkeypatch, capsys, "en", *args)
    assert code == 0
    assert "location: -6.99000, 110.42000 from manual" in english
    assert "nearest staffed puskesmas" in english
    assert "on pagi shift" in english
    _, json_id, _ = _run(monkeypatch, capsys, "id", *args, "--json")
    _, json_en, _ = _run(monkeypatch, capsys, "en", *args, "--json")
    assert json_id == json_en
    assert json.loads(json_en)["targets"][0]["why"].startswith("nearest staffed puskesmas")


def test_a_run_leaves_argparse_and_the_console_language_as_they_were(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = argparse._  # type: ignore[attr-defined]
    _run(monkeypatch, capsys, "en", "status", "--data-dir", str(data_dir))
    assert argparse._ is before  # type: ignore[attr-defined]
    assert i18n.current_language() == "id"
