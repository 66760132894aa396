"""What the console raises when input is bad or access is refused; the app turns these into responses.

`FieldError`, `InputError` and `NotFound` belong to the kernel (`kernel.dataerrors`), because the domains'
services raise them too; they are re-exported here so the console's modules keep one place to import
errors from. `Forbidden` and `NotLoggedIn` are the console's own: only it has logins.
"""

from __future__ import annotations

from typing import Any

from kernel.dataerrors import FieldError, InputError, NotFound
from kernel.messages import N_, Message

__all__ = ["FieldError", "Forbidden", "InputError", "NotFound", "NotLoggedIn", "schema_reason"]

# Pydantic's messages for the mistakes a form or a query can make, by error type, so they can be shown
# in the reader's language; any other type keeps pydantic's own English words.
_SCHEMA_MESSAGES = {
    "missing": N_("Field required"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_type": N_("Input should be a valid integer"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "string_too_long": N_("String should have at most {max_length} characters"),
    "string_too_short": N_("String should have at least {min_length} characters"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "greater_than": N_("Input should be greater than {gt}"),
    "less_than": N_("Input should be less than {lt}"),
    "literal_error": N_("Input should be {expected}"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime, {error}"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD, {error}"),
    "datetime_parsing": N_("Input should be a valid datetime, {error}"),
}


def _plain(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def schema_reason(error: Any) -> str:
    """A pydantic error as a translatable `Message` (its English text unchanged)."""
    msgid = _SCHEMA_MESSAGES.get(str(error.get("type")))
    if msgid is None:
        return str(error.get("msg", "invalid"))
    params = {k: _plain(v) for k, v in (error.get("ctx") or {}).items() if isinstance(v, str | int | float)}
    try:
        return Message(msgid, **params)
    except (KeyError, IndexError, ValueError):
        return str(error.get("msg", "invalid"))


class Forbidden(Exception):
    """The user is logged in but this data belongs to a kabupaten they do not hold (or they are read-only)."""


class NotLoggedIn(Exception):
    pass
