"""Every module that declares tables, imported once so `Base.metadata` knows the whole schema.

A new table module adds one import line here.
"""

from __future__ import annotations

import desks.model  # noqa: F401
import geo.model  # noqa: F401
import routing.records.model  # noqa: F401
import shifts.model  # noqa: F401
import web.model  # noqa: F401
