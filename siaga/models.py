"""Every module that declares tables, imported once so `Base.metadata` knows the whole schema.

A new table module adds one import line here.
"""

from __future__ import annotations

import shifts.model  # noqa: F401
