"""Complaint numbers: the Damm check digit catches every single wrong digit and every swap of neighbours."""

from __future__ import annotations

import pytest

from complaints.numbers import MAX_SEQUENCE, check_digit, check_number, new_number, sequence_of

SAMPLES = [1, 7, 42, 1234, 99999, 1234567, 9999999, 10000000, 123456789, MAX_SEQUENCE]


def test_known_damm_value() -> None:
    # The worked example of Damm's algorithm: 572 has check digit 4.
    assert check_digit("572") == "4"


@pytest.mark.parametrize("sequence", SAMPLES)
def test_numbers_are_8_to_10_digits_and_pass(sequence: int) -> None:
    number = new_number(sequence)
    assert number.isdigit() and 8 <= len(number) <= 10
    assert check_number(number) is None
    assert sequence_of(number) == sequence


@pytest.mark.parametrize("sequence", SAMPLES)
def test_every_single_digit_error_is_caught(sequence: int) -> None:
    number = new_number(sequence)
    for i, ch in enumerate(number):
        for d in "0123456789":
            if d != ch:
                wrong = number[:i] + d + number[i + 1 :]
                assert check_number(wrong) is not None, wrong


@pytest.mark.parametrize("sequence", SAMPLES)
def test_every_adjacent_swap_is_caught(sequence: int) -> None:
    number = new_number(sequence)
    for i in range(len(number) - 1):
        a, b = number[i], number[i + 1]
        if a != b:
            swapped = number[:i] + b + a + number[i + 2 :]
            assert check_number(swapped) is not None, swapped


def test_exhaustively_for_every_pair_of_neighbours() -> None:
    """Every pair of distinct digits swapped at every place of an 8-digit body."""
    for a in "0123456789":
        for b in "0123456789":
            if a == b:
                continue
            for place in range(6):
                body = list("3141592")
                body[place], body[place + 1] = a, b
                number = "".join(body)
                number += check_digit(number)
                swapped = number[:place] + b + a + number[place + 2 :]
                assert check_number(number) is None
                assert check_number(swapped) is not None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no complaint number"),
        ("12a45678", "digits only"),
        ("1234567", "8 to 10"),
        ("12345678901", "8 to 10"),
    ],
)
def test_reasons(text: str, words: str) -> None:
    reason = check_number(text)
    assert reason is not None and words in reason


def test_sequence_bounds() -> None:
    with pytest.raises(ValueError):
        new_number(0)
    with pytest.raises(ValueError):
        new_number(MAX_SEQUENCE + 1)
