"""The coverage map as an SVG picture drawn from our own area polygons: no tiles from the internet.

Kecamatan are filled by coverage status, facilities are dots (green staffed, red not). The projected
outlines of a kabupaten never change while the app runs, so they are computed once and kept.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from shapely.geometry.base import BaseGeometry

from kernel.messages import N_
from web.coverage.services import Coverage, FacilityCover
from web.i18n import gettext as _
from web.places import Places

WIDTH = 720
PAD = 12
FILL = {"covered": "#a5d6a7", "partial": "#ffe082", "gap": "#ef9a9a", "none": "#e0e0e0"}
LABEL = {
    "covered": N_("every puskesmas staffed"),
    "partial": N_("some puskesmas unstaffed"),
    "gap": N_("no one on duty"),
    "none": N_("no puskesmas"),
}


def no_outlines() -> str:
    """What a map without area outlines shows, in the language being rendered."""
    text = escape(_("no area outlines to draw"))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="40" role="img">'
        f'<text x="8" y="24" font-family="sans-serif" font-size="13">{text}</text></svg>'
    )


@dataclass(frozen=True)
class Frame:
    """Equirectangular projection of a bounding box onto the picture, north up."""

    minx: float
    miny: float
    maxy: float
    scale: float
    kx: float
    height: int

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return PAD + (lon - self.minx) * self.kx * self.scale, PAD + (self.maxy - lat) * self.scale


@dataclass(frozen=True)
class Outline:
    code: str
    name: str
    path: str
    label_at: tuple[float, float]


def _frame(bounds: tuple[float, float, float, float]) -> Frame:
    minx, miny, maxx, maxy = bounds
    kx = math.cos(math.radians((miny + maxy) / 2))
    span_x = max((maxx - minx) * kx, 1e-6)
    scale = (WIDTH - 2 * PAD) / span_x
    height = round((maxy - miny) * scale) + 2 * PAD
    return Frame(minx, miny, maxy, scale, kx, height)


def _rings(geometry: BaseGeometry) -> Iterable[Iterable[tuple[float, float]]]:
    polygons = getattr(geometry, "geoms", [geometry])
    for polygon in polygons:
        yield polygon.exterior.coords
        for interior in polygon.interiors:
            yield interior.coords


def _path(geometry: BaseGeometry, frame: Frame) -> str:
    parts = []
    for ring in _rings(geometry):
        points = [frame.xy(lon, lat) for lon, lat, *_ in ring]
        parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


class MapRenderer:
    def __init__(self, places: Places) -> None:
        self.places = places
        self._lock = threading.Lock()
        self._outlines: dict[tuple[str, ...], tuple[Frame, list[Outline]]] = {}

    def outlines(self, kabupaten: tuple[str, ...]) -> tuple[Frame, list[Outline]] | None:
        with self._lock:
            if kabupaten in self._outlines:
                return self._outlines[kabupaten]
        areas = [a for code in kabupaten for a in self.places.kecamatan_in(code) if a.geometry is not None]
        if not areas:  # no kecamatan outlines: draw the kabupaten itself
            found = (self.places.areas.by_code.get(code) for code in kabupaten)
            areas = [a for a in found if a is not None and a.geometry is not None]
        if not areas:
            return None
        xs0, ys0, xs1, ys1 = zip(*(a.geometry.bounds for a in areas), strict=True)  # type: ignore[union-attr]
        frame = _frame((min(xs0), min(ys0), max(xs1), max(ys1)))
        tolerance = 0.6 / frame.scale  # under a pixel: invisible, but far fewer points
        outlines = []
        for area in areas:
            shape = area.geometry.simplify(tolerance, preserve_topology=True)  # type: ignore[union-attr]
            point = area.geometry.representative_point()  # type: ignore[union-attr]
            outlines.append(Outline(area.code, area.name, _path(shape, frame), frame.xy(point.x, point.y)))
        with self._lock:
            self._outlines[kabupaten] = (frame, outlines)
        return frame, outlines

    def render(self, coverage: Coverage) -> str:
        drawn = self.outlines(coverage.kabupaten)
        if drawn is None:
            return no_outlines()
        frame, outlines = drawn
        label = {state: escape(_(text)) for state, text in LABEL.items()}
        status = {k.area.code: k.status for k in coverage.kecamatan}
        legend_y = frame.height + 6
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {legend_y + 30}" '
            f'width="{WIDTH}" height="{legend_y + 30}" role="img" class="coverage-map" '
            f'aria-label="coverage map at {escape(coverage.at.isoformat())}" font-family="sans-serif">',
            f'<rect width="{WIDTH}" height="{legend_y + 30}" fill="#f5f9ff"/>',
        ]
        for o in outlines:
            state = status.get(o.code, "none")
            out.append(
                f'<path d="{o.path}" fill="{FILL[state]}" stroke="#546e7a" stroke-width="1" '
                f'fill-rule="evenodd" data-kecamatan="{escape(o.code)}" data-status="{state}">'
                f"<title>{escape(o.name)}: {label[state]}</title></path>"
            )
        for o in outlines:
            x, y = o.label_at
            out.append(
                f'<text x="{x:.1f}" y="{y + 14:.1f}" font-size="10" text-anchor="middle" fill="#37474f" '
                f'pointer-events="none">{escape(o.name)}</text>'
            )
        for cover in coverage.facilities:
            out.append(_dot(cover, frame))
        x = PAD
        for state in ("covered", "partial", "gap", "none"):
            out.append(
                f'<rect x="{x}" y="{legend_y}" width="14" height="14" fill="{FILL[state]}" stroke="#546e7a"/>'
                f'<text x="{x + 18}" y="{legend_y + 11}" font-size="11">{label[state]}</text>'
            )
            x += 28 + round(6.1 * len(label[state]))
        staffed, not_staffed = escape(_("staffed")), escape(_("not staffed"))
        out.append(
            f'<circle cx="{x + 6}" cy="{legend_y + 7}" r="5" fill="#1b5e20"/>'
            f'<text x="{x + 14}" y="{legend_y + 11}" font-size="11">{staffed}</text>'
            f'<circle cx="{x + 66}" cy="{legend_y + 7}" r="5" fill="#c62828"/>'
            f'<text x="{x + 74}" y="{legend_y + 11}" font-size="11">{not_staffed}</text>'
        )
        out.append("</svg>")
        return "".join(out)


def _dot(cover: FacilityCover, frame: Frame) -> str:
    f = cover.facility
    x, y = frame.xy(f.lon, f.lat)
    colour = "#1b5e20" if cover.staffed else "#c62828"
    who = ", ".join(f"{d.staff_name} ({d.shift})" for d in cover.on_duty) or _("no one on duty")
    radius = 6 if cover.counts else 4
    return (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}" stroke="#fff" stroke-width="1.5" '
        f'data-facility="{escape(f.code)}" data-staffed="{str(cover.staffed).lower()}">'
        f"<title>{escape(f.name)}: {escape(who)}</title></circle>"
    )
