"""Point → smallest area and its ancestors: borders, holes, the sea and outside every area."""

from __future__ import annotations

from shapely.geometry import MultiPolygon, Polygon, box

from geo.areas import Area, AreaIndex


def _index() -> AreaIndex:
    # Kecamatan 01 has a hole (a lake) in which desa 02.2001 lies as an enclave; the kabupaten covers
    # both kecamatan except an unclaimed hole of its own at 110.48; a MultiPolygon kecamatan has an island.
    kab = Polygon(
        box(110.3, -7.1, 110.5, -6.9).exterior.coords, [box(110.47, -7.0, 110.49, -6.98).exterior.coords]
    )
    kec1 = Polygon(
        box(110.3, -7.1, 110.4, -6.9).exterior.coords, [box(110.34, -7.01, 110.36, -6.99).exterior.coords]
    )
    kec2 = MultiPolygon([kab.difference(box(110.3, -7.1, 110.4, -6.9)), box(110.60, -7.0, 110.62, -6.98)])
    return AreaIndex(
        [
            Area("33", "Jawa Tengah", "provinsi", None, None),
            Area("33.74", "Kota", "kabupaten", "33", kab),
            Area("33.74.01", "Barat", "kecamatan", "33.74", kec1),
            Area("33.74.02", "Timur", "kecamatan", "33.74", kec2),
            Area("33.74.02.2001", "Danau", "desa", "33.74.02", box(110.34, -7.01, 110.36, -6.99)),
        ]
    )


def test_inside_gives_the_smallest_area_then_its_ancestors() -> None:
    assert [a.code for a in _index().containing(-7.05, 110.32)] == ["33.74.01", "33.74", "33"]


def test_a_point_on_a_shared_border_goes_to_the_smaller_code_and_names_the_other() -> None:
    index = _index()
    placed = index.place(-7.05, 110.4)
    assert placed.lineage[0].code == "33.74.01"
    assert placed.on_border_with == ("33.74.02",)
    assert index.place(-7.05, 110.41).on_border_with == ()


def test_a_point_in_a_hole_belongs_to_what_fills_it() -> None:
    assert _index().containing(-7.0, 110.35)[0].code == "33.74.02.2001"


def test_a_hole_in_every_level_is_outside_every_area() -> None:
    assert _index().containing(-6.99, 110.48) == []


def test_the_sea_and_far_away_are_outside_every_area() -> None:
    index = _index()
    assert index.containing(-6.80, 110.35) == []
    assert index.containing(48.85, 2.35) == []


def test_the_island_of_a_multipolygon_area() -> None:
    assert [a.code for a in _index().containing(-6.99, 110.61)] == ["33.74.02", "33.74", "33"]


def test_the_answer_does_not_depend_on_load_order() -> None:
    index = _index()
    reversed_index = AreaIndex(list(index.by_code.values())[::-1])
    for lat, lon in [(-7.05, 110.4), (-7.0, 110.35), (-6.9, 110.4), (-7.1, 110.3)]:
        assert [a.code for a in reversed_index.containing(lat, lon)] == [
            a.code for a in index.containing(lat, lon)
        ]
