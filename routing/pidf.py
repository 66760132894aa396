"""PIDF-LO location by value (RFC 4119, shapes per RFC 5491), read without trusting the sender.

Two inputs, one result (`Geo`):

* what Asterisk's res_geolocation already parsed, `${GEOLOC_PROFILE(effective_location)}` — a list of
  `name="value"` pairs such as `shape="Circle",crs="2d",pos="-6.99 110.42",radius="850"` — with
  `${GEOLOC_PROFILE(format)}` telling GML from civicAddress;
* a PIDF-LO XML document itself (dry runs, replays, tests), parsed with the standard library after refusing
  any DOCTYPE: PIDF-LO never needs one, and refusing it closes entity expansion ("billion laughs") and
  external entities in one step. Documents are also size-limited before parsing.

Only WGS-84 2-D Point and Circle are routed on; other shapes are reported, not guessed at.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

MAX_PIDF_BYTES = 16_384
MAX_EFFECTIVE_CHARS = 1_024
MAX_RADIUS_M = 100_000.0

_NS_GML = "http://www.opengis.net/gml"
_NS_GS = "http://www.opengis.net/pidflo/1.0"
_NS_CA = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
_NS_GP = "urn:ietf:params:xml:ns:pidf:geopriv10"
_WGS84 = {"urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG::4979", "EPSG:4326", "4326"}
_PAIR = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]{0,31})\s*=\s*"([^"]{0,256})"\s*(?:,|$)')
_CIVIC_KEYS = ("country", "A1", "A2", "A3", "A4", "A5", "A6", "PRM", "RD", "STS", "HNO", "PC", "LOC", "NAM")


class PidfError(ValueError):
    """The location is unusable; the message says which field and why, for the call's notes."""


@dataclass(frozen=True)
class Geo:
    """A parsed PIDF-LO location: a point (with a radius for a Circle) and/or a civic address."""

    shape: str  # Point, Circle, or civicAddress
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    civic: tuple[tuple[str, str], ...] = ()
    method: str = ""

    @property
    def civic_text(self) -> str:
        parts = dict(self.civic)
        order = ("NAM", "RD", "STS", "HNO", "A6", "A5", "A4", "A3", "A2", "A1", "PC", "country")
        return ", ".join(parts[k] for k in order if parts.get(k))

    @property
    def postal_code(self) -> str:
        return dict(self.civic).get("PC", "")


def _coordinate(text: str, field: str) -> tuple[float, float]:
    parts = text.split()
    if len(parts) not in (2, 3):
        raise PidfError(f"{field}: expected 'lat lon', got {text[:40]!r}")
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError as exc:
        raise PidfError(f"{field}: not numbers: {text[:40]!r}") from exc
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise PidfError(f"{field}: ({lat}, {lon}) is not a WGS-84 latitude and longitude")
    return lat, lon


def _radius(text: str, uom: str = "") -> float:
    if uom and not uom.endswith("9001") and uom not in ("m", "meter", "metre"):
        raise PidfError(f"radius: unit {uom[:40]!r} is not metres (EPSG 9001)")
    try:
        radius = float(text)
    except ValueError as exc:
        raise PidfError(f"radius: not a number: {text[:20]!r}") from exc
    if not (math.isfinite(radius) and 0 <= radius <= MAX_RADIUS_M):
        raise PidfError(f"radius: {radius} m is outside 0..{MAX_RADIUS_M:.0f} m")
    return radius


def parse_effective_location(text: str, fmt: str = "GML") -> Geo:
    """Read res_geolocation's `effective_location` rendering (name="value" pairs)."""
    if len(text) > MAX_EFFECTIVE_CHARS:
        raise PidfError(f"effective_location: longer than {MAX_EFFECTIVE_CHARS} characters")
    pairs: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = _PAIR.match(text, position)
        if match is None:
            raise PidfError(f"effective_location: unreadable at {text[position : position + 30]!r}")
        pairs.setdefault(match.group(1), match.group(2))
        position = match.end()
    if fmt.lower().startswith("civic"):
        civic = tuple((k, pairs[k]) for k in _CIVIC_KEYS if pairs.get(k))
        if not civic:
            raise PidfError("civic address: no known elements")
        return Geo("civicAddress", civic=civic)
    shape = pairs.get("shape", "")
    crs = pairs.get("crs", "2d")
    if crs not in ("2d", "3d"):
        raise PidfError(f"crs: {crs!r} is not 2d or 3d")
    if shape == "Point":
        lat, lon = _coordinate(pairs.get("pos", ""), "pos")
        return Geo("Point", lat, lon)
    if shape == "Circle":
        lat, lon = _coordinate(pairs.get("pos", ""), "pos")
        return Geo("Circle", lat, lon, _radius(pairs.get("radius", ""), pairs.get("uom", "")))
    raise PidfError(f"shape: {shape[:30]!r} is not routed on (only Point and Circle)")


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def parse_pidf(document: str | bytes) -> Geo:
    """Parse a PIDF-LO document: the first geodetic Point/Circle, else a civic address."""
    raw = document.encode("utf-8") if isinstance(document, str) else document
    if len(raw) > MAX_PIDF_BYTES:
        raise PidfError(f"PIDF-LO: document larger than {MAX_PIDF_BYTES} bytes")
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise PidfError("PIDF-LO: DOCTYPE and entity declarations are refused")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise PidfError(f"PIDF-LO: not well-formed XML ({exc})") from exc
    method = ""
    civic: list[tuple[str, str]] = []
    for element in root.iter():
        ns, name = _local(element.tag)
        if ns == _NS_GP and name == "method" and element.text:
            method = element.text.strip()[:40]
    for element in root.iter():
        ns, name = _local(element.tag)
        if ns == _NS_GML and name == "Point":
            _check_srs(element)
            lat, lon = _coordinate(_pos_text(element), "gml:pos")
            return Geo("Point", lat, lon, method=method)
        if ns == _NS_GS and name == "Circle":
            _check_srs(element)
            lat, lon = _coordinate(_pos_text(element), "gml:pos")
            radius = element.find(f"{{{_NS_GS}}}radius")
            if radius is None or not radius.text:
                raise PidfError("gs:Circle: no gs:radius")
            return Geo("Circle", lat, lon, _radius(radius.text.strip(), radius.get("uom", "")), method=method)
        if ns == _NS_GS or (ns == _NS_GML and name in ("Polygon", "Ellipse", "ArcBand", "Sphere")):
            raise PidfError(f"shape: {name} is not routed on (only Point and Circle)")
        if ns == _NS_CA and name != "civicAddress" and element.text and name in _CIVIC_KEYS:
            civic.append((name, element.text.strip()[:80]))
    if civic:
        return Geo("civicAddress", civic=tuple(civic), method=method)
    raise PidfError("PIDF-LO: no location (gml:Point, gs:Circle or civicAddress) found")


def _check_srs(element: ET.Element) -> None:
    srs = element.get("srsName", "urn:ogc:def:crs:EPSG::4326")
    if srs not in _WGS84:
        raise PidfError(f"srsName: {srs[:60]!r} is not WGS-84 (EPSG 4326)")


def _pos_text(element: ET.Element) -> str:
    pos = element.find(f"{{{_NS_GML}}}pos")
    if pos is None or not pos.text:
        raise PidfError("gml:pos: missing")
    return pos.text.strip()
