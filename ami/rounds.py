"""The loop of an engine helper that works through the manager interface every few seconds (the desk
member sync, the callback placer): one connection kept between rounds, rebuilt after the manager
interface fails, and any other failure (the database) logged while the helper goes on, since the helper
must outlive both. Failures are logged at the first and every 60th, so an Asterisk that is down for an
hour fills no log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ami.client import ManagerClient, ManagerError


def run_rounds(
    connect: Callable[[], ManagerClient],
    work: Callable[[ManagerClient], object],
    interval_s: float,
    stop: threading.Event,
    log: logging.Logger,
    failing: str,
    recovered: str = "",
) -> None:
    """`work` every `interval_s` until `stop`. `failing` says what is not done while rounds fail;
    `recovered`, if given, is logged (with the count of failed rounds) when one succeeds again."""
    client: ManagerClient | None = None
    failures = 0
    try:
        while not stop.is_set():
            try:
                if client is None or not client.connected:
                    client = connect()
                work(client)
                if failures and recovered:
                    log.info("%s after %d failed attempt(s)", recovered, failures)
                failures = 0
            except ManagerError as exc:
                failures += 1
                if failures == 1 or failures % 60 == 0:
                    log.warning("%s: %s", failing, exc)
                if client is not None:
                    client.close()
                client = None
            except Exception:
                failures += 1
                if failures == 1 or failures % 60 == 0:
                    log.exception(failing)
            stop.wait(interval_s)
    finally:
        if client is not None:
            client.close()
