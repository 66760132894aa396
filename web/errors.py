"""What the console raises when input is bad or access is refused; the app turns these into responses.

`FieldError`, `InputError` and `NotFound` belong to the kernel (`kernel.dataerrors`), because the domains'
services raise them too; they are re-exported here so the console's modules keep one place to import
errors from. `Forbidden` and `NotLoggedIn` are the console's own: only it has logins.
"""

from __future__ import annotations

from kernel.dataerrors import FieldError, InputError, NotFound

__all__ = ["FieldError", "Forbidden", "InputError", "NotFound", "NotLoggedIn"]


class Forbidden(Exception):
    """The user is logged in but this data belongs to a kabupaten they do not hold (or they are read-only)."""


class NotLoggedIn(Exception):
    pass
