"""PIDF-LO parsing: the shapes we route on, and documents we refuse before they can do harm."""

from __future__ import annotations

import pytest

from routing.pidf import MAX_PIDF_BYTES, PidfError, parse_effective_location, parse_pidf

HEAD = (
    '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
    'xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml" '
    'xmlns:gs="http://www.opengis.net/pidflo/1.0" '
    'xmlns:ca="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr" entity="sip:a@b">'
    "<tuple id='t'><status><gp:geopriv><gp:location-info>"
)
TAIL = "</gp:location-info><gp:method>GPS</gp:method></gp:geopriv></status></tuple></presence>"


def doc(inner: str) -> str:
    return HEAD + inner + TAIL


def test_gml_point() -> None:
    geo = parse_pidf(
        doc('<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>-6.99 110.42</gml:pos></gml:Point>')
    )
    assert (geo.shape, geo.lat, geo.lon, geo.radius_m, geo.method) == ("Point", -6.99, 110.42, None, "GPS")


def test_circle_keeps_its_radius_in_metres() -> None:
    geo = parse_pidf(
        doc(
            '<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>-6.99 110.42</gml:pos>'
            '<gs:radius uom="urn:ogc:def:uom:EPSG::9001">850</gs:radius></gs:Circle>'
        )
    )
    assert (geo.shape, geo.radius_m) == ("Circle", 850.0)


def test_civic_address_with_postal_code() -> None:
    geo = parse_pidf(
        doc(
            "<ca:civicAddress><ca:country>ID</ca:country><ca:A3>Semarang</ca:A3><ca:PC>50161</ca:PC></ca:civicAddress>"
        )
    )
    assert geo.shape == "civicAddress"
    assert geo.postal_code == "50161"
    assert "Semarang" in geo.civic_text


@pytest.mark.parametrize(
    ("inner", "message"),
    [
        ('<gml:Point srsName="urn:ogc:def:crs:EPSG::3857"><gml:pos>1 2</gml:pos></gml:Point>', "srsName"),
        ("<gml:Point><gml:pos>-6.99</gml:pos></gml:Point>", "gml:pos"),
        ("<gml:Point><gml:pos>-96.99 110</gml:pos></gml:Point>", "gml:pos"),
        (
            '<gs:Circle><gml:pos>-6.9 110.4</gml:pos><gs:radius uom="urn:ogc:def:uom:EPSG::9102">3'
            "</gs:radius></gs:Circle>",
            "radius",
        ),
        ("<gml:Polygon/>", "not routed on"),
        ("", "no location"),
    ],
)
def test_unusable_locations_say_which_field(inner: str, message: str) -> None:
    with pytest.raises(PidfError, match=message):
        parse_pidf(doc(inner))


def test_entity_declarations_are_refused_before_parsing() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        "<presence>&lol2;</presence>"
    )
    with pytest.raises(PidfError, match="DOCTYPE"):
        parse_pidf(bomb)
    external = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(PidfError, match="DOCTYPE"):
        parse_pidf(external)


def test_oversized_and_malformed_documents_are_refused() -> None:
    with pytest.raises(PidfError, match="larger than"):
        parse_pidf("<x>" + " " * MAX_PIDF_BYTES + "</x>")
    with pytest.raises(PidfError, match="well-formed"):
        parse_pidf("<presence><unclosed></presence>")


def test_res_geolocation_effective_location() -> None:
    point = parse_effective_location('shape="Point",crs="2d",pos="-6.9932 110.4203"')
    assert (point.shape, point.lat, point.lon) == ("Point", -6.9932, 110.4203)
    circle = parse_effective_location('shape="Circle",crs="2d",pos="-6.99 110.42",radius="850"')
    assert circle.radius_m == 850.0
    civic = parse_effective_location('country="ID",A3="Semarang",PC="50161"', "civicAddress")
    assert civic.postal_code == "50161"


@pytest.mark.parametrize(
    "text",
    [
        'shape="Point",pos="x y"',
        'shape="Polygon",pos="1 2"',
        "garbage",
        'shape="Point",crs="4d",pos="1 2"',
        "x" * 2000,
    ],
)
def test_bad_effective_locations_are_refused(text: str) -> None:
    with pytest.raises(PidfError):
        parse_effective_location(text)
