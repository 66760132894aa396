"""The AGI protocol for one FastAGI connection: a small codec of our own, written to res_agi's rules.

Everything Asterisk sends is treated as hostile (the environment carries caller-controlled text such as
the caller-ID name) and everything we send is validated, because an AGI command line is a command channel:
a newline inside a value starts a new command (``EXEC System …``).

pyst2 0.5.1 (unmaintained since 2019) used to be the command/reply codec. It was replaced because the
workarounds had become most of the code and it cost CPU on every command: its constructor reads the
environment unbounded and installs a process-wide SIGHUP handler, it quotes arguments without escaping
``"`` or ``\\``, cannot parse FastAGI's ``HANGUP`` line, loops forever on EOF after a ``520`` reply, and
pretty-prints every reply for a debug trace nobody reads (measured: about a fifth of a worker's CPU per
call). What we speak instead is exactly what res_agi does (res/res_agi.c):

* a command is one line, read by Asterisk with fgets() into ``AGI_BUF_LEN`` (2048) bytes: a longer line
  is split and its tail runs as a second command, so ours are refused past 2047 bytes;
* arguments are split by ``parse_args()``: blanks separate, ``"…"`` groups, ``\\`` makes the next character
  literal (see :func:`quote_argument`);
* each reply is one line ``200 result=<n>[ (<data>)]``, or ``510``/``511``, or a ``520-`` usage block that
  ends with a ``520 `` line; FastAGI adds a ``HANGUP`` line when the caller hangs up.

``EXEC MSet`` adds a second parser, the application's (``ast_app_separate_args``), see :func:`mset_escape`.
"""

from __future__ import annotations

import logging
import re
import socket
import struct
import time
from collections.abc import MutableMapping, Sequence
from typing import Any, Final, NamedTuple

LOGGER_NAME: Final = "siaga.agi.protocol"
TRACE_LOGGER_NAME: Final = "siaga.agi.trace"
_LOG: Final = logging.getLogger(LOGGER_NAME)
_TRACE: Final = logging.getLogger(TRACE_LOGGER_NAME)

DEFAULT_READ_TIMEOUT_S: Final = 5.0
# The whole environment must arrive within this. Asterisk writes it right after connecting, in well
# under a millisecond; the dialplan gives the engine agi_timeout_s (3 s) for the whole call, so a peer
# that has sent no complete environment after a second is not Asterisk and must not hold a worker.
DEFAULT_ENV_TIMEOUT_S: Final = 1.0
ENV_MAX_LINES: Final = 200
ENV_MAX_LINE_BYTES: Final = 1024
REPLY_MAX_LINE_BYTES: Final = 8192
# Asterisk reads each command with fgets() into a 2048-byte buffer (AGI_BUF_LEN in res_agi.c):
# a longer line is split and its tail runs as a *second command*. So a command line, newline
# included, must fit in 2047 bytes.
MAX_COMMAND_BYTES: Final = 2047
# MSet parses its argument into at most 99 pairs (pbx_builtin_setvar_multiple, main/pbx_variables.c).
# ast_app_separate_args() leaves the 99th slot holding the rest of the string *unparsed* (escapes kept),
# so at most 98 pairs go in one MSet.
MSET_MAX_PAIRS: Final = 98

_VARIABLE_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_KEY_RE: Final = re.compile(r"agi_[a-z0-9_]{1,64}")
# A whole well-formed environment line, for the one-pass fast path over a complete block.
_ENV_LINE_RE: Final = re.compile(r"^(agi_[a-z0-9_]{1,64}): ?(.*)$", re.MULTILINE)
_CONTROL_CHAR_RE: Final = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_NEWLINE_RE: Final = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
# What ast_app_separate_args() treats specially in an application's argument (main/app.c): the
# delimiter, quotes, backslash, and the (…) and […] it keeps together. A backslash before any of them
# makes it literal; the backslash itself is removed. The backslash is escaped first (see mset_escape).
_MSET_SPECIAL: Final = ',"()[]'
_LOG_LABEL_MAX: Final = 64
_RECV_CHUNK: Final = 4096


class AgiError(Exception):
    """Base class for AGI errors raised by this package."""


class AgiProtocolError(AgiError):
    """Asterisk (or whatever connected) broke the protocol: garbled environment, EOF, timeout."""


class AgiCommandError(AgiError):
    """Asterisk answered a command with an error (510/511/520, result=-1, unknown reply)."""


class UnsafeValueError(AgiError, ValueError):
    """A name or value we were asked to send could change the meaning of the AGI command line."""


class CallLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes every line with the call's unique id (and script) so one call can be grepped."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        extra = dict(self.extra or {})
        extra.update(kwargs.get("extra") or {})
        kwargs["extra"] = extra
        return f"[{extra.get('call_label', '-')}] {msg}", kwargs


def call_log(logger: logging.Logger, *, unique_id: str, script: str | None = None) -> CallLog:
    """A :class:`CallLog` for one call; the label is truncated because the id comes off the wire."""
    uid = unique_id[:_LOG_LABEL_MAX]
    label = f"uid={uid}" if script is None else f"uid={uid} script={script[:_LOG_LABEL_MAX]}"
    return CallLog(logger, {"unique_id": uid, "agi_script": script, "call_label": label})


def _preview(text: str | bytes, limit: int = 40) -> str:
    """A short, escaped rendering of hostile input, safe to put in a log line or error."""
    return repr(text[:limit]) + ("…" if len(text) > limit else "")


_CHECKED_NAMES: set[str] = set()
_CHECKED_NAMES_MAX: Final = 4096


def check_variable_name(name: str) -> None:
    """Refuse names that are not plain dialplan variable names (no functions, no spaces)."""
    if name in _CHECKED_NAMES:
        return  # the same few dozen names go out on every call; each is checked once per process
    if not isinstance(name, str):
        raise TypeError(f"variable name must be str, not {type(name).__name__}")
    if not _VARIABLE_NAME_RE.fullmatch(name):
        raise UnsafeValueError(f"invalid channel variable name {_preview(name)}")
    if len(_CHECKED_NAMES) < _CHECKED_NAMES_MAX:
        _CHECKED_NAMES.add(name)


def check_safe_text(what: str, text: str) -> None:
    """Refuse control characters: CR/LF would end the command line, NUL truncates it in C."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be str, not {type(text).__name__}")
    match = _CONTROL_CHAR_RE.search(text)
    if match:
        raise UnsafeValueError(
            f"{what} contains control character {match.group()!r} (CR, LF, NUL and other control "
            "characters are refused: they could inject AGI commands)"
        )


def quote_argument(text: str) -> str:
    """Quote one AGI argument the way res_agi's parse_args() unquotes it (``\\`` escapes)."""
    check_safe_text("AGI argument", text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quote_checked(text: str) -> str:
    """:func:`quote_argument` for text already checked for control characters."""
    if '"' in text or "\\" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text + '"'


def mset_escape(value: str) -> str:
    """``value`` written so MSet's argument parser hands it over whole and unchanged.

    MSet splits its argument with ast_app_separate_args(): on ``,`` outside quotes, but also never
    inside ``(…)`` or ``[…]`` (an unclosed ``(`` in a caller id such as ``0812(`` therefore glues every
    later pair, ROUTE_STATUS included, onto that value), and it removes quotes and backslashes. A
    backslash before each of those characters makes it literal. The name/value split on ``=`` that
    follows stops at the first ``=`` (our names have none) and leaves the value as it is.
    """
    # One str.replace per character present, each a pass in C: ~20x cheaper on a plan's values than a
    # regular expression substitution, which called back into Python for every match.
    value = value.replace("\\", "\\\\")
    for char in _MSET_SPECIAL:
        if char in value:
            value = value.replace(char, "\\" + char)
    return value


class _Reply(NamedTuple):
    result: str
    """The value after ``result=`` (``"0"``, ``"1"``, ``"-2"``, …)."""
    data: str | None
    """The text in parentheses after it, or None when there is none."""


def parse_reply(line: str) -> _Reply:
    """Parse a ``200 result=<n>[ (<data>)]`` line; raise :class:`AgiCommandError` for anything else.

    Asterisk writes GET FULL VARIABLE's answer as ``(%s)``, so the data runs to the *last* ``)``: a
    value may contain parentheses of its own.
    """
    if not line.startswith("200 result="):
        code = line[:3]
        meaning = {"510": "invalid or unknown command", "511": "command not permitted on a dead channel"}
        what = meaning.get(code, "usage error" if code == "520" else "unexpected reply")
        raise AgiCommandError(f"{what} ({_preview(line, 80)})")
    rest = line[11:]
    result, _, tail = rest.partition(" ")
    data = None
    if tail.startswith("("):
        close = tail.rfind(")")
        if close > 0:
            data = tail[1:close]
    if result == "-1":
        raise AgiCommandError(f"result=-1: the application failed or the channel hung up ({_preview(line)})")
    return _Reply(result, data)


class EnvironmentParser:
    """Collects the ``agi_*`` block as its bytes arrive and checks every line against the caps.

    Fed by :meth:`AgiSession.open` (blocking) and by the server while a connection waits for its
    environment without holding a worker. Raises :class:`AgiProtocolError` as soon as the bytes
    already received cannot be a valid environment, so a flood is refused without being buffered.
    """

    def __init__(self, *, max_lines: int = ENV_MAX_LINES, max_line_bytes: int = ENV_MAX_LINE_BYTES) -> None:
        self.max_lines = max_lines
        self.max_line_bytes = max_line_bytes
        self.env: dict[str, str] = {}
        self.dropped: list[str] = []
        self.complete = False
        self.rest = b""
        """Bytes after the blank line (a HANGUP notice, say): the start of the reply stream."""
        self.received = 0
        self._buffer = bytearray()
        self._pos = 0
        self._count = 0

    def feed(self, data: bytes) -> bool:
        """Add received bytes; True once the blank line that ends the environment has arrived."""
        self.received += len(data)
        self._buffer += data
        if self._pos == 0 and self._fast_path():
            return True
        self._scan()
        return self.complete

    def _fast_path(self) -> bool:
        """The usual case in one pass: a complete, clean block in the first bytes received."""
        buffer = self._buffer
        end = buffer.find(b"\n\n")
        if end < 0 or len(buffer) > self.max_lines * self.max_line_bytes:
            return False
        block = bytes(buffer[:end])
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            return False
        if _CONTROL_BUT_NEWLINE_RE.search(text):
            return False  # CR line ends, control characters to drop: the careful path says which
        raw_lines = block.split(b"\n")
        pairs = _ENV_LINE_RE.findall(text)
        if (
            len(pairs) != len(raw_lines)
            or len(raw_lines) > self.max_lines
            or max(map(len, raw_lines)) > self.max_line_bytes
        ):
            return False
        env = dict(pairs)
        if len(env) != len(pairs):
            return False  # a duplicate key: the careful path names it
        self.env = env
        self._count = len(pairs)
        self.rest = bytes(buffer[end + 2 :])
        self.complete = True
        return True

    def _scan(self) -> None:
        buffer = self._buffer
        while not self.complete:
            newline = buffer.find(b"\n", self._pos)
            if newline < 0:
                if len(buffer) - self._pos > self.max_line_bytes:
                    raise AgiProtocolError(f"environment line longer than {self.max_line_bytes} bytes")
                return
            if newline - self._pos > self.max_line_bytes:
                raise AgiProtocolError(f"environment line longer than {self.max_line_bytes} bytes")
            raw = bytes(buffer[self._pos : newline])
            self._pos = newline + 1
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if not raw:
                self.complete = True
                self.rest = bytes(buffer[self._pos :])
                return
            self._line(raw)

    def _line(self, raw: bytes) -> None:
        self._count += 1
        if self._count > self.max_lines:
            raise AgiProtocolError(f"AGI environment has more than {self.max_lines} lines")
        try:
            line, readable = raw.decode("utf-8"), True
        except UnicodeDecodeError:
            # A display name in another encoding must not cost the caller the routing: drop the value.
            line, readable = raw.decode("utf-8", errors="replace"), False
        key, sep, value = line.partition(":")
        if not sep or not _ENV_KEY_RE.fullmatch(key):
            raise AgiProtocolError(f"malformed AGI environment line {self._count}: {_preview(line)}")
        if key in self.env or key in self.dropped:
            # Only an injected line can repeat a key; first-wins or last-wins would both be guesses.
            raise AgiProtocolError(f"duplicate AGI environment key {key}")
        value = value.removeprefix(" ")
        if not readable or _CONTROL_CHAR_RE.search(value):
            self.dropped.append(key)
            return
        self.env[key] = value


def _timeval(seconds: float) -> bytes:
    """A ``struct timeval`` for SO_RCVTIMEO/SO_SNDTIMEO; never zero, which would mean "wait forever"."""
    micros = max(1, round(seconds * 1_000_000))
    return struct.pack("ll", micros // 1_000_000, micros % 1_000_000)


class _SocketLines:
    """Line I/O on the FastAGI socket with caps and timeouts: a peer can neither hang nor flood us.

    Timeouts are the kernel's (SO_RCVTIMEO/SO_SNDTIMEO on a blocking socket) rather than Python's
    socket timeout, which polls before every recv and send: one system call instead of two, on each
    of the seven reads and writes of a routed call.
    """

    def __init__(self, sock: socket.socket, read_timeout_s: float, initial: bytes = b"") -> None:
        self._sock = sock
        self._timeout_s = read_timeout_s
        self._buffer = bytearray(initial)
        if sock.gettimeout() is not None:
            sock.settimeout(None)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(read_timeout_s))
        self._receive_timeout = -1.0  # SO_RCVTIMEO not set yet
        self.hangup_seen = False
        self.log: logging.Logger | CallLog = _LOG

    def _set_receive_timeout(self, timeout: float) -> None:
        if timeout != self._receive_timeout:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(timeout))
            self._receive_timeout = timeout

    def read_line(self, max_bytes: int, *, deadline: float | None = None, phase: str = "reply") -> bytes:
        """One line without its terminator; raises AgiProtocolError instead of hanging or growing."""
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                if newline > max_bytes:
                    raise AgiProtocolError(f"{phase} line longer than {max_bytes} bytes")
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                return line[:-1] if line.endswith(b"\r") else line
            if len(self._buffer) > max_bytes:
                raise AgiProtocolError(f"{phase} line longer than {max_bytes} bytes")
            self._buffer += self.receive(deadline, phase)

    def receive(self, deadline: float | None, phase: str) -> bytes:
        """Some bytes from the socket, within the read timeout (and ``deadline``); never b"" (EOF raises)."""
        timeout = self._timeout_s
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AgiProtocolError(f"timed out reading the AGI {phase}")
            timeout = min(timeout, left)
        self._set_receive_timeout(timeout)
        try:
            chunk = self._sock.recv(_RECV_CHUNK)
        except (BlockingIOError, TimeoutError) as exc:
            raise AgiProtocolError(f"timed out reading the AGI {phase} after {timeout:.3g}s") from exc
        except OSError as exc:
            raise AgiProtocolError(f"connection error while reading the AGI {phase}: {exc}") from exc
        if not chunk:
            raise AgiProtocolError(f"connection closed by the peer while reading the AGI {phase}")
        return chunk

    def read_reply(self) -> str:
        """The next reply line, skipping FastAGI's ``HANGUP`` notices (dead-channel commands still work)."""
        while True:
            line = self.read_line(REPLY_MAX_LINE_BYTES).decode("utf-8", errors="replace")
            if line.strip() != "HANGUP":
                return line
            if not self.hangup_seen:
                self.log.info("Asterisk reports the channel hung up")
            self.hangup_seen = True

    def send_line(self, body: str, *, checked: bool = False) -> None:
        """Send one command line; the last line of defence against injection, whoever built it.

        ``checked``: the caller has just refused control characters in every part of ``body`` itself.
        """
        if not checked:
            check_safe_text("AGI command", body)
        data = (body + "\n").encode("utf-8")
        if len(data) > MAX_COMMAND_BYTES:
            raise UnsafeValueError(
                f"AGI command is {len(data)} bytes; Asterisk splits lines over {MAX_COMMAND_BYTES} bytes "
                "into two commands"
            )
        try:
            self._sock.sendall(data)
        except (BlockingIOError, TimeoutError) as exc:
            raise AgiProtocolError(f"timed out sending an AGI command after {self._timeout_s:g}s") from exc
        except OSError as exc:
            raise AgiProtocolError(f"connection error while sending an AGI command: {exc}") from exc


def read_environment(
    lines: _SocketLines,
    *,
    timeout_s: float,
    max_lines: int = ENV_MAX_LINES,
    max_line_bytes: int = ENV_MAX_LINE_BYTES,
) -> tuple[dict[str, str], list[str]]:
    """Read the ``agi_*`` block up to its blank line; return it and the keys dropped as unsafe.

    The whole block shares one deadline, so a peer dripping a byte at a time cannot hold a worker.
    """
    deadline = time.monotonic() + timeout_s
    parser = EnvironmentParser(max_lines=max_lines, max_line_bytes=max_line_bytes)
    data = bytes(lines._buffer)
    lines._buffer.clear()
    while not parser.feed(data):
        data = lines.receive(deadline, "environment")
    lines._buffer[:0] = parser.rest
    return parser.env, parser.dropped


def script_name(network_script: str) -> str:
    """The path part of ``agi_network_script``: ``"route?x=1"`` and ``"/route/"`` give ``"route"``."""
    return network_script.split("?", 1)[0].strip("/")


class AgiSession:
    """One call's AGI conversation: the environment Asterisk sent and the commands we may send.

    Create it with :meth:`open` (or :meth:`from_parser` once a server has the environment). Handlers
    use :attr:`script`, :attr:`args`, :attr:`env`, :meth:`set_variable`, :meth:`set_variables`,
    :meth:`get_full_variable` and :meth:`verbose`; every name and value sent is validated and raises
    :class:`UnsafeValueError` before anything reaches the socket.
    """

    def __init__(
        self, lines: _SocketLines, env: dict[str, str], dropped_keys: list[str] | None = None
    ) -> None:
        network_script = env.get("agi_network_script")
        if network_script is None:
            raise AgiProtocolError("AGI environment has no agi_network_script (no script in the agi:// URL?)")
        self.env: dict[str, str] = env
        self.script: str = script_name(network_script)
        self.unique_id: str = env.get("agi_uniqueid") or "unknown"
        self.args: list[str] = []
        while (arg := env.get(f"agi_arg_{len(self.args) + 1}")) is not None:
            self.args.append(arg)
        self.log = call_log(_LOG, unique_id=self.unique_id, script=self.script)
        for key in dropped_keys or ():
            self.log.warning(
                "ignored AGI environment value %s: not UTF-8 or it contains control characters", key
            )
        self._lines = lines
        lines.log = self.log
        # Decided once per call: the trace costs nothing unless someone asked for it.
        self._trace: CallLog | None = (
            call_log(_TRACE, unique_id=self.unique_id, script=self.script)
            if _TRACE.isEnabledFor(logging.DEBUG)
            else None
        )

    @classmethod
    def open(
        cls,
        sock: socket.socket,
        *,
        read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
        env_timeout_s: float | None = None,
        max_env_lines: int = ENV_MAX_LINES,
        max_env_line_bytes: int = ENV_MAX_LINE_BYTES,
    ) -> AgiSession:
        """Read the environment from a freshly accepted FastAGI socket (the caller keeps owning it).

        The environment shares one deadline, ``env_timeout_s`` (``read_timeout_s`` when not given).
        """
        lines = _SocketLines(sock, read_timeout_s)
        env, dropped = read_environment(
            lines,
            timeout_s=read_timeout_s if env_timeout_s is None else env_timeout_s,
            max_lines=max_env_lines,
            max_line_bytes=max_env_line_bytes,
        )
        return cls(lines, env, dropped)

    @classmethod
    def from_parser(
        cls, sock: socket.socket, parser: EnvironmentParser, *, read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    ) -> AgiSession:
        """A session on ``sock`` whose environment ``parser`` has already read completely."""
        if not parser.complete:
            raise ValueError("the AGI environment is not complete yet")
        return cls(_SocketLines(sock, read_timeout_s, parser.rest), parser.env, parser.dropped)

    @property
    def hung_up(self) -> bool:
        """True once Asterisk has said the channel hung up (dead-channel commands still work)."""
        return self._lines.hangup_seen

    def set_variable(self, name: str, value: str) -> None:
        """``SET VARIABLE``; ``value`` is stored verbatim by Asterisk (quotes, spaces, backslashes)."""
        check_variable_name(name)
        check_safe_text(f"value of {name}", value)
        self._execute("SET VARIABLE", name, quote_argument(value))

    def get_full_variable(self, expr: str) -> str | None:
        """Evaluate a dialplan expression such as ``${CHANNEL}`` on this channel.

        Asterisk answers ``200 result=1 ()`` for an unset variable, so unset and empty both give
        ``""``; ``None`` means Asterisk answered ``result=0`` (channel gone) or the value holds
        control characters (treated as missing, like the environment).
        """
        reply = self._execute("GET FULL VARIABLE", _quote_checked(expr))  # send_line checks it
        if reply.result != "1":
            return None
        value = reply.data or ""
        if _CONTROL_CHAR_RE.search(value):
            self.log.warning("ignored value of %s: it contains control characters", _preview(expr))
            return None
        return value

    def set_variables(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Several variables in as few round trips as MSet allows, set in the order given.

        Every value goes through whole, whatever it holds (:func:`mset_escape`); names are checked as
        for :meth:`set_variable`. Up to :data:`MSET_MAX_PAIRS` pairs share one ``EXEC MSet``, so the
        last pair is always set by the last command: a plan's ROUTE_STATUS stays last.
        """
        if not pairs:
            return
        names = [name for name, _ in pairs]
        for name in names:
            check_variable_name(name)
        # One search over all the values rather than one per value: most plans are clean.
        values = "\n".join(value for _, value in pairs)
        if _CONTROL_BUT_NEWLINE_RE.search(values) or values.count("\n") != len(pairs) - 1:
            for name, value in pairs:
                check_safe_text(f"value of {name}", value)  # names the value, before anything is sent
        # Escaped in one pass over all of them (no value holds the newline that separates them).
        escaped = mset_escape(values).split("\n")
        parts = [f"{name}={value}" for name, value in zip(names, escaped, strict=True)]
        for start in range(0, len(parts), MSET_MAX_PAIRS):
            chunk = ",".join(parts[start : start + MSET_MAX_PAIRS])
            # Checked above, name by name and value by value: send_line need not scan the line again.
            reply = self._execute("EXEC", "MSet", _quote_checked(chunk), checked=True)
            if reply.result != "0":
                raise AgiCommandError(f"Asterisk could not run MSet (result={reply.result})")

    def verbose(self, msg: str, level: int = 3) -> None:
        """Write ``msg`` to the Asterisk console/log at verbose ``level`` (1-4)."""
        if not 1 <= level <= 4:
            raise ValueError(f"verbose level must be 1-4, not {level}")
        self._execute("VERBOSE", quote_argument(msg), str(level))

    def _execute(self, command: str, *args: str, checked: bool = False) -> _Reply:
        """Send one command and read its reply; a refusal raises AgiCommandError naming the command.

        ``checked``: every argument has been refused control characters already (see send_line)."""
        line = " ".join((command, *args))
        lines = self._lines
        lines.send_line(line, checked=checked)
        if self._trace is not None:
            self._trace.debug("COMMAND: %s", line)
        reply = lines.read_reply()
        if reply.startswith("520-"):
            # A usage block: its lines up to "520 End of proper usage." belong to this reply.
            while not reply.startswith("520 "):
                reply = lines.read_reply()
        if self._trace is not None:
            self._trace.debug("RESULT: %s", reply)
        try:
            return parse_reply(reply)
        except AgiCommandError as exc:
            raise AgiCommandError(f"Asterisk refused {command}: {exc}") from None
