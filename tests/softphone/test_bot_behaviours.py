"""Slow and absent operators for `siaga up --bots`, read from optional columns of the staff CSV."""

from __future__ import annotations

import pytest

from softphone.bots import Bot, behaviours_from_staff_csv


def test_optional_columns_give_ring_delays_and_no_answer() -> None:
    text = (
        "staff_id,staff_name,role,facility_code,endpoint,bot_answer_after_s,bot_no_answer\n"
        "a-op1,A,operator,a,a-op1,3.5,\n"
        "b-op1,B,operator,b,b-op1,,yes\n"
        "c-op1,C,operator,c,c-op1,,\n"
    )
    assert behaviours_from_staff_csv(text) == {
        "a-op1": Bot("a-op1", answer_after_s=3.5),
        "b-op1": Bot("b-op1", no_answer=True),
    }


def test_staff_without_the_columns_has_no_behaviours() -> None:
    assert behaviours_from_staff_csv("staff_id,endpoint\na-op1,a-op1\n") == {}


def test_a_bad_delay_names_its_line() -> None:
    with pytest.raises(ValueError, match="line 3"):
        behaviours_from_staff_csv("endpoint,bot_answer_after_s\na,1\nb,soon\n")
