"""Pre-forked FastAGI server: a supervising parent and N worker processes on one listening socket.

Why processes rather than threads: each worker's main thread can use signals (SIGALRM cuts a
hung call), a crash or a hang costs one worker rather than the server, and calls run in parallel
without sharing a GIL. Forking once per worker rather than once per connection was measured at ~4x
the throughput. Each new connection wakes one idle worker, not all of them (EPOLLEXCLUSIVE): with
4 workers the others' wasted wake-ups cost about a sixth of the throughput. Light load therefore
tends to go to the same worker; a busy or hung worker is not waiting, so it is never the one woken.

The parent binds the socket *before* forking, so the port accepts connections (queued in the
backlog) as soon as :meth:`FastAgiServer.bind` returns. It then only supervises: it restarts a
worker that dies, and on SIGTERM/SIGINT it closes the "death pipe" every worker watches, so idle
workers exit at once and busy ones after their current call. The same pipe reaching EOF is how a
worker notices that the parent died without a chance to clean up.

A connection gets a worker's attention only once its whole AGI environment has arrived. Until then it
waits, costing nothing but a file descriptor, in the poll set of the worker that accepted it, for at most
``env_timeout_s`` (1 s, well under the dialplan's 3 s AGI guard): a few sockets that connect and say
nothing (a port scanner, a half-dead load balancer, an attacker on the signalling network) used to hold
each of the 4 workers for the full read timeout and so delayed every real call. The listener also asks
the kernel (TCP_DEFER_ACCEPT) not to hand over a connection before its first bytes, and each worker caps
how many such waiting connections one peer address may have; past the cap its oldest is closed. On
loopback every peer is 127.0.0.1, so the cap is a bound on silent sockets rather than a per-client
quota: real Asterisk connections never wait there for more than a moment, so they are not the ones
evicted.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import select
import signal
import socket
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Final

from agi.protocol import (
    DEFAULT_ENV_TIMEOUT_S,
    DEFAULT_READ_TIMEOUT_S,
    AgiProtocolError,
    AgiSession,
    CallLog,
    EnvironmentParser,
    call_log,
)
from agi.scripts import ScriptTable
from kernel.children import describe_exit

LOGGER_NAME: Final = "siaga.agi.server"

EXIT_OK: Final = 0
EXIT_WORKER_START_FAILED: Final = 3
EXIT_CRASHED: Final = 70

# A worker that dies sooner than this after starting is restarted with a growing delay, so a
# failing on_worker_start (database down) does not turn into a fork loop.
_MIN_UPTIME_S: Final = 1.0
_BACKOFF_FIRST_S: Final = 0.5
_BACKOFF_MAX_S: Final = 30.0
_SUPERVISOR_TICK_S: Final = 1.0
# Connections still sending their environment, per worker: per peer address, and in all.
DEFAULT_MAX_WAITING_PER_PEER: Final = 32
_MAX_WAITING: Final = 512
# One worker woken per new connection instead of all of them (Linux >= 4.5; 0 elsewhere).
_EPOLLEXCLUSIVE: Final = getattr(select, "EPOLLEXCLUSIVE", 0)
_PEER_CACHE_MAX: Final = 1024
_RECV_CHUNK: Final = 4096
# Blocked around fork() so a signal cannot reach a new worker before it has reset its handlers.
_FORK_BLOCKED_SIGNALS: Final = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP})


class CallTimeout(BaseException):
    """Raised inside a worker when a call runs past ``call_timeout_s``.

    A BaseException, like KeyboardInterrupt, so a handler's own ``except Exception`` cannot
    swallow it and keep the worker stuck.
    """


def _raise_call_timeout(signum: int, frame: FrameType | None) -> None:
    raise CallTimeout("call exceeded call_timeout_s")


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    """A Python-level SIGCHLD handler, so the signal wakes the supervisor through its wakeup fd."""


@contextmanager
def _call_deadline(seconds: float | None) -> Iterator[None]:
    if seconds is None:
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _close_quietly(resource: socket.socket | int) -> None:
    """Close an inherited fd in a new worker; it may already be gone, which is fine to note and skip."""
    try:
        if isinstance(resource, int):
            os.close(resource)
        else:
            resource.close()
    except OSError as exc:
        logging.getLogger(LOGGER_NAME).debug("closing inherited fd failed: %s", exc)


@dataclass
class _Waiting:
    """A connection whose AGI environment has not fully arrived yet."""

    conn: socket.socket
    host: str
    peer: str
    parser: EnvironmentParser
    deadline: float


@dataclass
class _WorkerSlot:
    index: int
    pid: int | None = None
    started_at: float = 0.0
    restart_at: float = 0.0
    quick_exits: int = 0


class FastAgiServer:
    """FastAGI server: ``serve_forever()`` in a service, ``start_background()``/``stop()`` in tests.

    Every connection: refuse peers outside ``allowed_peers``, wait (without holding the worker) for the
    AGI environment for at most ``env_timeout_s``, find the script in ``scripts``, run its handler under
    ``call_timeout_s``, each reply bounded by ``read_timeout_s``. Each worker keeps at most
    ``max_waiting_per_peer`` connections from one address waiting for their environment (the oldest
    is closed to make room). No exception escapes a call: it is logged with the call's unique id and
    script and the connection is closed, so the dialplan sees no route variables and falls back.
    """

    def __init__(
        self,
        host: str,
        port: int,
        scripts: ScriptTable,
        *,
        workers: int = 4,
        read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
        on_worker_start: Callable[[], None] | None = None,
        allowed_peers: Collection[str] = ("127.0.0.1", "::1"),
        call_timeout_s: float | None = 10.0,
        shutdown_grace_s: float = 5.0,
        backlog: int = 128,
        on_supervisor_tick: Callable[[], None] | None = None,
        env_timeout_s: float = DEFAULT_ENV_TIMEOUT_S,
        max_waiting_per_peer: int = DEFAULT_MAX_WAITING_PER_PEER,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        if read_timeout_s <= 0:
            raise ValueError(f"read_timeout_s must be positive, not {read_timeout_s}")
        if env_timeout_s <= 0:
            raise ValueError(f"env_timeout_s must be positive, not {env_timeout_s}")
        if max_waiting_per_peer < 1:
            raise ValueError(f"max_waiting_per_peer must be at least 1, not {max_waiting_per_peer}")
        if call_timeout_s is not None and call_timeout_s <= 0:
            raise ValueError(f"call_timeout_s must be positive or None, not {call_timeout_s}")
        if isinstance(allowed_peers, str):
            raise TypeError("allowed_peers must be a collection of addresses, not a single string")
        self._host = host
        self._requested_port = port
        self._scripts = scripts
        self._workers = workers
        self._read_timeout_s = read_timeout_s
        self._on_worker_start = on_worker_start
        # Addresses or networks ("10.1.2.0/24"); a typo fails here, at startup, not per call.
        self._allowed_networks = tuple(ipaddress.ip_network(peer, strict=False) for peer in allowed_peers)
        self._call_timeout_s = call_timeout_s
        self._shutdown_grace_s = shutdown_grace_s
        self._backlog = backlog
        # Called in the supervisor's loop (each tick, and on SIGCHLD): the engine restarts its helpers here.
        self.on_supervisor_tick = on_supervisor_tick
        self._env_timeout_s = env_timeout_s
        self._max_waiting_per_peer = max_waiting_per_peer
        self._peer_cache: dict[str, bool] = {}
        self._log = logging.getLogger(LOGGER_NAME)
        self._listener: socket.socket | None = None
        self._port: int | None = None
        self._stop_requested = False
        self._stop_signal: int | None = None
        self._wake_w: socket.socket | None = None
        self._background_pid: int | None = None
        self._background_watch_w: int | None = None

    # --- public API --------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        """The bound port (useful with port 0); available once :meth:`bind` has run."""
        if self._port is None:
            raise RuntimeError(
                "FastAgiServer is not bound yet: call bind(), serve_forever() or start_background()"
            )
        return self._port

    @property
    def supervisor_pid(self) -> int | None:
        """Pid of the background supervisor started by :meth:`start_background`, else None."""
        return self._background_pid

    def bind(self) -> int:
        """Create the listening socket (idempotent) and return the port; connections queue from now on."""
        if self._port is not None:
            if self._listener is None:
                raise RuntimeError("the listening socket was handed to a supervisor; create a new server")
            return self._port
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        listener = socket.create_server(
            (self._host, self._requested_port), family=family, backlog=self._backlog
        )
        listener.setblocking(False)  # workers race for each connection; losers get EAGAIN
        # Accepted sockets inherit it: commands and replies are single small writes, never held back.
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if hasattr(socket, "TCP_DEFER_ACCEPT"):
            # No worker wakes for a connection before its first bytes (Asterisk sends the environment
            # at once); a silent one is handed over only after about this many seconds.
            listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 1)
        self._listener = listener
        self._port = port = int(listener.getsockname()[1])
        self._log.info("FastAGI listening on %s port %d", self._host, port)
        return port

    def serve_forever(self) -> None:
        """Run the supervisor in this process until SIGTERM/SIGINT or :meth:`stop`; main thread only."""
        self.bind()
        listener = self._listener
        assert listener is not None
        self._listener = None
        self._supervise(listener, watch_fd=None)

    def start_background(self) -> None:
        """Fork a supervisor process running :meth:`serve_forever`; returns once the port is listening.

        The supervisor also watches a pipe from this process, so it (and its workers) stop even
        if this process dies without calling :meth:`stop`.
        """
        if self._background_pid is not None:
            raise RuntimeError("FastAgiServer is already running in the background")
        self.bind()
        listener = self._listener
        assert listener is not None
        watch_r, watch_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the supervisor
            code = EXIT_CRASHED
            try:
                os.close(watch_w)
                self._supervise(listener, watch_fd=watch_r)
                code = EXIT_OK
            except BaseException:
                self._log.exception("FastAGI supervisor crashed")
            finally:
                os._exit(code)
        os.close(watch_r)
        listener.close()  # the supervisor owns it now; .port stays known
        self._listener = None
        self._background_pid = pid
        self._background_watch_w = watch_w
        self._log.info("FastAGI supervisor started in the background (pid %d)", pid)

    def stop(self, timeout_s: float | None = None) -> None:
        """Stop the server: the background supervisor, or the in-process one (from a thread or handler)."""
        if self._background_pid is not None:
            self._stop_background(timeout_s)
        elif self._wake_w is not None:
            self._stop_requested = True
            self._wake()
        elif self._listener is not None:
            self._listener.close()
            self._listener = None

    def __enter__(self) -> FastAgiServer:
        self.start_background()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- background supervisor, seen from the controlling process ---------------------------
    def _stop_background(self, timeout_s: float | None) -> None:
        pid = self._background_pid
        assert pid is not None and self._background_watch_w is not None
        os.close(self._background_watch_w)  # EOF tells the supervisor to shut down gracefully
        self._background_watch_w = None
        self._background_pid = None
        deadline = time.monotonic() + (self._shutdown_grace_s + 2.0 if timeout_s is None else timeout_s)
        while time.monotonic() < deadline:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                return
            if done:
                self._log.info("FastAGI supervisor (pid %d) %s", pid, describe_exit(status))
                return
            time.sleep(0.01)
        self._log.warning("FastAGI supervisor (pid %d) did not stop in time; killing it", pid)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

    # --- supervisor -----------------------------------------------------------------------
    def _supervise(self, listener: socket.socket, watch_fd: int | None) -> None:
        self._stop_requested = False
        self._stop_signal = None
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        death_r, death_w = os.pipe()
        slots = [_WorkerSlot(index) for index in range(self._workers)]
        previous_handlers = {
            sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)
        }
        previous_wakeup_fd = -1
        inherited: list[socket.socket | int] = [wake_r, wake_w, death_w]
        if watch_fd is not None:
            inherited.append(watch_fd)
        try:
            signal.signal(signal.SIGTERM, self._on_stop_signal)
            signal.signal(signal.SIGINT, self._on_stop_signal)
            signal.signal(signal.SIGCHLD, _ignore_signal)
            previous_wakeup_fd = signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
            self._wake_w = wake_w
            for slot in slots:
                self._start_worker(slot, listener, death_r, inherited)
            self._log.info("FastAGI supervisor running %d workers (pid %d)", self._workers, os.getpid())
            watched: list[socket.socket | int] = [wake_r] if watch_fd is None else [wake_r, watch_fd]
            while not self._stop_requested:
                readable, _, _ = select.select(watched, [], [], self._next_wakeup(slots))
                self._drain(wake_r)
                if watch_fd is not None and watch_fd in readable:
                    self._log.info("controlling process closed its pipe; stopping")
                    break
                self._reap(slots, restart=True)
                self._restart_due(slots, listener, death_r, inherited)
                if self.on_supervisor_tick is not None:
                    try:
                        self.on_supervisor_tick()
                    except Exception:
                        self._log.exception("supervisor tick failed")
            if self._stop_signal is not None:
                self._log.info("received %s; stopping", signal.Signals(self._stop_signal).name)
        finally:
            self._wake_w = None
            self._stop_workers(slots, death_w)
            os.close(death_r)
            listener.close()
            signal.set_wakeup_fd(previous_wakeup_fd)
            for sig, handler in previous_handlers.items():
                signal.signal(sig, handler)
            wake_r.close()
            wake_w.close()
            if watch_fd is not None:
                os.close(watch_fd)
            self._log.info("FastAGI server stopped")

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        # No logging here: the handler may interrupt a logging call holding the handler's lock.
        self._stop_requested = True
        self._stop_signal = signum

    def _wake(self) -> None:
        wake_w = self._wake_w
        if wake_w is None:
            return
        try:
            wake_w.send(b"\0")
        except OSError as exc:  # full buffer: the supervisor is already due to wake up
            self._log.debug("wakeup byte not sent: %s", exc)

    @staticmethod
    def _drain(wake_r: socket.socket) -> None:
        while True:
            try:
                if not wake_r.recv(4096):
                    return
            except (BlockingIOError, InterruptedError):
                return

    @staticmethod
    def _next_wakeup(slots: list[_WorkerSlot]) -> float:
        now = time.monotonic()
        pending = [slot.restart_at - now for slot in slots if slot.pid is None]
        return max(0.0, min([_SUPERVISOR_TICK_S, *pending]))

    def _start_worker(
        self, slot: _WorkerSlot, listener: socket.socket, death_r: int, inherited: list[socket.socket | int]
    ) -> None:
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _FORK_BLOCKED_SIGNALS)
        try:
            pid = os.fork()
        except OSError:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            self._log.exception("could not fork worker %d; retrying", slot.index)
            slot.restart_at = time.monotonic() + _BACKOFF_FIRST_S
            return
        if pid == 0:  # the worker; never returns
            code = EXIT_CRASHED
            try:
                for resource in inherited:
                    _close_quietly(resource)
                self._prepare_worker_signals()
                signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
                code = self._worker_main(slot.index, listener, death_r)
            except BaseException:
                self._log.exception("worker %d crashed", slot.index)
            finally:
                os._exit(code)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        slot.pid = pid
        slot.started_at = time.monotonic()
        self._log.info("worker %d started (pid %d)", slot.index, pid)

    def _reap(self, slots: list[_WorkerSlot], *, restart: bool) -> None:
        now = time.monotonic()
        for slot in slots:
            if slot.pid is None:
                continue
            try:
                pid, status = os.waitpid(slot.pid, os.WNOHANG)
            except ChildProcessError:
                self._log.error("worker %d (pid %d) vanished without an exit status", slot.index, slot.pid)
                pid, status = slot.pid, 0
            if pid == 0:
                continue
            uptime = now - slot.started_at
            slot.pid = None
            if not restart:
                self._log.debug("worker %d (pid %d) %s", slot.index, pid, describe_exit(status))
                continue
            if uptime < _MIN_UPTIME_S:
                slot.quick_exits += 1
                delay = min(_BACKOFF_MAX_S, _BACKOFF_FIRST_S * 2 ** (slot.quick_exits - 1))
            else:
                slot.quick_exits = 0
                delay = 0.0
            slot.restart_at = now + delay
            self._log.warning(
                "worker %d (pid %d) %s after %.1fs; restarting in %.1fs",
                slot.index,
                pid,
                describe_exit(status),
                uptime,
                delay,
            )

    def _restart_due(
        self,
        slots: list[_WorkerSlot],
        listener: socket.socket,
        death_r: int,
        inherited: list[socket.socket | int],
    ) -> None:
        now = time.monotonic()
        for slot in slots:
            if slot.pid is None and slot.restart_at <= now and not self._stop_requested:
                self._start_worker(slot, listener, death_r, inherited)

    def _stop_workers(self, slots: list[_WorkerSlot], death_w: int) -> None:
        os.close(death_w)  # every worker's death pipe reaches EOF
        deadline = time.monotonic() + self._shutdown_grace_s
        while any(slot.pid is not None for slot in slots) and time.monotonic() < deadline:
            self._reap(slots, restart=False)
            time.sleep(0.01)
        for slot in slots:
            if slot.pid is not None:
                self._log.warning(
                    "worker %d (pid %d) still busy after %.1fs; killing it",
                    slot.index,
                    slot.pid,
                    self._shutdown_grace_s,
                )
                try:
                    os.kill(slot.pid, signal.SIGKILL)
                    os.waitpid(slot.pid, 0)
                except ChildProcessError:
                    self._log.debug("worker %d was already reaped", slot.index)
                slot.pid = None

    # --- worker ---------------------------------------------------------------------------
    @staticmethod
    def _prepare_worker_signals() -> None:
        signal.set_wakeup_fd(-1)  # the supervisor's wakeup socket is not ours
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C hits the whole group; the parent decides
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGALRM, _raise_call_timeout)

    def _worker_main(self, index: int, listener: socket.socket, death_r: int) -> int:
        if self._on_worker_start is not None:
            try:
                self._on_worker_start()
            except Exception:
                self._log.exception("worker %d: on_worker_start failed; worker exits", index)
                return EXIT_WORKER_START_FAILED
        waiting: dict[int, _Waiting] = {}
        poller = select.epoll()
        try:
            poller.register(listener.fileno(), select.EPOLLIN | _EPOLLEXCLUSIVE)
            poller.register(death_r, select.EPOLLIN)
            while True:
                events = poller.poll(self._poll_timeout(waiting))
                ready = {fd for fd, _ in events}
                if death_r in ready:
                    self._log.debug("worker %d: supervisor stopping or gone; exiting", index)
                    return EXIT_OK
                for fd in ready:
                    if fd in waiting:
                        self._on_readable(waiting, fd)
                if listener.fileno() in ready:
                    self._accept(index, listener, waiting, poller)
                self._expire(waiting, poller)
        finally:
            for item in waiting.values():
                _close_quietly(item.conn)
            poller.close()

    @staticmethod
    def _poll_timeout(waiting: dict[int, _Waiting]) -> float:
        if not waiting:
            return -1
        return max(0.0, min(item.deadline for item in waiting.values()) - time.monotonic())

    def _accept(
        self, index: int, listener: socket.socket, waiting: dict[int, _Waiting], poller: select.epoll
    ) -> None:
        try:
            conn, address = listener.accept()
        except (BlockingIOError, InterruptedError):
            return  # another worker took this connection
        except OSError as exc:  # e.g. EMFILE: back off instead of spinning
            self._log.error("worker %d: accept failed: %s", index, exc)
            time.sleep(0.1)
            return
        host = address[0]
        peer = f"{host}:{address[1]}"
        if not self._peer_allowed(host):
            log = call_log(self._log, unique_id=f"(peer {peer})")
            log.warning("refused FastAGI connection from %s: not in allowed_peers", peer)
            conn.close()
            return
        item = _Waiting(conn, host, peer, EnvironmentParser(), time.monotonic() + self._env_timeout_s)
        if self._take_bytes(item):
            return
        self._make_room(waiting, poller, host)
        waiting[conn.fileno()] = item
        poller.register(conn.fileno(), select.EPOLLIN)

    def _take_bytes(self, item: _Waiting) -> bool:
        """Read what has arrived without waiting; True once the connection is finished with (served
        or closed), False while its environment is still incomplete."""
        try:
            chunk = item.conn.recv(_RECV_CHUNK, socket.MSG_DONTWAIT)
            if not chunk:
                raise AgiProtocolError("connection closed by the peer while reading the AGI environment")
            if not item.parser.feed(chunk):
                return False
        except (BlockingIOError, InterruptedError):
            return False
        except (AgiProtocolError, OSError) as exc:
            self._drop(item, str(exc))
            return True
        self._serve_connection(item)
        return True

    def _on_readable(self, waiting: dict[int, _Waiting], fd: int) -> None:
        item = waiting[fd]
        if item.deadline <= time.monotonic():
            return  # expired: _expire closes it with the timeout as the reason
        if self._take_bytes(item):
            del waiting[fd]  # served or dropped, so closed: which also took it out of the poll set

    def _expire(self, waiting: dict[int, _Waiting], poller: select.epoll) -> None:
        now = time.monotonic()
        for fd in [fd for fd, item in waiting.items() if item.deadline <= now]:
            item = waiting.pop(fd)
            poller.unregister(fd)
            what = "nothing" if item.parser.received == 0 else "no complete AGI environment"
            self._drop(item, f"timed out reading the AGI environment: {what} in {self._env_timeout_s:g}s")

    def _make_room(self, waiting: dict[int, _Waiting], poller: select.epoll, host: str) -> None:
        """Keep the waiting connections of one peer (and of all) under the caps: the oldest goes first,
        as the likeliest to be idle; a real call's environment arrives within milliseconds."""
        same_peer = [fd for fd, item in waiting.items() if item.host == host]
        victims = []
        if len(same_peer) >= self._max_waiting_per_peer:
            victims.append(same_peer[0])
        elif len(waiting) >= _MAX_WAITING:
            victims.append(next(iter(waiting)))
        for fd in victims:
            item = waiting.pop(fd)
            poller.unregister(fd)
            self._drop(
                item,
                f"{len(same_peer)} connections from {host} are waiting without a complete AGI "
                "environment; closed the oldest",
            )

    def _drop(self, item: _Waiting, reason: str) -> None:
        log = call_log(self._log, unique_id=f"(peer {item.peer})")
        log.warning("AGI protocol error; closing: %s", reason)
        _close_quietly(item.conn)

    def _peer_allowed(self, host: str) -> bool:
        # Remembered per address: parsing it costs more than the rest of accepting a connection.
        allowed = self._peer_cache.get(host)
        if allowed is None:
            if len(self._peer_cache) >= _PEER_CACHE_MAX:
                self._peer_cache.clear()
            allowed = self._peer_cache[host] = self._check_peer(host)
        return allowed

    def _check_peer(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self._allowed_networks)

    def _serve_connection(self, item: _Waiting) -> None:
        """Run the call whose environment has arrived, in this worker, under ``call_timeout_s``."""
        session: AgiSession | None = None

        def log() -> CallLog:
            # Built only when something is logged: most calls log nothing here.
            if session is None:
                return call_log(self._log, unique_id=f"(peer {item.peer})")
            return call_log(self._log, unique_id=session.unique_id, script=session.script)

        with item.conn as conn:
            try:
                with _call_deadline(self._call_timeout_s):
                    session = AgiSession.from_parser(conn, item.parser, read_timeout_s=self._read_timeout_s)
                    handler = self._scripts.get(session.script)
                    if handler is None:
                        log().warning(
                            "no AGI script %r is registered; closing without routing", session.script
                        )
                        return
                    handler(session)
                    if self._log.isEnabledFor(logging.DEBUG):
                        log().debug("call handled")
            except CallTimeout:
                log().error("call exceeded call_timeout_s=%gs; closing without routing", self._call_timeout_s)
            except AgiProtocolError as exc:
                log().warning("AGI protocol error; closing: %s", exc)
            except Exception:
                log().exception("AGI script handler failed; closing without routing")
