"""Each location source, and the precedence between them."""

from __future__ import annotations

import pytest

from routing.locate import DEFAULT_PRECEDENCE, check_precedence, locate
from routing.plan import LocationFacts
from tests.routing.builders import toy_data

POINT = 'shape="Point",crs="2d",pos="-7.0 110.36"'


def test_pidf_lo_beats_the_directory_by_default() -> None:
    data = toy_data(callers={"0248312345": (-7.0, 110.46)})
    located = locate("0248312345", "119", LocationFacts(geoloc_effective=POINT, geoloc_format="GML"), data)
    assert located.location is not None
    assert (located.location.source, located.location.lat, located.location.lon) == ("pidf-lo", -7.0, 110.36)
    assert not located.ask_digits


def test_precedence_is_configurable() -> None:
    data = toy_data(callers={"0248312345": (-7.0, 110.46)})
    facts = LocationFacts(geoloc_effective=POINT)
    located = locate("0248312345", "119", facts, data, ("directory", "pidf-lo"))
    assert located.location is not None and located.location.source == "directory"


def test_unknown_precedence_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown source"):
        check_precedence(("pidf-lo", "gps"))
    assert check_precedence(DEFAULT_PRECEDENCE) == DEFAULT_PRECEDENCE


def test_unusable_pidf_leaves_a_note_and_the_next_source_answers() -> None:
    data = toy_data(callers={"0248312345": (-7.0, 110.46)})
    facts = LocationFacts(geoloc_effective='shape="Polygon",pos="1 2"')
    located = locate("0248312345", "119", facts, data)
    assert located.location is not None and located.location.source == "directory"
    assert any("PIDF-LO unusable" in n for n in located.notes)


@pytest.mark.parametrize(
    ("header", "accuracy"),
    [("-7.0,110.36", None), ("-7.0, 110.36;25", 25.0), (" -7.0,110.36 ; accuracy=12.5m", 12.5)],
)
def test_carrier_header(header: str, accuracy: float | None) -> None:
    located = locate("", "119", LocationFacts(carrier_header=header), toy_data())
    assert located.location is not None
    assert (located.location.source, located.location.accuracy_m) == ("carrier-header", accuracy)


@pytest.mark.parametrize("header", ["110.36,-7.0", "-7.0;110.36", "-7.0,110.36,EXEC", "lat,lon"])
def test_bad_carrier_headers_are_ignored_with_a_note(header: str) -> None:
    located = locate("", "119", LocationFacts(carrier_header=header), toy_data())
    assert located.location is None
    assert any("carrier location" in n for n in located.notes)


def test_a_puskesmas_own_number_puts_the_caller_there() -> None:
    located = locate("081200000000", "0246710001", LocationFacts(), toy_data())
    assert located.location is not None
    assert (located.location.source, located.location.lon) == ("trunk", 110.450)
    assert "Puskesmas far" in located.location.label


def test_a_district_trunk_names_its_area() -> None:
    located = locate("081200000000", "119", LocationFacts(trunk="timur-119"), toy_data())
    assert located.location is not None
    assert (located.location.source, located.location.area_code) == ("trunk", "33.74.02")


def test_nothing_better_than_an_area_code_asks_for_digits() -> None:
    located = locate("0247654321", "119", LocationFacts(), toy_data())
    assert located.location is not None
    assert (located.location.source, located.location.area_code) == ("area-code", "33.74")
    assert located.ask_digits


def test_typed_kode_pos_and_kecamatan_code() -> None:
    kode_pos = locate("081200000000", "119", LocationFacts(digits="50161", ivr_done=True), toy_data())
    assert kode_pos.location is not None
    assert (kode_pos.location.source, kode_pos.location.area_code) == ("ivr", "33.74.02")
    assert not kode_pos.ask_digits
    kecamatan = locate("081200000000", "119", LocationFacts(digits="337401", ivr_done=True), toy_data())
    assert kecamatan.location is not None and kecamatan.location.area_code == "33.74.01"


@pytest.mark.parametrize("digits", ["99999", "123456", "12"])
def test_unknown_digits_leave_a_note(digits: str) -> None:
    located = locate("081200000000", "119", LocationFacts(digits=digits, ivr_done=True), toy_data())
    assert located.location is None
    assert not located.ask_digits, "the IVR is asked at most once"
    assert any(digits in n for n in located.notes)


def test_mobiles_have_no_area_code_and_far_areas_are_named() -> None:
    mobile = locate("081234567890", "119", LocationFacts(), toy_data())
    assert mobile.location is None and mobile.ask_digits
    assert any("mobile number" in n for n in mobile.notes)
    jambi = locate("07415551234", "119", LocationFacts(ivr_done=True), toy_data())
    assert jambi.location is None
    assert any("Kota Jambi" in n for n in jambi.notes)


def test_no_ivr_when_turned_off() -> None:
    located = locate("081234567890", "119", LocationFacts(), toy_data(), ivr_enabled=False)
    assert not located.ask_digits
