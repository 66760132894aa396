"""What a table cannot say: the engine is stopped for the first call (signature: see
tests/scenarios/README.md)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tests.telephony.conftest import CallLab


@contextlib.contextmanager
def engine_stopped(lab: CallLab) -> Iterator[None]:
    """The engine is stopped while the call is placed, and started again once it is over."""
    lab.stack.engine.stop()
    try:
        yield
    finally:
        lab.stack.engine.start()
