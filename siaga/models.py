"""Every module that declares tables, imported by the app's entry points (`siaga.cli`, `siaga.serve`,
`siaga.console`) so `Base.metadata` knows the whole schema before any engine is made.

A new table module adds itself to `TABLE_MODULES`.
"""

from __future__ import annotations

import complaints.model
import desks.model
import desks.overflow_model
import dispatch.alert_model
import dispatch.model
import geo.model
import kernel.audit
import kernel.revisions
import routing.records.model
import routing.tables_model
import shifts.model
import web.model

TABLE_MODULES = (
    complaints.model,
    desks.model,
    desks.overflow_model,
    dispatch.alert_model,
    dispatch.model,
    geo.model,
    kernel.audit,
    kernel.revisions,
    routing.records.model,
    routing.tables_model,
    shifts.model,
    web.model,
)
