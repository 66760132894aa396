"""A fake Asterisk for fast tests: it speaks FastAGI to our server as res_agi does.

It mirrors the res_agi behaviour our safety depends on rather than an idealised protocol:
arguments are split and unquoted like res_agi's parse_args() (``\\`` escapes, at most 127 of them),
command lines longer than 2047 bytes are split into two commands like its fgets() loop, a partial line
at EOF still runs as a command, and ``GET FULL VARIABLE`` of an unset variable answers ``result=1 ()``.
``EXEC`` hands only its second argument to the application, unsubstituted (unless the channel has
``AGIEXECFULL=yes``), and ``MSet`` splits it like ast_app_separate_args() in main/app.c: ``(…)`` and
``[…]`` are never split, quotes and backslashes are removed, at most 99 pairs, the last one unparsed.
Replies are not cut: res_agi builds them in a growing ast_str (only the *command* buffer is fixed).
"""

from __future__ import annotations

import itertools
import re
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from agi.protocol import MAX_COMMAND_BYTES

_SUBSTITUTION_RE: Final = re.compile(r"\$\{([^${}]*)\}")
_USAGE_REPLY: Final = (
    "520-Invalid command syntax.  Proper usage follows:\n"
    "Usage: see the Asterisk AGI documentation\n"
    "520 End of proper usage.\n"
)


# res_agi.c: MAX_ARGS; parse_args() keeps at most MAX_ARGS - 1 arguments and drops what follows.
AGI_MAX_ARGS: Final = 128
# pbx_builtin_setvar_multiple(): AST_APP_ARG(pair)[99].
MSET_ARRAY_LEN: Final = 99


def split_agi_command(line: str) -> list[str]:
    """Split a command line into arguments with the quoting rules of res_agi's parse_args()."""
    args: list[str] = []
    current: list[str] = []
    in_word = quoted = escaped = False
    for char in line:
        if char == '"' and not escaped:
            quoted = not quoted
            if quoted and not in_word:
                in_word = True  # a quote starts a word even if it stays empty: "" is an argument
                args.append("")
                current = []
        elif char in " \t" and not quoted and not escaped:
            if in_word:
                args[-1] = "".join(current)
                in_word = False
        elif char == "\\" and not escaped:
            escaped = True
        else:
            escaped = False
            if not in_word:
                if len(args) >= AGI_MAX_ARGS - 1:
                    continue  # "Too many arguments, truncating": the character is dropped
                in_word = True
                args.append("")
                current = []
            current.append(char)
    if in_word:
        args[-1] = "".join(current)
    return args


def separate_app_args(
    data: str, delim: str = ",", *, array_len: int = 128, remove_chars: bool = True
) -> list[str]:
    """Split an application's argument as Asterisk's __ast_app_separate_args() (main/app.c) does.

    A port of its pointer walk, quirks included: ``(``/``)`` and ``[``/``]`` nest (an unmatched
    opener keeps every later delimiter), ``"`` toggles quoting and is removed, ``\\`` is removed and
    makes the next character literal, and when more arguments arrive than ``array_len`` holds the
    last one is the rest of the string, not split and not unescaped.
    """
    buf = list(data)
    starts: list[int] = []
    scan = 0
    wasdelim = -2
    paren = bracket = 0
    quote = False
    while scan < len(buf) and len(starts) < array_len - 1:
        starts.append(scan)
        while scan < len(buf):
            char = buf[scan]
            if char == "(":
                paren += 1
            elif char == ")":
                paren = max(0, paren - 1)
            elif char == "[":
                bracket += 1
            elif char == "]":
                bracket = max(0, bracket - 1)
            elif char == '"' and delim != '"':
                quote = not quote
                if remove_chars:
                    del buf[scan]
                    scan -= 1
            elif char == "\\":
                if remove_chars:
                    del buf[scan]  # the literal character is now at scan; the step below skips it
                else:
                    scan += 1
            elif char == delim and not paren and not quote and not bracket:
                wasdelim = scan
                buf[scan] = "\0"
                scan += 1
                break
            scan += 1
    if scan < len(buf) or (scan > 0 and scan - 1 == wasdelim):
        starts.append(scan)
    text = "".join(buf)
    return [text[start:].split("\0", 1)[0] for start in starts]


@dataclass
class FakeCallResult:
    """What the fake Asterisk saw during one call."""

    variables: dict[str, str] = field(default_factory=dict)
    """Variables set with SET VARIABLE, unquoted as Asterisk stores them."""
    commands: list[str] = field(default_factory=list)
    """Raw command lines received (after Asterisk's 2047-byte line split)."""
    verbose: list[str] = field(default_factory=list)
    closed_cleanly: bool = False
    """The server closed the connection (EOF) before the timeout and without a reset."""
    error: str | None = None
    """Why the call did not end cleanly: "timeout", or the socket error."""
    elapsed_s: float = 0.0
    env: dict[str, str] = field(default_factory=dict)
    """The environment that was sent (empty when raw bytes were sent)."""


class FakeAsterisk:
    """Connects to a FastAGI server and plays one call per :meth:`call`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4573,
        *,
        timeout_s: float = 5.0,
        channel: str = "PJSIP/trunk-00000001",
    ) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.channel = channel
        self._call_ids = itertools.count(1)

    def environment(
        self,
        script: str = "route",
        args: Iterable[str] = ("emergency",),
        overrides: Mapping[str, str | None] | None = None,
    ) -> dict[str, str]:
        """The ``agi_*`` block Asterisk would send, in its order; ``None`` in overrides drops a key."""
        call_id = next(self._call_ids)
        env = {
            "agi_network": "yes",
            "agi_network_script": script,
            "agi_request": f"agi://{self.host}:{self.port}/{script}",
            "agi_channel": self.channel,
            "agi_language": "id",
            "agi_type": self.channel.split("/", 1)[0],
            "agi_uniqueid": f"{int(time.time())}.{call_id}",
            "agi_version": "20.5.0",
            "agi_callerid": "081234567890",
            "agi_calleridname": "Pelapor",
            "agi_callingpres": "0",
            "agi_callingani2": "0",
            "agi_callington": "0",
            "agi_callingtns": "0",
            "agi_dnid": "119",
            "agi_rdnis": "unknown",
            "agi_context": "from-trunk",
            "agi_extension": "119",
            "agi_priority": "1",
            "agi_enhanced": "0.0",
            "agi_accountcode": "",
            "agi_threadid": str(140000000000000 + call_id),
        }
        for index, arg in enumerate(args, start=1):
            env[f"agi_arg_{index}"] = arg
        for key, value in (overrides or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def call(
        self,
        script: str = "route",
        args: Iterable[str] = ("emergency",),
        *,
        env: Mapping[str, str | None] | None = None,
        channel_vars: Mapping[str, str] | None = None,
        raw_env: bytes | None = None,
        close_after_env: bool = False,
        send_hangup: bool = False,
    ) -> FakeCallResult:
        """Connect, send the environment (or ``raw_env`` bytes), answer commands until the server closes.

        ``channel_vars`` answer ``GET FULL VARIABLE`` (keys are what goes inside ``${…}``).
        ``close_after_env`` half-closes our side after sending, as if Asterisk died mid-environment.
        ``send_hangup`` sends FastAGI's ``HANGUP`` notice right after the environment.
        """
        started = time.monotonic()
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except OSError as exc:
            return FakeCallResult(error=f"connect failed: {exc}")
        with sock:
            return self.call_on(
                sock,
                script,
                args,
                env=env,
                channel_vars=channel_vars,
                raw_env=raw_env,
                close_after_env=close_after_env,
                send_hangup=send_hangup,
                started=started,
            )

    def call_on(
        self,
        sock: socket.socket,
        script: str = "route",
        args: Iterable[str] = ("emergency",),
        *,
        env: Mapping[str, str | None] | None = None,
        channel_vars: Mapping[str, str] | None = None,
        raw_env: bytes | None = None,
        close_after_env: bool = False,
        send_hangup: bool = False,
        started: float | None = None,
    ) -> FakeCallResult:
        """Like :meth:`call` on a socket you connected (e.g. one end of a socketpair)."""
        started = time.monotonic() if started is None else started
        deadline = started + self.timeout_s
        result = FakeCallResult()
        if raw_env is None:
            result.env = self.environment(script, args, env)
            payload = "".join(f"{key}: {value}\n" for key, value in result.env.items()).encode() + b"\n"
        else:
            payload = raw_env
        try:
            sock.settimeout(self.timeout_s)
            sock.sendall(payload)
            if close_after_env:
                sock.shutdown(socket.SHUT_WR)
            if send_hangup:
                sock.sendall(b"HANGUP\n")
            self._answer(sock, result, dict(channel_vars or {}), deadline)
            result.closed_cleanly = True
        except TimeoutError:
            result.error = "timeout"
        except OSError as exc:
            result.error = f"{type(exc).__name__}: {exc}"
        result.elapsed_s = time.monotonic() - started
        return result

    def _answer(
        self, sock: socket.socket, result: FakeCallResult, channel_vars: dict[str, str], deadline: float
    ) -> None:
        buffer = b""
        while True:
            newline = buffer.find(b"\n")
            if newline >= 0:
                line, buffer = buffer[:newline], buffer[newline + 1 :]
                self._run_line(sock, result, channel_vars, line)
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            chunk = sock.recv(4096)
            if not chunk:
                if buffer:  # res_agi runs what fgets() returned before EOF
                    self._run_line(sock, result, channel_vars, buffer)
                return
            buffer += chunk

    def _run_line(
        self, sock: socket.socket, result: FakeCallResult, channel_vars: dict[str, str], line: bytes
    ) -> None:
        # fgets() into a 2048-byte buffer: each 2047-byte piece of an over-long line is a command.
        piece = MAX_COMMAND_BYTES
        for start in range(0, max(len(line), 1), piece):
            command = line[start : start + piece].decode("utf-8", errors="replace")
            result.commands.append(command)
            reply = self._reply(command, result, channel_vars)
            try:
                sock.sendall(reply.encode())
            except BrokenPipeError:
                return  # the server has already gone; what it sent is recorded

    def _reply(self, command: str, result: FakeCallResult, channel_vars: dict[str, str]) -> str:
        argv = split_agi_command(command)
        words = [arg.upper() for arg in argv[:3]]
        if words[:2] == ["SET", "VARIABLE"]:
            if len(argv) >= 4:
                result.variables[argv[2]] = argv[3]
            return "200 result=1\n"
        if words[:3] == ["GET", "FULL", "VARIABLE"]:
            if len(argv) not in (4, 5):
                return _USAGE_REPLY
            if len(argv) == 5 and argv[4] != self.channel:
                return "200 result=0\n"
            return f"200 result=1 ({self._substitute(argv[3], result, channel_vars)})\n"
        if words[:1] == ["EXEC"]:
            return self._exec(argv, result, channel_vars)
        if words[:1] == ["VERBOSE"]:
            if len(argv) < 2:
                return _USAGE_REPLY
            result.verbose.append(argv[1])
            return "200 result=1\n"
        return "510 Invalid or unknown command\n"

    def _exec(self, argv: list[str], result: FakeCallResult, channel_vars: dict[str, str]) -> str:
        """``EXEC app data``: only argv[2] reaches the application (handle_exec in res_agi.c)."""
        if len(argv) < 2:
            return _USAGE_REPLY
        data = argv[2] if len(argv) > 2 else ""
        if result.variables.get("AGIEXECFULL", "").lower() in ("yes", "true", "y", "t", "1", "on"):
            data = self._substitute(data, result, channel_vars)
        app = argv[1].upper()
        if app == "MSET":
            # pbx_builtin_setvar_multiple(): pairs split on ",", each then split once on "=".
            for pair in separate_app_args(data, ",", array_len=MSET_ARRAY_LEN) if data else []:
                name_value = separate_app_args(pair, "=", array_len=2)
                if len(name_value) == 2:
                    result.variables[name_value[0]] = name_value[1]
            return "200 result=0\n"
        if app == "SET":
            # pbx_builtin_setvar(): strsep() on the first "=", no argument parsing at all.
            name, sep, value = data.partition("=")
            if sep:
                result.variables[name] = value
            return "200 result=0\n"
        return "200 result=-2\n"  # "Could not find application"

    def _substitute(self, expr: str, result: FakeCallResult, channel_vars: dict[str, str]) -> str:
        builtins = {
            "CHANNEL": self.channel,
            "UNIQUEID": result.env.get("agi_uniqueid", ""),
            "CALLERID(num)": result.env.get("agi_callerid", ""),
            "CALLERID(name)": result.env.get("agi_calleridname", ""),
            "EXTEN": result.env.get("agi_extension", ""),
            "CONTEXT": result.env.get("agi_context", ""),
        }

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            for source in (result.variables, channel_vars, builtins):
                if name in source:
                    return source[name]
            return ""

        return _SUBSTITUTION_RE.sub(lookup, expr)
