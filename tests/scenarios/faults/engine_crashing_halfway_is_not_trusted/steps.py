"""What a table cannot say: an engine that dies halfway through its plan (signature:
tests/scenarios/README.md)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from agi import variables as v
from agi.protocol import AgiSession
from agi.scripts import ScriptTable
from agi.server import FastAgiServer
from tests.telephony.conftest import NEAREST, CallLab


def _half_a_plan(session: AgiSession) -> None:
    session.set_variable(v.route_n(1), f"PJSIP/{NEAREST}-op1")
    session.set_variable(v.ROUTE_COUNT, "1")
    raise RuntimeError("engine dies before ROUTE_STATUS")


@contextlib.contextmanager
def engine_crashing_halfway(lab: CallLab) -> Iterator[None]:
    """While the call is placed, the engine's port is served by a `route` script that writes ROUTE_1 and
    ROUTE_COUNT, then dies before ROUTE_STATUS; the real engine is back afterwards."""
    scripts = ScriptTable()
    scripts.register("route", _half_a_plan)
    lab.stack.engine.stop()
    crashing = FastAgiServer("127.0.0.1", lab.settings.agi_port, scripts, workers=1)
    crashing.start_background()
    try:
        yield
    finally:
        crashing.stop()
        lab.stack.engine.start()
