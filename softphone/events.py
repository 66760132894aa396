"""Softphone events: plain dicts, one JSON line each, so bots in other processes can be audited by tests.

Event keys: ``ts`` (ISO 8601, UTC), ``event``, ``account``; call events add ``caller``, ``display_name``,
``remote_uri``, ``sip_call_id`` and ``headers`` (the X-* headers of the INVITE, which is where the
router puts what it knows about the call); ``status_code``/``reason`` where a SIP status explains the
change.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

Event = dict[str, Any]
EventCallback = Callable[[Event], None]

REGISTERED = "registered"
REGISTRATION_FAILED = "registration_failed"
UNREGISTERED = "unregistered"
INCOMING = "incoming"
ANSWERED = "answered"
DISCONNECTED = "disconnected"
MESSAGE = "message"  # a SIP MESSAGE (the dispatch centre's incident text to an ambulance crew)

log = logging.getLogger(__name__)

_URI = re.compile(r"(sips?|tel):([^;>?\s]+)", re.IGNORECASE)
_DISPLAY_NAME = re.compile(r'^\s*"((?:[^"\\]|\\.)*)"|^\s*([^<"]+?)\s*<')


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def make_event(event: str, account: str, **fields: Any) -> Event:
    return {"ts": now_iso(), "event": event, "account": account, **fields}


def caller_from_uri(uri: str) -> str:
    """User part of a SIP/tel URI (the caller's number); '' for anonymous or unparsable URIs."""
    match = _URI.search(uri)
    if not match:
        return ""
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme == "tel":
        return rest
    user, at, _host = rest.partition("@")
    return user.partition(":")[0] if at else ""  # sip:user:password@host is legal, if rare


def display_name_from_uri(uri: str) -> str:
    match = _DISPLAY_NAME.match(uri)
    if not match:
        return ""
    return (match.group(1) if match.group(1) is not None else match.group(2) or "").strip()


def x_headers(whole_msg: str) -> dict[str, str]:
    """The X-* headers of a raw SIP message, folded lines joined, repeated headers comma-joined."""
    head = re.split(r"\r?\n\r?\n", whole_msg, maxsplit=1)[0]
    lines: list[str] = []
    for line in re.split(r"\r?\n", head)[1:]:  # skip the request line
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not name.lower().startswith("x-"):
            continue
        value = value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


class EventSink:
    """Writes events as JSON lines, flushed one by one so a reader can tail the file live."""

    def __init__(self, target: str | Path | TextIO) -> None:
        self._lock = threading.Lock()
        if isinstance(target, str | Path):
            if str(target) == "-":
                self._stream: TextIO = sys.stdout
                self._owned = False
            else:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                # Kept open for the sink's lifetime; close() releases it.
                self._stream = Path(target).open("a", encoding="utf-8")  # noqa: SIM115
                self._owned = True
        else:
            self._stream = target
            self._owned = False

    def write(self, event: Event) -> None:
        line = json.dumps(event, ensure_ascii=False, sort_keys=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def close(self) -> None:
        with self._lock:
            if self._owned:
                self._stream.close()


class EventBus:
    """Fans each event out to sinks and callbacks; a failing consumer is logged, never propagated,
    because events are emitted from inside pjsua2 callbacks where an exception aborts the process."""

    def __init__(self, sinks: list[EventSink] | None = None, callbacks: list[EventCallback] | None = None):
        self.sinks = list(sinks or [])
        self.callbacks = list(callbacks or [])

    def emit(self, event: Event) -> None:
        for sink in self.sinks:
            try:
                sink.write(event)
            except Exception:
                log.exception("event sink failed")
        for callback in self.callbacks:
            try:
                callback(event)
            except Exception:
                log.exception("event callback failed")

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
