"""Screen-pop texts: readable, and safe on the wire whatever a caller or a data file put in them."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

from agi import variables as v
from agi.route import plan_variables
from routing.plan import AreaRef, Location, RoutePlan, Target
from routing.screenpop import MAX_VALUE, attempt_texts, call_texts, clean


def _target(code: str, name: str) -> Target:
    return Target(code, name, f"{code}-op1", f"PJSIP/{code}-op1", 20, 100.0, "nearest")


def _plan() -> RoutePlan:
    return RoutePlan(
        "1700000000.7",
        "081234",
        "emergency",
        datetime(2026, 1, 1, tzinfo=UTC),
        Location(-6.9918, 110.4449, "pidf-lo", 12.4, 'Jl. "A"\r\nX-Evil: 1'),
        [AreaRef("33.74.04", "Gayamsari", "kecamatan")],
        [
            _target("pkm-a", "Puskesmas A"),
            _target("pkm-a", "Puskesmas A"),
            _target("pkm-b", "Puskesmas B, Timur"),
            _target("dispatcher", "Central dispatcher"),
        ],
    )


def test_attempt_texts_name_who_did_not_answer_once() -> None:
    assert attempt_texts(_plan()) == [
        "1 of 4; first choice",
        "2 of 4; Puskesmas A did not answer",
        "3 of 4; Puskesmas A did not answer",
        "4 of 4; Puskesmas A and Puskesmas B; Timur did not answer",
    ]


def test_call_texts_are_sanitised() -> None:
    texts = call_texts(_plan())
    assert texts["X-Siaga-Location"] == "-6.99180 110.44490 (Jl. 'A' X-Evil: 1)"
    assert texts["X-Siaga-Accuracy"] == "12 m"
    assert texts["X-Siaga-Area"] == "Gayamsari (33.74.04)"
    for text in texts.values():
        assert "\r" not in text and "\n" not in text and "," not in text


def test_clean_limits_length_and_is_never_empty() -> None:
    assert clean("\x00\x07 ") == "-"
    assert len(clean("x" * 500)) == MAX_VALUE
    assert clean('a=b|c\\d"e') == "a-b/c/d'e"


def test_screen_pop_variables_go_before_route_status_and_are_mset_safe() -> None:
    pairs = plan_variables(_plan())
    names = [n for n, _ in pairs]
    assert names[-1] == v.ROUTE_STATUS
    assert "_SIAGA_POP_CALL" in names and v.screenpop_attempt_n(4) in names
    assert all(not set(value) & set(',="\\|') for name, value in pairs if "POP" in name)


def test_clean_returns_clean_texts_as_they_are_and_cleans_the_rest_the_same_way() -> None:
    """clean() skips the rebuilding for texts with nothing to change: it must give what rebuilding gives."""

    def rebuilt(value: str) -> str:  # what clean() did for every text before the shortcut
        text = re.sub(r"[\x00-\x1f\x7f]+", " ", value)
        text = text.translate(str.maketrans({",": ";", "=": "-", '"': "'", "\\": "/", "|": "/"}))
        return " ".join(text.split())[:MAX_VALUE].strip() or "-"

    rng = random.Random(5)
    alphabet = list('ab ,="\\|()[]\t\n\x00\x7f\xa0\u2003é-;')
    samples = ["Puskesmas Candilama (0.3 km)", "", " x", "x ", "a  b", "x" * 120, "x" * 121]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(9))) for _ in range(20_000)]
    for value in samples:
        assert clean(value) == rebuilt(value), repr(value)
