"""Complaint numbers a caller can type back on a phone keypad: digits only, 8 to 10 long, the last digit
a Damm check digit.

Damm's algorithm (a weakly totally anti-symmetric quasigroup of order 10) was chosen over Verhoeff's
because it catches the same errors that matter on a keypad — every single wrong digit and every swap of
two neighbouring digits — with one 10×10 table instead of three, and no special case for the check digit.
A number is the complaint's sequence padded to at least 7 digits, then the check digit, so numbers stay
short while the desk is young and grow to 10 digits before they run out.
"""

from __future__ import annotations

from kernel.messages import N_, Message

MIN_LENGTH, MAX_LENGTH = 8, 10
_BODY_MIN = MIN_LENGTH - 1
MAX_SEQUENCE = 10 ** (MAX_LENGTH - 1) - 1

# The quasigroup from H. M. Damm's thesis (2004), as published with the algorithm.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def _interim(digits: str) -> int:
    state = 0
    for ch in digits:
        state = _DAMM[state][ord(ch) - 48]
    return state


def check_digit(body: str) -> str:
    """The digit that makes `body + digit` pass the check."""
    return str(_interim(body))


def new_number(sequence: int) -> str:
    """The number of the complaint stored as `sequence` (1, 2, …): `0000001` + its check digit."""
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"complaint sequence {sequence} is outside 1..{MAX_SEQUENCE}")
    body = str(sequence).zfill(_BODY_MIN)
    return body + check_digit(body)


def sequence_of(number: str) -> int:
    """The stored sequence of a number that passed `check_number`."""
    return int(number[:-1])


def check_number(text: str) -> str | None:
    """Why `text` cannot be a complaint number, in plain words a caller understands; None if it can."""
    value = text.strip()
    if not value:
        return N_("no complaint number was given")
    if not value.isascii() or not value.isdigit():
        return N_("a complaint number has digits only")
    if not MIN_LENGTH <= len(value) <= MAX_LENGTH:
        return Message(
            "a complaint number has {least} to {most} digits, this one has {count}",
            least=MIN_LENGTH,
            most=MAX_LENGTH,
            count=len(value),
        )
    if _interim(value) != 0:
        return N_("this is not a complaint number: a digit is wrong or two digits are swapped")
    return None
