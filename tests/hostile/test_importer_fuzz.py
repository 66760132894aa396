"""Every importer fed hostile files: BOMs, wrong encodings, huge fields, blank fields, odd headers.

Supervisors bring these files from spreadsheets and GIS tools, so each importer must either accept a
file or refuse it with a message that says where (a line, a feature or a field), never fail with some
other exception (a traceback instead of an answer), and, where it loads what is good (the geo parsers
behind `--skip-bad`, the location tables), keep every good row. The roster and the replay list are
all-or-nothing by design: for them "keep the good rows" means a file whose only oddity is harmless (a
BOM, CRLF line ends) is accepted whole.

Each importer is read the way its command reads it: the geo parsers and the location tables take the
path; `siaga roster import` decodes the file as UTF-8 with an optional BOM (siaga/commands/shifts.py
cmd_import); `siaga replay` as UTF-8 (lab/replay.py replay reads utf-8-sig; here plain UTF-8, so
read_calls must drop a BOM itself).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from geo.areas import parse_area_features, read_feature_collection
from geo.callers import normalise_number, parse_callers_csv
from geo.facilities import parse_facilities_csv
from geo.importers import import_areas, import_callers, import_facilities
from kernel.db import make_engine
from kernel.settings import REPO_ROOT, SAMPLE_REGION
from lab.replay import read_calls
from routing.tables import load_area_codes, load_dids, load_kode_pos
from shifts.roster_csv import parse_roster_csv

SAMPLE_AREAS = json.loads((SAMPLE_REGION / "areas.geojson").read_text(encoding="utf-8"))
AREA_CODES = {f["properties"]["code"] for f in SAMPLE_AREAS["features"]}
FACILITY_ROWS = list(csv.reader(io.StringIO((SAMPLE_REGION / "facilities.csv").read_text(encoding="utf-8"))))
FACILITY_CODES = {row[0] for row in FACILITY_ROWS[1:]}
ZONES = {row[0]: row[6] for row in FACILITY_ROWS[1:]}
HUGE = 200_000  # past the csv module's default field limit (131,072 characters)
FUZZ = settings(
    max_examples=int(os.environ.get("SIAGA_FUZZ_EXAMPLES", "200")) // 4,
    deadline=None,
    database=None,
    derandomize=os.environ.get("SIAGA_FUZZ_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Where a message may say what is wrong: a line ("line 3", "file.csv:3:"), a feature, or the encoding.
_WHERE = re.compile(r"line \d+|:\d+:|:\d+\b|feature \d+|UTF-8|codec", re.IGNORECASE)


@dataclass(frozen=True)
class Outcome:
    accepted: set[str]  # keys of the rows the importer kept
    errors: list[str]  # one message per bad row, for importers that keep the good ones


@dataclass(frozen=True)
class Importer:
    """One importer as its command uses it, with a small good file to start from."""

    name: str
    header: list[str]
    rows: list[list[str]]
    key: Callable[[list[str]], str]  # a good input row → the key the importer reports it under
    run: Callable[[Path], Outcome]  # may raise ValueError (DataError is one) to refuse the file
    partial: bool  # keeps the good rows of a file with bad ones
    key_column: int = 0
    text_column: int = -1  # a free-text column (name, label, note) for huge and odd text

    def good_keys(self) -> set[str]:
        return {self.key(row) for row in self.rows}


def _facilities(path: Path) -> Outcome:
    parsed = parse_facilities_csv(path, AREA_CODES)
    return Outcome({f.code for f in parsed.rows}, [str(e) for e in parsed.errors])


def _callers(path: Path) -> Outcome:
    parsed = parse_callers_csv(path)
    return Outcome({c.number for c in parsed.rows}, [str(e) for e in parsed.errors])


def _dids(path: Path) -> Outcome:
    found, errors = load_dids(path, FACILITY_CODES, AREA_CODES)
    return Outcome(set(found), [str(e) for e in errors])


def _kode_pos(path: Path) -> Outcome:
    found, errors = load_kode_pos(path, AREA_CODES)
    return Outcome(set(found), [str(e) for e in errors])


def _area_codes(path: Path) -> Outcome:
    found, errors = load_area_codes(path)
    return Outcome(set(found), [str(e) for e in errors])


def _roster(path: Path) -> Outcome:
    try:
        text = path.read_text(encoding="utf-8-sig")  # as siaga/commands/shifts.py cmd_import reads it
    except UnicodeDecodeError as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    parsed = parse_roster_csv(text, str(path), ZONES, {})
    return Outcome({f"{a.staff_id}@{a.shift_date}" for a in parsed.assignments}, [])


def _replay(path: Path) -> Outcome:
    calls = read_calls(path.read_text(encoding="utf-8"))  # stricter than replay(): a BOM reaches read_calls
    return Outcome({c.caller for c in calls}, [])


_MONDAY = date(2026, 11, 23)
IMPORTERS = [
    Importer(
        "facilities",
        FACILITY_ROWS[0],
        FACILITY_ROWS[1:6],
        lambda row: row[0],
        _facilities,
        partial=True,
        text_column=1,
    ),
    Importer(
        "callers",
        ["number", "lat", "lon", "label"],
        [
            ["0248000101", "-7.00890", "110.41990", "Rumah di Candisari"],
            ["081234500011", "-7.05780", "110.31190", "Warung dekat Pasar Mijen"],
            ["0248000102", "-7.08890", "110.37290", "Toko dekat Pasar Gunungpati"],
            ["+6281234500012", "-6.97150", "110.29490", "Rumah dekat Terminal Mangkang"],
        ],
        lambda row: normalise_number(row[0]) or "",
        _callers,
        partial=True,
    ),
    Importer(
        "did",
        ["did", "facility_code", "area_code", "label"],
        [
            ["0246717001", "pkm-gayamsari", "", "Puskesmas Gayamsari front desk"],
            ["0246717002", "pkm-tlogosari-wetan", "", "Tlogosari Wetan front desk"],
            ["trunk:timur-119", "", "33.74.04", "a district's 119 trunk"],
            ["0246717099", "", "33.74", "city hall"],
        ],
        lambda row: row[0] if row[0].startswith("trunk:") else normalise_number(row[0]) or "",
        _dids,
        partial=True,
    ),
    Importer(
        "kode_pos",
        ["kode_pos", "area_code", "label"],
        [
            ["50111", "33.74.05", "Kecamatan Genuk"],
            ["50112", "33.74.05", "Kecamatan Genuk"],
            ["50131", "33.74.01", "Semarang Tengah"],
            ["50241", "33.74.08", "Candisari"],
        ],
        lambda row: row[0],
        _kode_pos,
        partial=True,
    ),
    Importer(
        "area_codes",
        ["prefix", "area_code", "name"],
        [["021", "31", "DKI Jakarta"], ["022", "32.73", "Kota Bandung"], ["024", "33.74", "Kota Semarang"]],
        lambda row: row[0][1:],
        _area_codes,
        partial=True,
    ),
    Importer(
        "roster",
        ["facility_code", "staff_id", "date", "shift", "staff_name", "role", "endpoint"],
        [
            [
                "pkm-gayamsari",
                "pkm-gayamsari-op1",
                str(_MONDAY),
                "pagi",
                "Siti",
                "operator",
                "pkm-gayamsari-op1",
            ],
            [
                "pkm-gayamsari",
                "pkm-gayamsari-op2",
                str(_MONDAY),
                "siang",
                "Budi",
                "operator",
                "pkm-gayamsari-op2",
            ],
            [
                "pkm-halmahera",
                "pkm-halmahera-op1",
                str(_MONDAY + timedelta(days=1)),
                "malam",
                "Dewi",
                "operator",
                "pkm-halmahera-op1",
            ],
        ],
        lambda row: f"{row[1]}@{row[2]}",
        _roster,
        partial=False,
        key_column=1,
        text_column=4,
    ),
    Importer(
        "replay",
        ["caller", "dialled", "lat", "lon", "expected_facility", "note"],
        [
            ["081200000101", "119", "-6.99510", "110.44960", "pkm-gayamsari", "PIDF-LO at Gayamsari"],
            ["0247000001", "119", "", "", "pkm-gayamsari", "a directory caller"],
            ["081200000103", "1500132", "", "", "", "the consultation line"],
        ],
        lambda row: row[0],
        _replay,
        partial=False,
    ),
]
BY_NAME = {i.name: i for i in IMPORTERS}


def csv_text(header: list[str], rows: list[list[str]], newline: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def judge(importer: Importer, path: Path) -> Outcome | str:
    """The importer's outcome, or the message it refused the file with; fails on anything else."""
    try:
        outcome = importer.run(path)
    except ValueError as exc:  # DataError and ImportRejected are ValueErrors
        message = str(exc)
        assert _WHERE.search(message) or any(c in message for c in importer.header), (
            f"{importer.name}: a refusal that says neither where nor which field: {message[:300]!r}"
        )
        return message
    except Exception as exc:  # the finding: a traceback instead of an answer
        pytest.fail(f"{importer.name}: {type(exc).__name__} instead of a refusal: {str(exc)[:300]}")
    for error in outcome.errors:
        assert _WHERE.search(error), f"{importer.name}: an error that names no line: {error[:300]!r}"
    return outcome


def write(tmp_path: Path, importer: Importer, data: bytes, name: str = "") -> Path:
    path = tmp_path / f"{importer.name}{name}.csv"
    path.write_bytes(data)
    return path


def _ids(importers: list[Importer]) -> list[Any]:
    return [pytest.param(i, id=i.name) for i in importers]


def _known_defect(importer: Importer, names: dict[str, str]) -> Any:
    """The importer as a param, marked xfail(strict) when `names` says it has a known defect here."""
    reason = names.get(importer.name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(importer, id=importer.name, marks=marks)


# --- fixed hostile files ------------------------------------------------------------------------------


@pytest.mark.parametrize("importer", _ids(IMPORTERS))
def test_the_good_file_is_accepted(tmp_path: Path, importer: Importer) -> None:
    """The control: every other test starts from this file."""
    outcome = judge(importer, write(tmp_path, importer, csv_text(importer.header, importer.rows).encode()))
    assert isinstance(outcome, Outcome) and outcome.accepted == importer.good_keys(), outcome
    assert not outcome.errors


@pytest.mark.parametrize("importer", _ids(IMPORTERS))
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_byte_order_mark_changes_nothing(tmp_path: Path, importer: Importer, newline: str) -> None:
    data = "\ufeff" + csv_text(importer.header, importer.rows, newline)
    outcome = judge(importer, write(tmp_path, importer, data.encode("utf-8")))
    assert isinstance(outcome, Outcome) and outcome.accepted == importer.good_keys(), outcome


@pytest.mark.parametrize("importer", _ids(IMPORTERS))
def test_a_latin1_line_costs_at_most_that_line(tmp_path: Path, importer: Importer) -> None:
    rows = [list(r) for r in importer.rows]
    rows[1][importer.text_column] += " Jos\u00e9 Kel\u00e9"
    data = csv_text(importer.header, rows).encode("latin-1")
    outcome = judge(importer, write(tmp_path, importer, data))
    if importer.partial:
        assert isinstance(outcome, Outcome), outcome
        good = importer.good_keys() - {importer.key(importer.rows[1])}
        assert good <= outcome.accepted, f"good rows lost: {good - outcome.accepted}"
        assert importer.key(importer.rows[1]) in outcome.accepted or any(":3:" in e for e in outcome.errors)


@pytest.mark.parametrize("importer", _ids(IMPORTERS))
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_utf16_file_is_refused_or_read(tmp_path: Path, importer: Importer, encoding: str) -> None:
    data = csv_text(importer.header, importer.rows).encode(encoding)
    outcome = judge(importer, write(tmp_path, importer, data))
    if isinstance(outcome, Outcome):
        assert outcome.accepted <= importer.good_keys()  # nothing made up from the bytes


@pytest.mark.parametrize("importer", _ids(IMPORTERS))
def test_a_huge_field_costs_at_most_its_line(tmp_path: Path, importer: Importer) -> None:
    rows = [list(r) for r in importer.rows]
    rows[1][importer.text_column] = "x" * HUGE
    outcome = judge(importer, write(tmp_path, importer, csv_text(importer.header, rows).encode()))
    if importer.partial:
        assert isinstance(outcome, Outcome), outcome
        good = importer.good_keys() - {importer.key(importer.rows[1])}
        assert good <= outcome.accepted, f"good rows lost: {good - outcome.accepted}"


@pytest.mark.parametrize("importer", _ids(IMPORTERS))
@pytest.mark.parametrize("blank", ["   ", "\t", " \u00a0 "], ids=["spaces", "tab", "nbsp"])
def test_a_blank_key_is_named_and_the_rest_kept(tmp_path: Path, importer: Importer, blank: str) -> None:
    rows = [list(r) for r in importer.rows]
    rows[1][importer.key_column] = blank
    outcome = judge(importer, write(tmp_path, importer, csv_text(importer.header, rows).encode()))
    if importer.partial:
        assert isinstance(outcome, Outcome), outcome
        assert importer.good_keys() - {importer.key(importer.rows[1])} <= outcome.accepted
        assert any(":3:" in e for e in outcome.errors), outcome.errors
    else:
        assert isinstance(outcome, str) and ("line 3" in outcome or ":3:" in outcome), outcome


@pytest.mark.parametrize("importer", _ids(IMPORTERS))
def test_a_missing_column_is_named(tmp_path: Path, importer: Importer) -> None:
    header = list(importer.header)
    removed = header[importer.key_column]
    header[importer.key_column] = "something_else"
    outcome = judge(importer, write(tmp_path, importer, csv_text(header, importer.rows).encode()))
    assert isinstance(outcome, str) and removed in outcome, outcome


@pytest.mark.parametrize("importer", _ids(IMPORTERS))
def test_a_repeated_column_is_accepted_or_refused(tmp_path: Path, importer: Importer) -> None:
    header = [*importer.header, importer.header[importer.key_column]]
    rows = [[*row, row[importer.key_column]] for row in importer.rows]
    outcome = judge(importer, write(tmp_path, importer, csv_text(header, rows).encode()))
    if isinstance(outcome, Outcome):
        assert outcome.accepted == importer.good_keys()


@pytest.mark.parametrize("importer", _ids(IMPORTERS))
def test_header_names_with_spaces_around_them(tmp_path: Path, importer: Importer) -> None:
    header = [f" {name}  " for name in importer.header]
    outcome = judge(importer, write(tmp_path, importer, csv_text(header, importer.rows).encode()))
    if isinstance(outcome, Outcome):
        assert outcome.accepted == importer.good_keys()


@pytest.mark.parametrize("importer", _ids(IMPORTERS))
@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda t: t.replace("\n", "\n\x00", 2), id="nul"),
        pytest.param(lambda t: t.replace("\n", '\n"', 2), id="unclosed-quote"),
        pytest.param(lambda t: t.replace("\n", "\r"), id="cr-only"),
        pytest.param(lambda t: t.split("\n", 1)[0] + "\n", id="header-only"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: t.replace("\n", ",extra,,,\n", 2), id="extra-cells"),
        pytest.param(lambda t: t.replace(",", "", 3), id="missing-cells"),
        pytest.param(lambda t: t + "\n\n\n", id="trailing-blank-lines"),
        pytest.param(lambda t: t.replace("\n", "\n\u202e\u200b", 2), id="bidi-zero-width"),
    ],
)
def test_damaged_files_get_an_answer(
    tmp_path: Path, importer: Importer, damage: Callable[[str], str]
) -> None:
    data = damage(csv_text(importer.header, importer.rows))
    judge(importer, write(tmp_path, importer, data.encode("utf-8")))


# --- fuzzed cells ------------------------------------------------------------------------------------

cell_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Zs", "Cf", "Po"]), max_size=10),
    st.sampled_from(
        ["", " ", "  \t", "=cmd|'/C calc'!A0", "'=1+1", "nan", "inf", "-0", "1e999", "+62", "0" * 40]
    ),
    st.integers(min_value=1_000, max_value=140_000).map(lambda n: "y" * n),
)


@pytest.mark.parametrize("importer", _ids(IMPORTERS))
@FUZZ
@given(data=st.data())
def test_fuzzed_cells(tmp_path: Path, importer: Importer, data: st.DataObject) -> None:
    """Random text in random cells: an answer every time, and (for the importers that keep good rows)
    every untouched row before the first touched one is kept: a later duplicate cannot push it out."""
    rows = [list(r) for r in importer.rows]
    touched: set[int] = set()
    for _ in range(data.draw(st.integers(1, 4))):
        r = data.draw(st.integers(0, len(rows) - 1))
        c = data.draw(st.integers(0, len(importer.header) - 1))
        rows[r][c] = data.draw(cell_text)
        touched.add(r)
    assume(all(len(cell) < 131_072 for row in rows for cell in row))  # the huge case has its own test
    bom = data.draw(st.sampled_from(["", "\ufeff"])) if importer.name != "replay" else ""
    text = bom + csv_text(importer.header, rows, data.draw(st.sampled_from(["\n", "\r\n"])))
    path = write(tmp_path, importer, text.encode("utf-8", errors="surrogatepass"), "-fuzz")
    outcome = judge(importer, path)
    if importer.partial and isinstance(outcome, Outcome):
        first = min(touched)
        kept = {importer.key(importer.rows[i]) for i in range(first)}
        assert kept <= outcome.accepted, f"untouched rows lost: {kept - outcome.accepted}"


# --- areas (GeoJSON) ---------------------------------------------------------------------------------


def _areas(path: Path) -> Outcome:
    parsed = parse_area_features(read_feature_collection(path), str(path))
    return Outcome({a.code for a in parsed.rows}, [str(e) for e in parsed.errors])


AREAS = Importer("areas", ["code", "name", "level", "parent"], [], lambda row: row[0], _areas, partial=True)


def write_geojson(tmp_path: Path, doc: Any, prefix: bytes = b"", encoding: str = "utf-8") -> Path:
    path = tmp_path / "areas.geojson"
    path.write_bytes(prefix + json.dumps(doc, ensure_ascii=False).encode(encoding))
    return path


def _sample() -> dict[str, Any]:
    return json.loads(json.dumps(SAMPLE_AREAS))


def test_areas_good_file_is_accepted(tmp_path: Path) -> None:
    outcome = judge(AREAS, write_geojson(tmp_path, _sample()))
    assert isinstance(outcome, Outcome) and outcome.accepted == AREA_CODES


@pytest.mark.parametrize(
    ("prefix", "encoding"),
    [(b"\xef\xbb\xbf", "utf-8"), (b"", "utf-16"), (b"", "latin-1")],
    ids=["bom", "utf-16", "latin-1"],
)
def test_areas_odd_encodings_get_an_answer(tmp_path: Path, prefix: bytes, encoding: str) -> None:
    doc = _sample()
    doc["features"][3]["properties"]["name"] = "Kel\u00e9 \u00c9l\u00e9"
    outcome = judge(AREAS, write_geojson(tmp_path, doc, prefix, encoding))
    if isinstance(outcome, Outcome):
        assert outcome.accepted == AREA_CODES


def test_areas_bad_features_are_named_and_the_rest_kept(tmp_path: Path) -> None:
    doc = _sample()
    leaves = [f for f in doc["features"] if f["properties"]["level"] == "kecamatan"]
    leaves[0]["properties"]["code"] = "   "
    leaves[1]["properties"]["name"] = "n" * HUGE
    leaves[2]["geometry"] = {"type": "Polygon", "coordinates": [[["a", "b"], [1, 2]]]}
    leaves[3]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[float("nan"), 1], [2, 3], [4, 5], [float("nan"), 1]]],
    }
    leaves[4]["properties"] = ["not", "an", "object"]
    leaves[5]["geometry"] = {"type": "GeometryCollection", "geometries": []}
    bad = {leaves[i]["properties"]["code"] for i in (2, 3, 5)} | {"   "}
    outcome = judge(AREAS, write_geojson(tmp_path, doc))
    assert isinstance(outcome, Outcome), outcome
    untouched = {f["properties"]["code"] for f in doc["features"] if isinstance(f["properties"], dict)} - bad
    untouched -= {leaves[1]["properties"]["code"]}  # a huge name may be kept or refused
    assert untouched <= outcome.accepted, untouched - outcome.accepted
    assert len(outcome.errors) >= 5 and all("feature" in e or re.search(r":\d+:", e) for e in outcome.errors)


def test_areas_deeply_nested_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.geojson"
    depth = 100_000
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"9","name":"x",'
        '"level":"provinsi"},"geometry":{"type":"Polygon","coordinates":'
        + "[" * depth
        + "]" * depth
        + "}}]}",
        encoding="utf-8",
    )
    outcome = judge(AREAS, path)
    assert isinstance(outcome, str)


def test_areas_deeply_nested_coordinates_are_a_bad_feature(tmp_path: Path) -> None:
    doc = _sample()
    depth = 900
    nested: Any = []
    for _ in range(depth):
        nested = [nested]
    doc["features"][-1]["geometry"] = {"type": "Polygon", "coordinates": nested}
    outcome = judge(AREAS, write_geojson(tmp_path, doc))
    assert isinstance(outcome, Outcome) and AREA_CODES - outcome.accepted <= {
        doc["features"][-1]["properties"]["code"]
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(data=st.data())
def test_areas_fuzzed_features(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    doc = _sample()
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(doc["features"]) - 1))
        feature = doc["features"][index]
        where = data.draw(st.sampled_from(["property", "geometry", "coordinates", "feature"]))
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            where = "feature"  # an earlier draw replaced it: replace it again
        if where == "property":
            key = data.draw(st.sampled_from(["code", "name", "level", "parent", "other"]))
            feature["properties"][key] = data.draw(json_values)
        elif where == "geometry":
            feature["geometry"] = data.draw(json_values)
        elif where == "coordinates" and isinstance(feature.get("geometry"), dict):
            feature["geometry"]["coordinates"] = data.draw(json_values)
        else:
            doc["features"][index] = data.draw(json_values)
    judge(AREAS, write_geojson(tmp_path_factory.mktemp("areas"), doc))


# --- the importers' own entry points (database, --skip-bad) -----------------------------------------


def test_skip_bad_imports_keep_the_good_rows(tmp_path: Path) -> None:
    """`siaga import … --skip-bad`: the bad rows are reported by line, the good ones are stored."""
    engine = make_engine(f"sqlite:///{tmp_path / 'siaga.db'}")
    assert import_areas(engine, SAMPLE_REGION / "areas.geojson").imported == len(AREA_CODES)
    importer = BY_NAME["facilities"]
    rows = [list(r) for r in importer.rows]
    rows[1][0] = "   "
    rows[2][3] = "not a latitude"
    result = import_facilities(
        engine,
        write(tmp_path, importer, ("\ufeff" + csv_text(importer.header, rows)).encode()),
        skip_bad=True,
    )
    assert result.imported == len(rows) - 2
    assert {e.line for e in result.skipped} == {3, 4}
    callers = BY_NAME["callers"]
    rows = [list(r) for r in callers.rows]
    rows[0][0] = "not a number"
    result = import_callers(
        engine, write(tmp_path, callers, csv_text(callers.header, rows).encode()), skip_bad=True
    )
    assert result.imported == len(rows) - 1 and [e.line for e in result.skipped] == [2]


def test_area_codes_table_shipped_is_clean() -> None:
    """The national area-code table the engine loads at start reads without one bad line."""
    found, errors = load_area_codes(REPO_ROOT / "config" / "area_codes.csv")
    assert found and not errors, errors[:3]
