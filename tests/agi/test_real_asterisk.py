"""The fake Asterisk is only worth its speed if it parses as the real one does: the same lines, to both.

One real Asterisk 22 (our sid root) runs a one-line dialplan that hands a Local channel to a FastAGI
server of the test's own; the handler sends what the engine sends and reads back what Asterisk stored.
Issue 17: an unescaped "(" in MSet glued ROUTE_STATUS onto a caller id, and DB_KEYS of a backlog came
back longer than the engine's reply line.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from agi.outcome import first_keys, pending_keys_expression
from agi.protocol import AgiSession, quote_argument
from agi.testing import FakeAsterisk, FakeCallResult
from kernel.settings import Settings
from lab.asterisk import Asterisk, AsteriskConfig, render_config

pytestmark = pytest.mark.telephony

ROOT = Settings().asterisk_root
HOSTILE = [
    "0812(",
    "0812)",
    "[Rawat Inap",
    'Puskesmas "Sehat" (Rawat [Inap], Barat\\',
    "trailing\\",
    "a,b",
    "x=y",
    "${EXTEN}",
    "",
    "pipe|here",
]
# What the engine sent before issue 17, and what MSet does at its limit of 99 pairs.
RAW_MSETS = [
    "A=0812(,B=2,ROUTE_STATUS=OK",
    'A="quoted, with comma",B=[x,y],C=f(a,b)',
    ",".join(f"M{i}=x\\(" for i in range(100)),
]
MSET_NAMES = [["A", "B", "ROUTE_STATUS"], ["A", "B", "C"], ["M97", "M98", "M99"]]

Handler = Callable[[AgiSession], None]


def _free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RealAsterisk:
    """Runs one handler per originated call on a FastAGI listener of the test's own."""

    def __init__(self, asterisk: Asterisk, listener: socket.socket) -> None:
        self.asterisk = asterisk
        self.listener = listener

    def run(self, handler: Handler, timeout_s: float = 20.0) -> None:
        errors: list[BaseException] = []

        def serve() -> None:
            conn, _ = self.listener.accept()
            with conn:
                try:
                    handler(AgiSession.open(conn, read_timeout_s=5.0))
                except BaseException as exc:
                    errors.append(exc)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        self.asterisk.cli("channel originate Local/s@siaga-probe application Wait 30")
        thread.join(timeout_s)
        assert not thread.is_alive(), "Asterisk did not run the probe's AGI"
        if errors:
            raise errors[0]


@pytest.fixture(scope="module")
def real_asterisk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealAsterisk]:
    if not (ROOT / "usr/sbin/asterisk").exists():
        pytest.skip(f"Asterisk is not installed in {ROOT}")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(20)
    port = listener.getsockname()[1]
    run_dir = tmp_path_factory.mktemp("asterisk")
    rtp = 20000 + _free_port() % 20000
    config = AsteriskConfig(
        sip_bind=f"127.0.0.1:{_free_port(socket.SOCK_DGRAM)}",
        agi_address=f"127.0.0.1:{port}",
        rtp_start=rtp,
        rtp_end=rtp + 20,
    )
    probe = f"[siaga-probe]\nexten => s,1,AGI(agi://127.0.0.1:{port}/probe)\n same => n,Hangup()\n"
    render_config(run_dir, config, [], extra_dialplan=probe)
    asterisk = Asterisk(ROOT, run_dir)
    asterisk.start()
    try:
        yield RealAsterisk(asterisk, listener)
    finally:
        asterisk.stop()
        listener.close()


def _fake_variables(command: str) -> dict[str, str]:
    result = FakeCallResult()
    FakeAsterisk(port=1)._reply(command, result, {})
    return result.variables


def test_mset_splits_as_the_fake_says_and_our_escaping_survives_it(real_asterisk: RealAsterisk) -> None:
    seen: dict[str, object] = {}

    def probe(session: AgiSession) -> None:
        for data, names in zip(RAW_MSETS, MSET_NAMES, strict=True):
            session._execute("EXEC", "MSet", quote_argument(data))
            seen[data] = {name: session.get_full_variable(f"${{{name}}}") for name in names}
            session._execute("EXEC", "MSet", quote_argument(",".join(f"{n}=" for n in names)))
        pairs = [(f"V{i}", value) for i, value in enumerate(HOSTILE)] + [("ROUTE_STATUS", "OK")]
        session.set_variables(pairs)
        seen["escaped"] = [(name, session.get_full_variable(f"${{{name}}}")) for name, _ in pairs]
        for i, value in enumerate(HOSTILE):
            session.set_variable(f"S{i}", value)
        seen["set"] = [session.get_full_variable(f"${{S{i}}}") for i in range(len(HOSTILE))]

    real_asterisk.run(probe)
    assert seen["A=0812(,B=2,ROUTE_STATUS=OK"] == {
        "A": "0812(,B=2,ROUTE_STATUS=OK",
        "B": "",
        "ROUTE_STATUS": "",
    }
    for data, names in zip(RAW_MSETS, MSET_NAMES, strict=True):
        fake = _fake_variables(f"EXEC MSet {quote_argument(data)}")
        assert seen[data] == {name: fake.get(name, "") for name in names}, data
    assert seen["escaped"] == [(f"V{i}", value) for i, value in enumerate(HOSTILE)] + [("ROUTE_STATUS", "OK")]
    assert seen["set"] == HOSTILE


def test_db_keys_is_not_cut_by_asterisk_so_the_engine_cuts_it_there(real_asterisk: RealAsterisk) -> None:
    keys = [f"siaga-17000{n:05d}.{n}" for n in range(500)]
    seen: dict[str, object] = {}

    def probe(session: AgiSession) -> None:
        for key in keys:
            session._execute("DATABASE PUT", "siaga_probe", key, "v")
        session._lines.send_line(f"GET FULL VARIABLE {quote_argument('${DB_KEYS(siaga_probe)}')}")
        seen["whole"] = len(session._lines.read_line(1 << 20))
        seen["cut"] = session.get_full_variable(pending_keys_expression("siaga_probe"))
        seen["gone"] = session.get_full_variable("${DB_DELETE(siaga_probe/no-such-key)}")
        session._execute("DATABASE DELTREE", "siaga_probe")

    started = time.monotonic()
    real_asterisk.run(probe)
    assert time.monotonic() - started < 20
    assert isinstance(seen["whole"], int) and seen["whole"] > 8192  # longer than the engine's reply line
    assert first_keys(str(seen["cut"])) == sorted(keys)[: len(first_keys(str(seen["cut"])))]
    assert len(first_keys(str(seen["cut"]))) >= 10
    assert seen["gone"] == ""  # what a report already collected by another worker looks like
