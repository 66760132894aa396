"""A small, strict client for Asterisk's manager interface (AMI): log in, send an action, read its answer.

Why our own: the engine needs three or four actions (AstDB reports, queue members), synchronously, from
processes that already fork and must not carry a library's threads. AMI is line-based text; every value
we send is checked for line breaks (a value with CR/LF would be a second header, i.e. an injected
action), and every read is bounded in time and size so a stuck Asterisk costs a timeout, not a hang.

Unsolicited events are switched off at login (`Events: off`); an action that answers with a list
(`EventList: start`) is read until its `…Complete` event.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from types import TracebackType

log = logging.getLogger("siaga.ami")

MAX_LINE = 8192
MAX_MESSAGE_LINES = 200
MAX_LIST_EVENTS = 100_000


class ManagerError(RuntimeError):
    """Asterisk's manager interface refused, broke off or never answered; the message says which."""


@dataclass(frozen=True)
class Message:
    """One AMI message: its headers in order (a key may repeat, e.g. `Output:`)."""

    headers: tuple[tuple[str, str], ...]

    def get(self, key: str, default: str = "") -> str:
        lower = key.lower()
        return next((v for k, v in self.headers if k.lower() == lower), default)

    @property
    def is_success(self) -> bool:
        return self.get("Response").lower() in ("success", "follows", "goodbye")


@dataclass
class Reply:
    response: Message
    events: list[Message] = field(default_factory=list)


def _check_value(name: str, value: str) -> str:
    if any(c in value for c in "\r\n\0") or len(value) > 1024:
        raise ValueError(f"AMI field {name!r}: a value may not hold a line break or exceed 1024 characters")
    return value


class ManagerClient:
    """One logged-in connection. Not thread-safe; one per process (open it after forking)."""

    def __init__(self, host: str, port: int, username: str, secret: str, *, timeout_s: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._secret = secret
        self.timeout_s = timeout_s
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._ids = itertools.count(1)
        self._prefix = f"siaga-{os.getpid()}-"

    # -- connection ---------------------------------------------------------------------------------
    def connect(self) -> ManagerClient:
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except OSError as exc:
            raise ManagerError(
                f"cannot reach Asterisk's manager interface on {self.host}:{self.port}: {exc}"
            ) from exc
        self._sock.settimeout(self.timeout_s)
        banner = self._read_line(time.monotonic() + self.timeout_s)
        if not banner.startswith("Asterisk Call Manager"):
            self.close()
            raise ManagerError(
                f"{self.host}:{self.port} is not Asterisk's manager interface: {banner[:60]!r}"
            )
        reply = self.action("Login", Username=self.username, Secret=self._secret, Events="off")
        if not reply.response.is_success:
            self.close()
            raise ManagerError(f"manager login as {self.username!r} refused: {reply.response.get('Message')}")
        return self

    def close(self) -> None:
        sock, self._sock = self._sock, None
        self._buffer = b""
        if sock is not None:
            try:
                sock.close()
            except OSError as exc:
                log.debug("closing the manager connection: %s", exc)

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def __enter__(self) -> ManagerClient:
        return self.connect() if self._sock is None else self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._sock is not None and kind is None:
            with contextlib.suppress(ManagerError, OSError):
                self.action("Logoff")
        self.close()

    # -- actions ------------------------------------------------------------------------------------
    def action(self, name: str, **fields: str) -> Reply:
        """Send one action and read its reply; a list action's events are read up to the Complete event."""
        if self._sock is None:
            raise ManagerError("not connected to the manager interface")
        action_id = f"{self._prefix}{next(self._ids)}"
        lines = [f"Action: {_check_value('Action', name)}", f"ActionID: {action_id}"]
        lines += [f"{_check_value(k, k)}: {_check_value(k, str(v))}" for k, v in fields.items()]
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
        deadline = time.monotonic() + self.timeout_s
        try:
            self._sock.sendall(payload)
            response = self._read_for(action_id, deadline)
            reply = Reply(response)
            if response.get("EventList").lower() == "start":
                while True:
                    event = self._read_for(action_id, deadline)
                    if event.get("EventList").lower() == "complete" or event.get("Event").endswith(
                        "Complete"
                    ):
                        break
                    reply.events.append(event)
                    if len(reply.events) > MAX_LIST_EVENTS:
                        raise ManagerError(f"{name}: more than {MAX_LIST_EVENTS} events in one answer")
            return reply
        except (OSError, ManagerError) as exc:
            self.close()  # the stream is out of step: never reuse it
            if isinstance(exc, ManagerError):
                raise
            raise ManagerError(f"{name}: manager connection failed: {exc}") from exc

    def _read_for(self, action_id: str, deadline: float) -> Message:
        """The next message carrying our ActionID (stray events from before `Events: off` are skipped)."""
        while True:
            message = self._read_message(deadline)
            if message.get("ActionID") == action_id:
                return message

    def _read_message(self, deadline: float) -> Message:
        headers: list[tuple[str, str]] = []
        while True:
            line = self._read_line(deadline)
            if line == "":
                if headers:
                    return Message(tuple(headers))
                continue
            key, sep, value = line.partition(":")
            headers.append((key.strip(), value.strip() if sep else ""))
            if len(headers) > MAX_MESSAGE_LINES:
                raise ManagerError(f"a manager message of more than {MAX_MESSAGE_LINES} lines")

    def _read_line(self, deadline: float) -> str:
        sock = self._sock
        if sock is None:
            raise ManagerError("not connected to the manager interface")
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_LINE:
                raise ManagerError(f"a manager line longer than {MAX_LINE} bytes")
            left = deadline - time.monotonic()
            if left <= 0:
                raise ManagerError(f"no answer from the manager interface within {self.timeout_s:g} s")
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except TimeoutError as exc:
                raise ManagerError(
                    f"no answer from the manager interface within {self.timeout_s:g} s"
                ) from exc
            if not chunk:
                raise ManagerError("the manager interface closed the connection")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", errors="replace")
