"""Every way a caller's location reaches the engine, on the real chain: SIPp caller → Asterisk
(res_geolocation, PJSIP headers, DTMF) → the engine → a pjsua2 operator. Each scenario asserts who answered
and what the call record says about where the caller was.

Callers are unknown mobiles unless the scenario is about the caller directory, so the location can only have
come from the source under test.
"""

from __future__ import annotations

import pytest

from tests.telephony.conftest import DISPATCHER, GAYAMSARI_HOUSE, NEAREST, SECOND, THIRD, CallLab

pytestmark = pytest.mark.telephony

LAT, LON = (str(c) for c in GAYAMSARI_HOUSE)
EVERYONE = (f"{NEAREST}-op1", f"{SECOND}-op1", f"{THIRD}-op1")


def test_pidf_lo_point_by_value(lab: CallLab) -> None:
    lab.given_on_duty(*EVERYONE)
    assert lab.place("uac_pidf_point.xml", "081210000001", "119", LAT, LON) == [f"{NEAREST}-op1"]
    record = lab.record("081210000001")
    assert record.location_source == "pidf-lo"
    assert "Point" in record.location_label
    assert record.area_code == "33.74.04"
    assert record.answered_by == f"{NEAREST}-op1" and record.outcome == "answered"


def test_pidf_lo_circle_by_value_keeps_its_radius(lab: CallLab) -> None:
    lab.given_on_duty(*EVERYONE)
    assert lab.place("uac_pidf_circle.xml", "081210000002", "119", LAT, LON, "850") == [f"{NEAREST}-op1"]
    record = lab.record("081210000002")
    assert (record.location_source, record.accuracy_m) == ("pidf-lo", 850.0)
    assert "Circle" in record.location_label


def test_carrier_location_header(lab: CallLab) -> None:
    lab.given_on_duty(*EVERYONE)
    answered = lab.place("uac_carrier_header.xml", "081210000003", "119", "X-Caller-Location", LAT, LON, "40")
    assert answered == [f"{NEAREST}-op1"]
    record = lab.record("081210000003")
    assert (record.location_source, record.accuracy_m) == ("carrier-header", 40.0)


def test_a_header_under_another_name_is_not_trusted(lab: CallLab) -> None:
    """Only the configured header counts; anything else is the caller's own text. With no location the IVR
    answers and asks; this caller hangs up during the prompt, which the record says too."""
    lab.given_on_duty(*EVERYONE)
    answered = lab.place("uac_carrier_header.xml", "081210000004", "119", "X-Fake-Location", LAT, LON, "1")
    assert answered == []
    record = lab.record("081210000004")
    assert record.location_source is None
    assert record.plan["ask_digits"] is True
    assert record.outcome == "abandoned" and record.attempts == []


def test_caller_directory(lab: CallLab) -> None:
    lab.given_on_duty(*EVERYONE)
    assert lab.place("uac_caller.xml", "0247000021", "119") == [f"{NEAREST}-op1"]
    record = lab.record("0247000021")
    assert (record.location_source, record.location_label) == ("directory", "test house 21")


def test_a_puskesmas_own_number_locates_the_caller_there(lab: CallLab) -> None:
    """0246717001 is Puskesmas Gayamsari's front desk (config/sample/semarang/did.csv)."""
    lab.given_on_duty(*EVERYONE)
    assert lab.place("uac_caller.xml", "081210000005", "0246717001") == [f"{NEAREST}-op1"]
    record = lab.record("081210000005")
    assert record.location_source == "trunk"
    assert record.dialled == "0246717001"
    assert "Puskesmas Gayamsari" in record.location_label


@pytest.mark.parametrize(
    ("dialled", "caller"), [("+62246717001", "081210000011"), ("62246717001", "081210000012")]
)
def test_a_puskesmas_number_with_the_country_code_takes_the_same_route(
    lab: CallLab, dialled: str, caller: str
) -> None:
    """Carriers may deliver 0246717001 as +62246717001 or 62246717001: the dialplan makes it 0246717001
    again, so it neither gets a 404 (+) nor skips the engine for the dispatcher (62…)."""
    lab.given_on_duty(*EVERYONE)
    assert lab.place("uac_caller.xml", caller, dialled) == [f"{NEAREST}-op1"]
    record = lab.record(caller)
    assert (record.service, record.dialled, record.location_source) == ("emergency", "0246717001", "trunk")
    assert "Puskesmas Gayamsari" in record.location_label


def test_kode_pos_typed_with_sip_info(lab: CallLab) -> None:
    """Nothing is known of an unknown mobile: the IVR asks, the caller types 50161# (Gayamsari)."""
    lab.given_on_duty(*EVERYONE)
    answered = lab.place("uac_dtmf_info.xml", "081210000006", "119", "5", "0", "1", "6", "1", "#")
    assert answered == [f"{NEAREST}-op1"]
    record = lab.record("081210000006")
    assert record.location_source == "ivr"
    assert "kode pos 50161" in record.location_label
    assert record.area_code == "33.74.04"


def test_kecamatan_code_typed_as_rfc4733_events(lab: CallLab) -> None:
    """The same IVR with in-band RTP telephone-events; 337404 is kecamatan Gayamsari's code."""
    lab.given_on_duty(*EVERYONE)
    assert lab.place("uac_dtmf_rfc4733.xml", "081210000007", "119", dtmf="337404") == [f"{NEAREST}-op1"]
    record = lab.record("081210000007")
    assert record.location_source == "ivr"
    assert "33.74.04" in record.location_label


def test_landline_area_code_reaches_the_district_desk(lab: CallLab) -> None:
    """An unknown 024 landline is somewhere in Kota Semarang: its dispatch desk (here the PSC 119 desk,
    which is the central dispatcher) takes the call rather than a guessed nearest puskesmas."""
    lab.given_on_duty(*EVERYONE)
    assert lab.place("uac_caller_patient.xml", "0248999999", "119") == [DISPATCHER]
    record = lab.record("0248999999")
    assert record.location_source == "area-code"
    assert record.area_code == "33.74"
    assert not lab.rang(f"{NEAREST}-op1", "0248999999")


def test_no_location_at_all_takes_the_default_route(lab: CallLab) -> None:
    lab.given_on_duty(*EVERYONE)
    assert lab.place("uac_caller_patient.xml", "081210000008", "119") == [DISPATCHER]
    record = lab.record("081210000008")
    assert record.location_source is None
    assert any("typed nothing" in n for n in record.plan["notes"])
    assert [a[0] for a in record.attempts] == [DISPATCHER]


def test_consultation_line_rings_the_on_duty_doctors(lab: CallLab) -> None:
    lab.given_on_duty("konter-semarang-dr1", "konter-semarang-dr2", *EVERYONE)
    answered = lab.place("uac_caller_patient.xml", "081210000009", "1500132")  # waits through the menu
    assert len(answered) == 1 and answered[0] in ("konter-semarang-dr1", "konter-semarang-dr2")
    record = lab.record("081210000009")
    assert record.service == "consultation"
    # No doctor's phone rings directly: the Konter desk's queue of the doctors on duty takes the call.
    assert record.plan["targets"] == [] and record.plan["desks"][0]["desk"] == "konter-semarang"
    assert record.desk == "konter-semarang"


def test_112_health_option_takes_the_119_way(lab: CallLab) -> None:
    lab.given_on_duty(*EVERYONE)
    answered = lab.place("uac_dtmf_info.xml", "0247000022", "112", "1", "#", "#", "#", "#", "#")
    assert answered == [f"{NEAREST}-op1"]
    record = lab.record("0247000022")
    assert (record.dialled, record.service, record.location_source) == ("112", "emergency", "directory")
