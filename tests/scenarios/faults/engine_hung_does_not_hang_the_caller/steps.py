"""What a table cannot say: an engine that hangs (signature: tests/scenarios/README.md)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

from tests.telephony.conftest import CallLab


@contextlib.contextmanager
def _hung_engine(port: int) -> Iterator[None]:
    """A server that accepts FastAGI connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", port))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


@contextlib.contextmanager
def engine_hung(lab: CallLab) -> Iterator[None]:
    """The engine's port is held by a server that never answers while the call is placed; the real
    engine is back afterwards."""
    lab.stack.engine.stop()
    try:
        with _hung_engine(lab.settings.agi_port):
            yield
    finally:
        lab.stack.engine.start()
