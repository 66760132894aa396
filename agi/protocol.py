"""The AGI protocol for one FastAGI connection, with pyst2 kept behind :class:`AgiSession`.

Everything Asterisk sends is treated as hostile (the environment carries caller-controlled
text such as the caller-ID name) and everything we send is validated, because an AGI command
line is a command channel: a newline inside a value starts a new command (``EXEC System …``).

pyst2 0.5.1 (unmaintained since 2019) is used only as the command/reply codec
(``AGI.execute``). We work around it where it is unsafe or fragile:

* its constructor reads the environment with no size limit, treats EOF as a normal end of the
  environment and installs a process-wide SIGHUP handler (which fails outside the main thread
  and is useless for FastAGI, where Asterisk reports a hangup as a ``HANGUP`` line), so we
  read the environment ourselves and bypass that constructor;
* it quotes arguments without escaping ``"`` or ``\\``, so we quote them ourselves;
* it cannot parse the ``HANGUP`` line (``int('')``) and loops forever on EOF after a ``520``
  reply, so our stream adapter skips ``HANGUP`` lines and raises on EOF and on timeouts;
* its debug trace goes to a logger at DEBUG level instead of stderr.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import MutableMapping, Sequence
from typing import Any, Final

from asterisk.agi import AGI, AGIException, AGIResultHangup

LOGGER_NAME: Final = "siaga.agi.protocol"
PYST2_TRACE_LOGGER_NAME: Final = "siaga.agi.pyst2"

DEFAULT_READ_TIMEOUT_S: Final = 5.0
ENV_MAX_LINES: Final = 200
ENV_MAX_LINE_BYTES: Final = 1024
REPLY_MAX_LINE_BYTES: Final = 8192
# Asterisk reads each command with fgets() into a 2048-byte buffer (AGI_BUF_LEN in res_agi.c):
# a longer line is split and its tail runs as a *second command*. So a command line, newline
# included, must fit in 2047 bytes.
MAX_COMMAND_BYTES: Final = 2047

_VARIABLE_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_KEY_RE: Final = re.compile(r"agi_[a-z0-9_]{1,64}")
_CONTROL_CHAR_RE: Final = re.compile(r"[\x00-\x1f\x7f]")
_MSET_UNSAFE_RE: Final = re.compile(r'[,="\\|]')
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


def check_variable_name(name: str) -> None:
    """Refuse names that are not plain dialplan variable names (no functions, no spaces)."""
    if not isinstance(name, str):
        raise TypeError(f"variable name must be str, not {type(name).__name__}")
    if not _VARIABLE_NAME_RE.fullmatch(name):
        raise UnsafeValueError(f"invalid channel variable name {_preview(name)}")


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


class _SocketLines:
    """Line I/O on the FastAGI socket with the caps and timeouts pyst2 lacks.

    Also serves as pyst2's ``stdin`` (``readline``) and ``stdout`` (``write``/``flush``).
    """

    def __init__(self, sock: socket.socket, read_timeout_s: float) -> None:
        self._sock = sock
        self._timeout_s = read_timeout_s
        self._buffer = bytearray()
        self.hangup_seen = False
        self.log: logging.Logger | CallLog = logging.getLogger(LOGGER_NAME)

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
            self._fill(deadline, phase)

    def _fill(self, deadline: float | None, phase: str) -> None:
        timeout = self._timeout_s
        if deadline is not None:
            timeout = min(timeout, deadline - time.monotonic())
            if timeout <= 0:
                raise AgiProtocolError(f"timed out reading the AGI {phase} after {self._timeout_s:g}s")
        self._sock.settimeout(timeout)
        try:
            chunk = self._sock.recv(_RECV_CHUNK)
        except TimeoutError as exc:
            raise AgiProtocolError(f"timed out reading the AGI {phase} after {timeout:.3g}s") from exc
        except OSError as exc:
            raise AgiProtocolError(f"connection error while reading the AGI {phase}: {exc}") from exc
        if not chunk:
            raise AgiProtocolError(f"connection closed by the peer while reading the AGI {phase}")
        self._buffer += chunk

    # --- pyst2's stdin -------------------------------------------------------------------
    def readline(self) -> str:
        while True:
            line = self.read_line(REPLY_MAX_LINE_BYTES).decode("utf-8", errors="replace")
            if line.strip() != "HANGUP":
                return line + "\n"
            # FastAGI's hangup notice (res_agi sends it instead of SIGHUP). Dead-channel commands
            # such as SET VARIABLE still work, so note it and read on for the real reply.
            if not self.hangup_seen:
                self.log.info("Asterisk reports the channel hung up")
            self.hangup_seen = True

    # --- pyst2's stdout ------------------------------------------------------------------
    def write(self, text: str) -> int:
        """Send one command line; the last line of defence against injection, whoever built it."""
        body = text[:-1] if text.endswith("\n") else text
        check_safe_text("AGI command", body)
        data = (body + "\n").encode("utf-8")
        if len(data) > MAX_COMMAND_BYTES:
            raise UnsafeValueError(
                f"AGI command is {len(data)} bytes; Asterisk splits lines over {MAX_COMMAND_BYTES} bytes "
                "into two commands"
            )
        self._sock.settimeout(self._timeout_s)
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise AgiProtocolError(f"connection error while sending an AGI command: {exc}") from exc
        return len(text)

    def flush(self) -> None:
        """Nothing to do: :meth:`write` sends immediately."""


class _Pyst2Trace:
    """pyst2's ``stderr``: its per-command trace, re-emitted at DEBUG under the call's log label."""

    def __init__(self, log: CallLog) -> None:
        self._log = log
        self._pending = ""

    def write(self, text: str) -> int:
        if not self._log.isEnabledFor(logging.DEBUG):
            return len(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line.strip():
                self._log.debug("pyst2: %s", line.strip())
        return len(text)

    def flush(self) -> None:
        """Partial lines wait for their newline; nothing is buffered elsewhere."""


class _Pyst2Codec(AGI):  # type: ignore[misc]  # pyst2 ships no type information
    """pyst2's AGI without its constructor: we keep ``execute``/``send_command``/``get_result``.

    ``AGI.__init__`` would install a SIGHUP handler and read the environment unbounded (see the
    module docstring), so we set exactly the attributes its command methods use instead.
    """

    def __init__(self, lines: _SocketLines, trace: _Pyst2Trace) -> None:
        self.stdin = lines
        self.stdout = lines
        self.stderr = trace
        self._got_sighup = False
        self.env: dict[str, str] = {}


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
    env: dict[str, str] = {}
    dropped: list[str] = []
    count = 0
    while True:
        raw = lines.read_line(max_line_bytes, deadline=deadline, phase="environment")
        if not raw:
            return env, dropped
        count += 1
        if count > max_lines:
            raise AgiProtocolError(f"AGI environment has more than {max_lines} lines")
        try:
            line, readable = raw.decode("utf-8"), True
        except UnicodeDecodeError:
            # A display name in another encoding must not cost the caller the routing: drop the value.
            line, readable = raw.decode("utf-8", errors="replace"), False
        key, sep, value = line.partition(":")
        if not sep or not _ENV_KEY_RE.fullmatch(key):
            raise AgiProtocolError(f"malformed AGI environment line {count}: {_preview(line)}")
        if key in env or key in dropped:
            # Only an injected line can repeat a key; first-wins or last-wins would both be guesses.
            raise AgiProtocolError(f"duplicate AGI environment key {key}")
        value = value.removeprefix(" ")
        if not readable or _CONTROL_CHAR_RE.search(value):
            dropped.append(key)
            continue
        env[key] = value


def script_name(network_script: str) -> str:
    """The path part of ``agi_network_script``: ``"route?x=1"`` and ``"/route/"`` give ``"route"``."""
    return network_script.split("?", 1)[0].strip("/")


class AgiSession:
    """One call's AGI conversation: the environment Asterisk sent and the commands we may send.

    Create it with :meth:`open`. Handlers use :attr:`script`, :attr:`args`, :attr:`env`,
    :meth:`set_variable`, :meth:`get_full_variable` and :meth:`verbose`; every name and value
    sent is validated and raises :class:`UnsafeValueError` before anything reaches the socket.
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
        self.log = call_log(logging.getLogger(LOGGER_NAME), unique_id=self.unique_id, script=self.script)
        for key in dropped_keys or ():
            self.log.warning(
                "ignored AGI environment value %s: not UTF-8 or it contains control characters", key
            )
        self._lines = lines
        lines.log = self.log
        trace_log = call_log(
            logging.getLogger(PYST2_TRACE_LOGGER_NAME), unique_id=self.unique_id, script=self.script
        )
        self._agi = _Pyst2Codec(lines, _Pyst2Trace(trace_log))

    @classmethod
    def open(
        cls,
        sock: socket.socket,
        *,
        read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
        max_env_lines: int = ENV_MAX_LINES,
        max_env_line_bytes: int = ENV_MAX_LINE_BYTES,
    ) -> AgiSession:
        """Read the environment from a freshly accepted FastAGI socket (the caller keeps owning it)."""
        lines = _SocketLines(sock, read_timeout_s)
        env, dropped = read_environment(
            lines, timeout_s=read_timeout_s, max_lines=max_env_lines, max_line_bytes=max_env_line_bytes
        )
        return cls(lines, env, dropped)

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
        check_safe_text("expression", expr)
        try:
            result = self._execute("GET FULL VARIABLE", quote_argument(expr))
        except AgiCommandError as exc:
            # pyst2 raises "hangup" whenever the data in parentheses is the word hangup; for this
            # command that can only be the variable's value.
            if isinstance(exc.__cause__, AGIResultHangup):
                return "hangup"
            raise
        code, value = result.get("result", ("", ""))
        if code != "1":
            return None
        if _CONTROL_CHAR_RE.search(value):
            self.log.warning("ignored value of %s: it contains control characters", _preview(expr))
            return None
        return str(value)

    def set_variables(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Several variables in one round trip: ``EXEC MSet`` with ``name=value`` pairs, set in order.

        MSet splits on ``,`` and ``=`` and unquotes ``"``/``\\``, so values holding any of those are
        refused (use :meth:`set_variable` for them); names are checked as for :meth:`set_variable`.
        """
        parts: list[str] = []
        for name, value in pairs:
            check_variable_name(name)
            check_safe_text(f"value of {name}", value)
            if _MSET_UNSAFE_RE.search(value):
                raise UnsafeValueError(f"value of {name} {_preview(value)} cannot go through MSet")
            parts.append(f"{name}={value}")
        if not parts:
            return
        result = self._execute("EXEC", "MSet", quote_argument(",".join(parts)))
        code, _ = result.get("result", ("", ""))
        if code != "0":
            raise AgiCommandError(f"Asterisk could not run MSet (result={code})")

    def verbose(self, msg: str, level: int = 3) -> None:
        """Write ``msg`` to the Asterisk console/log at verbose ``level`` (1-4)."""
        if not 1 <= level <= 4:
            raise ValueError(f"verbose level must be 1-4, not {level}")
        self._execute("VERBOSE", quote_argument(msg), str(level))

    def _execute(self, command: str, *args: str) -> dict[str, tuple[str, str]]:
        try:
            result: dict[str, tuple[str, str]] = self._agi.execute(command, *args)
        except AGIException as exc:
            raise AgiCommandError(f"Asterisk refused {command}: {type(exc).__name__}: {exc}") from exc
        return result
