"""The pre-forked server end to end over loopback TCP, with FakeAsterisk as the client."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from agi.protocol import AgiSession
from agi.scripts import ScriptTable
from agi.server import FastAgiServer
from agi.testing import FakeAsterisk
from tests.agi.support import (
    ROUTE_TARGET,
    LogFile,
    distinct_worker_pids,
    fake_for,
    logging_to,
    make_scripts,
    process_gone,
    wait_until,
    worker_pid,
)

StartServer = Callable[..., FastAgiServer]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeAsterisk, LogFile]]:
    """One server for the tests that do not need their own: 2 workers, short timeouts."""
    with logging_to(tmp_path_factory.mktemp("shared") / "agi.log") as log:
        server = FastAgiServer(
            "127.0.0.1",
            0,
            make_scripts(),
            workers=2,
            read_timeout_s=0.5,
            call_timeout_s=1.0,
            shutdown_grace_s=2.0,
        )
        server.start_background()
        try:
            yield fake_for(server), log
        finally:
            server.stop()


def assert_routes(fake: FakeAsterisk) -> None:
    """The server still answers a normal call completely."""
    result = fake.call("route")
    assert result.closed_cleanly, result.error
    assert result.variables["SIAGA_ROUTE_TARGET"] == ROUTE_TARGET


def test_handler_sets_variables(shared: tuple[FakeAsterisk, LogFile]) -> None:
    fake, _ = shared
    result = fake.call("route", ["emergency"])
    assert result.closed_cleanly
    assert result.error is None
    assert result.variables == {
        "SIAGA_ROUTE_TARGET": ROUTE_TARGET,
        "SIAGA_ROUTE_ARGS": "emergency",
        "SIAGA_UNIQUEID": result.env["agi_uniqueid"],
    }


def test_value_with_spaces_and_quotes_round_trips(shared: tuple[FakeAsterisk, LogFile]) -> None:
    fake, _ = shared
    values = ['Puskesmas "Cibinong" 24 jam', "a\\b \\", "'single' & ; | $(id)"]
    result = fake.call("echo", values)
    assert result.variables == {f"ECHO_{i}": value for i, value in enumerate(values, start=1)}


def test_value_with_newline_is_refused_and_logged(shared: tuple[FakeAsterisk, LogFile]) -> None:
    fake, log = shared
    result = fake.call("unsafe")
    assert result.closed_cleanly
    assert result.commands == []  # not even the first half of the command
    uid = result.env["agi_uniqueid"]
    line = log.wait_for(f"uid={uid} script=unsafe", "handler failed")
    assert "ERROR" in line
    assert "UnsafeValueError" in log.text()
    assert_routes(fake)


def test_unknown_script_is_logged_and_closed(shared: tuple[FakeAsterisk, LogFile]) -> None:
    fake, log = shared
    result = fake.call("no-such-script")
    assert result.closed_cleanly
    assert result.commands == []
    log.wait_for(f"uid={result.env['agi_uniqueid']}", "no AGI script 'no-such-script'")


def test_handler_exception_is_logged_and_server_keeps_serving(shared: tuple[FakeAsterisk, LogFile]) -> None:
    fake, log = shared
    results = [fake.call("boom") for _ in range(3)]
    assert all(r.closed_cleanly and r.variables == {} for r in results)
    for result in results:
        log.wait_for(f"uid={result.env['agi_uniqueid']} script=boom", "handler failed")
    assert "RuntimeError: boom from the handler" in log.text()
    assert_routes(fake)


@pytest.mark.parametrize(
    "call",
    [
        {"raw_env": b"agi_network: yes\nagi_network_script: route\n", "close_after_env": True},
        {"raw_env": b"agi_network: yes\nagi_network_script: route\n"},  # then silence
        {"raw_env": b"".join(b"agi_line_%d: value\n" % i for i in range(10_000)) + b"\n"},
        {"raw_env": bytes(range(256)) * 64, "close_after_env": True},
        {"raw_env": b"\xff\xfe\x00junk\n\n"},
        {"env": {"agi_network_script": None}},
    ],
    ids=["eof-before-blank-line", "silence", "10k-lines", "binary-junk", "not-utf8", "no-script"],
)
def test_garbled_environment_does_not_hang_the_server(
    shared: tuple[FakeAsterisk, LogFile], call: dict[str, Any]
) -> None:
    fake, log = shared
    result = fake.call("route", **call)
    assert result.error != "timeout"
    assert result.elapsed_s < 2.0  # read_timeout_s is 0.5
    assert result.variables == {}
    log.wait_for("AGI protocol error")
    assert_routes(fake)


def test_hanging_handler_is_cut_and_other_calls_are_served(shared: tuple[FakeAsterisk, LogFile]) -> None:
    fake, log = shared
    with ThreadPoolExecutor(max_workers=1) as pool:
        hung = pool.submit(fake.call, "hang")
        time.sleep(0.1)  # let one worker take the hanging call
        for _ in range(5):
            assert_routes(fake)  # served by the other worker meanwhile
        result = hung.result(timeout=5)
    assert result.closed_cleanly
    assert 0.8 < result.elapsed_s < 3.0  # call_timeout_s is 1.0
    log.wait_for(f"uid={result.env['agi_uniqueid']} script=hang", "exceeded call_timeout_s=1s")
    assert_routes(fake)


def test_peer_not_allowed_is_refused(start_server: StartServer, agi_log: LogFile) -> None:
    server = start_server(allowed_peers=("10.9.9.9", "fd00::/8"))
    result = fake_for(server).call("route")
    assert result.variables == {}
    assert result.commands == []
    agi_log.wait_for("refused FastAGI connection from 127.0.0.1")


def test_allowed_peers_accepts_networks(start_server: StartServer) -> None:
    server = start_server(allowed_peers=("127.0.0.0/8",))
    assert_routes(fake_for(server))


def test_bad_configuration_fails_at_construction() -> None:
    scripts = ScriptTable()
    with pytest.raises(ValueError):
        FastAgiServer("127.0.0.1", 0, scripts, allowed_peers=("localhost",))
    with pytest.raises(TypeError):
        FastAgiServer("127.0.0.1", 0, scripts, allowed_peers="127.0.0.1")
    with pytest.raises(ValueError):
        FastAgiServer("127.0.0.1", 0, scripts, workers=0)
    with pytest.raises(RuntimeError, match="not bound"):
        _ = FastAgiServer("127.0.0.1", 0, scripts).port


def test_killed_worker_is_restarted(start_server: StartServer, agi_log: LogFile) -> None:
    server = start_server(workers=1)
    fake = fake_for(server)
    first = worker_pid(fake)
    os.kill(first, signal.SIGKILL)
    agi_log.wait_for(f"(pid {first}) was killed by SIGKILL")
    second = wait_until(lambda: worker_pid(fake), timeout_s=5.0)
    assert second != first
    assert_routes(fake)


def test_worker_ignores_sigint(start_server: StartServer) -> None:
    server = start_server(workers=1)
    fake = fake_for(server)
    pid = worker_pid(fake)
    os.kill(pid, signal.SIGINT)
    time.sleep(0.1)
    assert worker_pid(fake) == pid


def test_on_worker_start_runs_in_each_worker(start_server: StartServer, tmp_path: Path) -> None:
    marker = tmp_path / "started"

    def on_worker_start() -> None:
        with marker.open("a") as out:
            out.write(f"{os.getpid()}\n")

    server = start_server(workers=3, on_worker_start=on_worker_start)
    wait_until(lambda: marker.exists() and len(set(marker.read_text().split())) == 3)
    pids = {int(p) for p in marker.read_text().split()}
    assert pids == distinct_worker_pids(fake_for(server), 3)
    assert os.getpid() not in pids
    assert server.supervisor_pid not in pids


def test_failing_on_worker_start_is_logged_and_retried_with_backoff(
    start_server: StartServer, agi_log: LogFile
) -> None:
    def on_worker_start() -> None:
        raise ConnectionError("database unreachable")

    start_server(workers=1, on_worker_start=on_worker_start)
    agi_log.wait_for("on_worker_start failed")
    agi_log.wait_for("exited with code 3", "restarting in 0.5s")
    agi_log.wait_for("exited with code 3", "restarting in 1.0s")
    assert "ConnectionError: database unreachable" in agi_log.text()


def test_stop_ends_every_process_and_frees_the_port(start_server: StartServer) -> None:
    server = start_server(workers=2)
    fake = fake_for(server)
    supervisor = server.supervisor_pid
    assert supervisor is not None
    workers = distinct_worker_pids(fake, 2)
    server.stop()
    assert process_gone(supervisor)
    wait_until(lambda: all(process_gone(pid) for pid in workers))
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", server.port), timeout=1),
    ):
        pass


def test_sigterm_stops_the_supervisor_gracefully(start_server: StartServer, agi_log: LogFile) -> None:
    server = start_server(workers=2)
    fake = fake_for(server)
    workers = distinct_worker_pids(fake, 2)
    supervisor = server.supervisor_pid
    assert supervisor is not None
    os.kill(supervisor, signal.SIGTERM)
    _, status = os.waitpid(supervisor, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert all(process_gone(pid) for pid in workers)
    agi_log.wait_for("received SIGTERM; stopping")


def test_workers_exit_when_the_supervisor_dies(start_server: StartServer) -> None:
    server = start_server(workers=2)
    fake = fake_for(server)
    workers = distinct_worker_pids(fake, 2)
    supervisor = server.supervisor_pid
    assert supervisor is not None
    os.kill(supervisor, signal.SIGKILL)
    os.waitpid(supervisor, 0)
    wait_until(lambda: all(process_gone(pid) for pid in workers))


def test_in_process_serve_forever_stops_on_sigterm(tmp_path: Path) -> None:
    """serve_forever() as a service runs it: in the main thread of its own process."""
    server = FastAgiServer("127.0.0.1", 0, make_scripts(), workers=1, shutdown_grace_s=2.0)
    port = server.bind()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            server.serve_forever()
            code = 0
        finally:
            os._exit(code)
    try:
        server.stop()  # the parent's copy of the listening socket
        assert_routes(FakeAsterisk("127.0.0.1", port))
    finally:
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_session_api_is_what_handlers_get(start_server: StartServer) -> None:
    scripts = ScriptTable()

    @scripts.register("inspect")
    def inspect(session: AgiSession) -> None:
        session.set_variable("SCRIPT", session.script)
        session.set_variable("ARGS", "|".join(session.args))
        session.set_variable("CALLER", session.env["agi_callerid"])
        session.set_variable("LAT", session.get_full_variable("${PJSIP_HEADER(read,X-Lat)}") or "none")

    server = start_server(scripts=scripts)
    result = fake_for(server).call(
        "inspect",
        ["emergency", "b"],
        env={"agi_callerid": "0219"},
        channel_vars={"PJSIP_HEADER(read,X-Lat)": "-6.4"},
    )
    assert result.variables == {"SCRIPT": "inspect", "ARGS": "emergency|b", "CALLER": "0219", "LAT": "-6.4"}


def test_serve_forever_in_the_main_thread_stops_from_another_thread(agi_log: LogFile) -> None:
    server = FastAgiServer("127.0.0.1", 0, make_scripts(), workers=1, shutdown_grace_s=2.0)
    port = server.bind()
    outcome: dict[str, Any] = {}

    def call_then_stop() -> None:
        try:
            outcome["result"] = FakeAsterisk("127.0.0.1", port, timeout_s=3.0).call("route")
        finally:
            server.stop()

    handlers_before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)}
    caller = threading.Thread(target=call_then_stop)
    caller.start()
    server.serve_forever()  # returns once the other thread has called stop()
    caller.join(timeout=5)
    assert outcome["result"].variables["SIAGA_ROUTE_TARGET"] == ROUTE_TARGET
    agi_log.wait_for("FastAGI server stopped")
    assert {sig: signal.getsignal(sig) for sig in handlers_before} == handlers_before  # restored


def test_context_manager_starts_and_stops() -> None:
    with FastAgiServer("127.0.0.1", 0, make_scripts(), workers=1) as server:
        assert_routes(fake_for(server))
        supervisor = server.supervisor_pid
    assert supervisor is not None and process_gone(supervisor)
    assert server.supervisor_pid is None


def _silent_connections(port: int, count: int, first_bytes: bytes = b"") -> list[socket.socket]:
    """Connections that send ``first_bytes`` (or nothing) and then say nothing more."""
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if first_bytes:
            sock.sendall(first_bytes)
        socks.append(sock)
    return socks


def _closed_by_server(sock: socket.socket, within_s: float) -> bool:
    sock.settimeout(within_s)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_idle_connections_do_not_delay_a_real_call(start_server: StartServer, agi_log: LogFile) -> None:
    """Silent sockets, and sockets that stop after one environment line, once held a worker each for the
    whole read timeout (5 s, past the dialplan's 3 s guard); now a call goes through at once."""
    server = start_server(workers=2, read_timeout_s=5.0, call_timeout_s=10.0)
    assert_routes(fake_for(server))  # both workers up
    idle = _silent_connections(server.port, 8)
    stalled = _silent_connections(server.port, 8, b"agi_network: yes\n")
    try:
        time.sleep(0.1)  # the stalled ones have reached the workers
        started = time.monotonic()
        for _ in range(3):
            assert_routes(fake_for(server, timeout_s=2.0))
        assert time.monotonic() - started < 1.5  # before: each silent socket held a worker for 5 s
        # The environment has a deadline of its own (1 s), well under the dialplan's 3 s.
        assert all(_closed_by_server(sock, 2.0) for sock in stalled)
        agi_log.wait_for("timed out reading the AGI environment")
    finally:
        for sock in idle + stalled:
            sock.close()


def test_one_peer_cannot_park_more_than_its_share_of_silent_connections(
    start_server: StartServer, agi_log: LogFile
) -> None:
    server = start_server(workers=1, max_waiting_per_peer=4, env_timeout_s=5.0)
    stalled = _silent_connections(server.port, 10, b"agi_network: yes\n")
    try:
        wait_until(lambda: len(agi_log.lines_with("waiting without a complete AGI environment")) >= 6)
        closed = [_closed_by_server(sock, 0.05) for sock in stalled]
        assert closed == [True] * 6 + [False] * 4  # the oldest go first; 4 still wait their turn
        assert_routes(fake_for(server))
    finally:
        for sock in stalled:
            sock.close()


def test_an_environment_in_pieces_is_put_together(start_server: StartServer) -> None:
    """A real Asterisk writes the environment line by line: a worker waits for the rest without blocking."""
    server = start_server(workers=1)
    fake = fake_for(server)
    env = "".join(f"{k}: {v}\n" for k, v in fake.environment("route").items()).encode() + b"\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as slow:
        slow.sendall(env[:40])
        time.sleep(0.2)
        assert_routes(fake)  # the worker is not stuck on the slow one
        slow.sendall(env[40:])
        reply = slow.recv(4096)
    assert reply.startswith(b'SET VARIABLE SIAGA_ROUTE_TARGET "PJSIP/puskesmas-cibinong"')
