"""The whole local system — Asterisk, the engine, answering bots — started and stopped as one.

Used by `siaga demo` and by the real-telephony tests, so both exercise the same start-up path.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from kernel.settings import Settings
from lab.pbx import SINGLE_NODE, NodePlace, asterisk_for, start_asterisk
from lab.processes import EngineProcess
from shifts.sipsecrets import endpoint_passwords
from softphone.bots import Bot, BotFleet

log = logging.getLogger("siaga.stack")


class Stack:
    def __init__(
        self, settings: Settings, *, dialplan_overlays: Iterable[Path] = (), place: NodePlace = SINGLE_NODE
    ) -> None:
        """`dialplan_overlays` are files of extra contexts appended to the generated extensions.conf, in
        order: test scenarios bring their own (tests/scenarios/*/dialplan.conf); production has none.
        `place`: this node's address and names when it is one of several (lab/cluster.py)."""
        self.settings = settings
        self.place = place
        self.dialplan_overlays = tuple(dialplan_overlays)
        self.asterisk = asterisk_for(settings)
        self.engine = EngineProcess(settings)
        self.bots: BotFleet | None = None

    @property
    def bots_dir(self) -> Path:
        return self.settings.run_dir / "bots"

    def start(
        self,
        bots: Iterable[Bot] = (),
        *,
        engine: bool = True,
        timeout_s: float = 60.0,
        detached: bool = False,
    ) -> None:
        start_asterisk(self.settings, extra_dialplan=self.extra_dialplan(), place=self.place)
        if engine:
            self.engine.start()
        specs = list(bots)
        if specs:
            shutil.rmtree(self.bots_dir, ignore_errors=True)  # events of an earlier run would mislead
            self.bots = BotFleet(
                specs,
                self.bots_dir,
                # Each bot registers with its endpoint's own secret, made when Asterisk started above.
                passwords=endpoint_passwords(self.settings, [s.username for s in specs]),
                server=f"{self.place.sip_host}:{self.settings.sip_port}",
                detached=detached,
            )
            self.bots.start()
            self.bots.wait_registered(timeout_s)
            self.wait_contacts({s.username for s in specs}, timeout_s)

    def extra_dialplan(self) -> str:
        """The overlays as one text, each under a comment naming its file, so a dialplan error in the
        generated config points back to the scenario that brought it."""
        return "\n".join(
            f"; --- overlay {path}\n{path.read_text(encoding='utf-8')}" for path in self.dialplan_overlays
        )

    def wait_contacts(self, endpoints: set[str], timeout_s: float) -> None:
        """Bots say they registered; wait until Asterisk agrees, so the first call can reach them."""
        deadline = time.monotonic() + timeout_s
        missing = endpoints
        while time.monotonic() < deadline:
            missing = endpoints - self.asterisk.registered_endpoints()
            if not missing:
                return
            time.sleep(0.3)
        raise TimeoutError(f"Asterisk has no contact for: {', '.join(sorted(missing))}")

    def stop(self) -> None:
        if self.bots is not None:
            self.bots.stop()
            self.bots = None
        self.engine.stop()
        self.asterisk.stop()

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
