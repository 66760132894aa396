"""Getting call records into the database without slowing a call or losing a record.

The AGI scripts only `append` an event to their worker's spool file (one small write, no thread, no
database). One writer — a process of its own next to the engine, so its work never competes with a call
for a worker's interpreter — reads every spool file in the directory and moves the events into the
database in batches. While the database is locked or down the events stay in the spool and the writer
retries with a growing delay.

Spool files are `spool-<pid>-<n>.jsonl`. A worker holds an exclusive `flock` on the file it writes and
starts a new one past `max_bytes`; a file nobody holds (rotated away, or its worker died) is read to its
end and deleted by the writer. Applying an event twice is harmless (they are upserts), so a writer that
restarts may re-read what it had already written. A record is lost only if the local disk is.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from kernel.children import Child, fork_child
from kernel.db import make_engine
from routing.records.store import apply_batch, apply_event

log = logging.getLogger("siaga.records")

BATCH = 1000
MAX_RETRY_S = 30.0
MAX_SPOOL_BYTES = 4 * 1024 * 1024
_READ_BLOCK = 256 * 1024


class _Process:
    """This process's id, kept current across fork() by a hook: os.getpid() is a system call, and the
    spool is looked up on every call."""

    pid = os.getpid()

    @classmethod
    def forked(cls) -> None:
        cls.pid = os.getpid()


os.register_at_fork(after_in_child=_Process.forked)


class RecordSpool:
    """One process's spool: append-only JSON lines, the current file locked while this process lives."""

    def __init__(self, directory: Path, max_bytes: int = MAX_SPOOL_BYTES) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._pid = os.getpid()
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        self._handle: IO[bytes] | None = None
        self._size = 0  # bytes written to the current file (tell() on a text file costs more than the write)
        self.path: Path | None = None

    def _open(self) -> IO[bytes]:
        """A new spool file, locked before the writer can see it: it is made under a name the writer does
        not read, locked, then renamed (the lock stays with the open file). Made and locked in place, a
        writer pass could take the fresh, empty, not-yet-locked file for an abandoned one and delete it,
        and this worker would append its records to a file that no longer exists."""
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            path = self.directory / f"spool-{self._pid}-{next(self._serial)}.jsonl"
            if not path.exists():
                break
        hidden = self.directory / f".{path.name}.new"
        handle = hidden.open("ab")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(hidden, path)
        self._handle, self.path, self._size = handle, path, handle.seek(0, os.SEEK_END)
        return handle

    def append(self, record_event: dict[str, Any]) -> None:
        self.append_line(json.dumps(record_event, ensure_ascii=False, separators=(",", ":")) + "\n")

    def append_line(self, line: str) -> None:
        """One event already serialised, ending in a newline."""
        data = line.encode("utf-8")
        with self._lock:
            handle = self._handle or self._open()
            handle.write(data)
            handle.flush()
            self._size += len(data)
            if self._size >= self.max_bytes:
                handle.close()  # releases the lock: the writer finishes and deletes it
                self._handle = None

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None


def _read_lines(path: Path, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """Complete lines from `offset`; a half-written last line waits for its newline. Read in blocks
    rather than line by line (the writer's own CPU per call counts in the engine's)."""
    events: list[dict[str, Any]] = []
    with path.open("rb") as handle:
        handle.seek(offset)
        while len(events) < limit:
            block = handle.read(_READ_BLOCK)
            end = block.rfind(b"\n") + 1
            if not end:
                if len(block) == _READ_BLOCK:  # one line longer than a block: read it whole
                    handle.seek(offset)
                    line = handle.readline()
                    if line.endswith(b"\n"):
                        offset += len(line)
                        _decode(path, line, events)
                        continue
                break
            lines = block[:end].split(b"\n")[:-1][: limit - len(events)]
            for line in lines:
                offset += len(line) + 1
                _decode(path, line, events)
            handle.seek(offset)
    return events, offset


def _decode(path: Path, line: bytes, events: list[dict[str, Any]]) -> None:
    try:
        events.append(json.loads(line.decode("utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError):
        log.error("spool %s: unreadable line skipped: %r", path, line[:80])


def records_engine(url: str, busy_timeout_s: float = 1.0) -> Engine:
    """The writer's own engine: a locked SQLite database should cost it a second and a retry, not the 15 s
    the rest of siaga waits. Its schema is checked (or made) like every engine's, by `kernel.db`."""
    return make_engine(url, busy_timeout_s=busy_timeout_s)


class RecordWriter:
    """Moves every spooled event in `directory` into the database; run it in a thread or its own process."""

    def __init__(
        self,
        directory: Path,
        make_db: Callable[[], Engine],
        *,
        retry_s: float = 1.0,
        max_retry_s: float = MAX_RETRY_S,
        batch: int = BATCH,
        poll_s: float = 0.2,
        stop: threading.Event | None = None,
    ) -> None:
        self.directory = directory
        self._make_db = make_db
        self._db: Engine | None = None
        self._retry_s = retry_s
        self._max_retry_s = max_retry_s
        self._batch = batch
        self._poll_s = poll_s
        self._offsets: dict[Path, int] = {}
        self._stop = stop or threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0
        self.written = 0

    # -- running ------------------------------------------------------------------------------------
    def start_thread(self) -> RecordWriter:
        self._thread = threading.Thread(target=self.run, name="record-writer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def run(self) -> None:
        delay = self._retry_s
        while not self._stop.is_set():
            try:
                self.drain_once()
            except Exception as exc:  # the writer must outlive any database trouble
                self.failures += 1
                if self.failures == 1 or self.failures % 30 == 0:
                    reason = str(getattr(exc, "orig", exc))[:200]
                    log.warning("call records wait in %s: database not writable (%s)", self.directory, reason)
                self._stop.wait(delay)
                delay = min(delay * 2, self._max_retry_s)
                continue
            if self.failures:
                log.info("call records written again after %d failed attempt(s)", self.failures)
                self.failures = 0
            delay = self._retry_s
            # A pass drains every spool to its end, so waiting after a busy pass too costs a record at
            # most `poll_s` and lets events gather into bigger transactions: under load the writer used
            # to commit ~7 events at a time and spent more CPU per call than a routing decision.
            self._stop.wait(self._poll_s)
        try:
            self.drain_once()  # what arrived while stopping
        except Exception as exc:
            log.warning("call records left in %s for the next writer: %s", self.directory, exc)

    # -- one pass -----------------------------------------------------------------------------------
    def drain_once(self) -> bool:
        """Write what is waiting in every spool file; True if anything was written."""
        progressed = False
        for path in sorted(self.directory.glob("spool-*.jsonl")):
            progressed |= self._drain_file(path)
        return progressed

    def _drain_file(self, path: Path) -> bool:
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            self._offsets.pop(path, None)
            return False
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                finished = True  # nobody writes it any more: read it to the end, then delete it
            except BlockingIOError:
                finished = False
            offset = self._offsets.get(path, 0)
            wrote = False
            while True:
                events, new_offset = _read_lines(path, offset, self._batch)
                if events:
                    self._apply(events)
                    wrote = True
                offset = new_offset
                self._offsets[path] = offset
                if not events or len(events) < self._batch:
                    break
            if finished:
                path.unlink()
                self._offsets.pop(path, None)
            return wrote

    def _engine(self) -> Engine:
        if self._db is None:
            self._db = self._make_db()
        return self._db

    def _apply(self, events: list[dict[str, Any]]) -> None:
        engine = self._engine()
        try:
            with Session(engine) as session, session.begin():
                apply_batch(session, events)
        except OperationalError:
            raise  # locked or down: the whole batch waits and is retried
        except (SQLAlchemyError, KeyError, TypeError, ValueError):
            self._apply_one_by_one(engine, events)
        self.written += len(events)

    def _apply_one_by_one(self, engine: Engine, events: list[dict[str, Any]]) -> None:
        """A batch with a bad event: write the others and set the bad one aside, naming why."""
        for item in events:
            try:
                with Session(engine) as session, session.begin():
                    apply_event(session, item)
            except OperationalError:
                raise
            except (DBAPIError, SQLAlchemyError, KeyError, TypeError, ValueError) as exc:
                log.error("call record event for %s set aside: %s", item.get("call_id"), exc)
                rejected = self.directory / "rejected.jsonl"
                with rejected.open("a", encoding="utf-8") as out:
                    out.write(json.dumps({"error": str(exc)[:300], "event": item}) + "\n")

    def pending(self) -> bool:
        """Anything in the spools not yet written (tests wait on this)."""
        for path in self.directory.glob("spool-*.jsonl"):
            try:
                if path.stat().st_size > self._offsets.get(path, 0):
                    return True
            except FileNotFoundError:
                continue
        return False


class RecordKeeper:
    """The engine's record sink. Each process that appends (every pre-forked worker) gets its own spool;
    `start_writer` forks the one writer process, which stops with SIGTERM or when its parent is gone."""

    def __init__(self, directory: Path, make_db: Callable[[], Engine], retry_s: float = 1.0) -> None:
        self.directory = directory
        self._make_db = make_db
        self._retry_s = retry_s
        self._spool: RecordSpool | None = None
        self._writer: Child | None = None

    def append(self, record_event: dict[str, Any]) -> None:
        self._own_spool().append(record_event)

    def append_line(self, line: str) -> None:
        self._own_spool().append_line(line)

    def _own_spool(self) -> RecordSpool:
        spool = self._spool
        if spool is None or spool._pid != _Process.pid:  # first event in this (forked) process
            spool = self._spool = RecordSpool(self.directory)
        return spool

    def run_writer(self, stop: threading.Event) -> None:
        """The writer's body, in a process of its own (`start_writer`, or the engine's supervisor)."""
        RecordWriter(self.directory, self._make_db, retry_s=self._retry_s, stop=stop).run()

    def start_writer(self) -> int:
        """Fork the one writer process; it stops with SIGTERM or when its parent is gone."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._writer = fork_child("call record writer", self.run_writer)
        assert self._writer.pid is not None
        return self._writer.pid

    @property
    def writer_pid(self) -> int | None:
        return self._writer.pid if self._writer else None

    def stop_writer(self, timeout_s: float = 10.0) -> None:
        if self._writer is not None:
            self._writer.stop(timeout_s)
