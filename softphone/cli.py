"""`siaga softphone` / `python -m softphone`: run up to 8 operator softphones until SIGINT or SIGTERM.

Exit status: 0 after a signal-driven shutdown, 1 if registration did not complete within
--register-timeout (or the softphone died), 2 for invalid options.

Sound: the machine's default devices unless --audio-device names others or --null-audio asks for none
(bots). A machine without a sound device (a server, CI) gets the null device and one line saying so.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import FrameType
from typing import Any

from kernel.catalogue import UNIT_STATUS_CODE, UNIT_STATUS_KEYS
from kernel.messages import N_, Message, Translate, untranslated
from softphone.audio import AudioDeviceError, AudioSetup, describe_devices, parse_device_options
from softphone.events import (
    ANSWERED,
    DISCONNECTED,
    INCOMING,
    MESSAGE,
    REGISTERED,
    REGISTRATION_FAILED,
    UNREGISTERED,
    Event,
    EventSink,
)
from softphone.keys import AWAY_CODE, HELP, Command, parse_line
from softphone.phone import (
    DEFAULT_SERVER,
    MAX_OPERATORS,
    RegistrationStatus,
    Softphone,
    parse_server,
    registration_hopeless,
    username_problem,
)

# Each account's own SIP secret, handed over without the command line (where `ps` shows it): a JSON
# object user → password. BotFleet sets it for each of its processes; `siaga softphone` passes the secrets
# from the data directory's store to `run` directly. There is no default password any more: a shared,
# published one let a SIP scanner register as any operator.
PASSWORDS_ENV = "SIAGA_SOFTPHONE_PASSWORDS"

log = logging.getLogger(__name__)


class UsageError(ValueError):
    pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user", action="append", default=[], metavar="NAME",
        help=f"operator (PJSIP endpoint) to register; repeat for up to {MAX_OPERATORS}",
    )  # fmt: skip
    sound = parser.add_mutually_exclusive_group()
    sound.add_argument(
        "--audio-device", action="append", default=[], metavar="DEV",
        help="sound device by index or name (see --list-audio-devices) for both directions, or "
        "capture=DEV / playback=DEV for one; repeatable (default: the system's default devices)",
    )  # fmt: skip
    sound.add_argument(
        "--null-audio", action="store_true",
        help="no sound device at all: calls connect silently (answering bots, servers)",
    )  # fmt: skip
    parser.add_argument(
        "--list-audio-devices", action="store_true", help="print the sound devices and codecs, then exit"
    )
    parser.add_argument(
        "--password", default=None,
        help="SIP password of every --user (default: each user's own secret; `siaga softphone` reads "
        f"it from the data directory, `python -m softphone` from ${PASSWORDS_ENV}, JSON user → password)",
    )  # fmt: skip
    parser.add_argument("--server", default=DEFAULT_SERVER, metavar="HOST:PORT", help="Asterisk SIP address")
    parser.add_argument("--auto-answer", action="store_true", help="answer calls (after a 180 Ringing)")
    parser.add_argument(
        "--answer-after", action="append", default=[], metavar="[NAME=]SECONDS",
        help="with --auto-answer, ring this long before answering; NAME=SECONDS sets one user",
    )  # fmt: skip
    parser.add_argument(
        "--no-answer", action="append", default=[], metavar="NAME",
        help="this user rings but never answers (failover tests); repeatable",
    )  # fmt: skip
    parser.add_argument("--events", metavar="FILE", help="append every event to FILE as a JSON line")
    parser.add_argument("--json", action="store_true", help="print events as JSON lines instead of text")
    parser.add_argument(
        "--keys", action="store_true",
        help="read commands from stdin even when it is not a terminal (DTMF digits, a, h, away, back)",
    )  # fmt: skip
    parser.add_argument(
        "--register-timeout", type=float, default=10.0, metavar="SECONDS",
        help="exit 1 unless every user registers within this time (default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--bind", metavar="ADDR", default=None,
        help="local SIP address (default: 127.0.0.1 for a loopback server, else all interfaces)",
    )  # fmt: skip
    parser.add_argument("--pj-log", metavar="FILE", help="write pjsip's own log to FILE (debugging)")
    parser.add_argument(
        "--pj-log-level", type=int, default=3, metavar="N", help="pjsip log level (default 3)"
    )


def _answer_delays(values: list[str], users: list[str]) -> tuple[float, dict[str, float]]:
    default, per_user = 0.0, {}
    for value in values:
        name, sep, seconds = value.rpartition("=")
        try:
            delay = float(seconds)
        except ValueError:
            raise UsageError(
                Message("--answer-after wants SECONDS or NAME=SECONDS, got {value!r}", value=value)
            ) from None
        if delay < 0:
            raise UsageError(Message("--answer-after must not be negative: {value!r}", value=value))
        if not sep:
            default = delay
        elif name not in users:
            raise UsageError(
                Message(
                    "--answer-after {value!r}: {name!r} is not one of the --user names",
                    value=value,
                    name=name,
                )
            )
        else:
            per_user[name] = delay
    return default, per_user


def audio_setup(args: argparse.Namespace) -> AudioSetup:
    """The sound the options ask for; a malformed --audio-device is a usage error."""
    if args.null_audio:
        return AudioSetup()
    try:
        capture, playback = parse_device_options(args.audio_device)
    except AudioDeviceError as exc:
        raise UsageError(str(exc)) from None
    return AudioSetup.system(capture, playback)


def list_audio_devices(t: Translate = untranslated) -> int:
    """--list-audio-devices: what a phone here could open, and the codecs it offers, best first."""
    try:
        phone = Softphone(sound_driver=True)  # the devices are listed, none is opened
    except RuntimeError as exc:
        print(f"softphone: {exc}", file=sys.stderr)
        return 1
    with phone:
        missing = "" if phone.sound_driver.loaded else phone.sound_driver.note
        for line in describe_devices(phone.audio_devices, missing):
            print(line)
        enabled = [name for name, priority in phone.codecs if priority > 0]
        print(t(N_("codecs (best first): ")) + ", ".join(enabled))
        if not any(name.lower().startswith("opus/") for name in enabled):
            print(t(N_("opus: not in this pjsua2 build; calls use G.711 (PCMU/PCMA)")))
    return 0


def _validate(args: argparse.Namespace) -> tuple[float, dict[str, float]]:
    users: list[str] = args.user
    if not users:
        raise UsageError(N_("give at least one --user"))
    if len(users) > MAX_OPERATORS:
        raise UsageError(
            Message(
                "{count} users given, but one softphone process holds at most {most}; "
                "run several processes (softphone.bots.BotFleet does this)",
                count=len(users),
                most=MAX_OPERATORS,
            )
        )
    for user in users:
        problem = username_problem(user)
        if problem is not None:
            raise UsageError(problem)
    duplicates = sorted({u for u in users if users.count(u) > 1})
    if duplicates:
        raise UsageError(Message("--user given twice: {users}", users=", ".join(duplicates)))
    unknown = [u for u in args.no_answer if u not in users]
    if unknown:
        raise UsageError(Message("--no-answer names that are not --user: {users}", users=", ".join(unknown)))
    try:
        parse_server(args.server)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.register_timeout <= 0:
        raise UsageError(N_("--register-timeout must be positive"))
    return _answer_delays(args.answer_after, users)


_POP_LINES = (
    (N_("attempt"), "X-Siaga-Attempt"),
    (N_("service"), "X-Siaga-Service"),
    (N_("caller"), "X-Siaga-Caller"),
    (N_("area"), "X-Siaga-Area"),
    (N_("location"), "X-Siaga-Location"),
    (N_("ambulance"), "X-Siaga-Ambulance"),
    (N_("call id"), "X-Siaga-Call"),
)


def _screen_pop(headers: dict[str, str], t: Translate = untranslated) -> list[str]:
    """The router's X-Siaga-* headers as labelled lines, the attempt first (is this call a failover?);
    they are removed from `headers`, so what is left is shown raw."""
    lines: list[str] = []
    for label, name in _POP_LINES:
        value = headers.pop(name, None)
        if value is None:
            continue
        if name == "X-Siaga-Location":
            source = headers.pop("X-Siaga-Location-Source", "?")
            accuracy = headers.pop("X-Siaga-Accuracy", "?")
            value = f"{value}  " + t(
                Message("[source {source}, accuracy {accuracy}]", source=source, accuracy=accuracy)
            )
        lines.append(f"    {t(label) + ':':<10}{value}")
    return lines


def format_event(event: Event, translate: Translate = untranslated) -> str:
    """One readable line (an incoming call gets a small block) for an operator watching a terminal;
    `translate` (`siaga softphone` passes `tr`) gives the operator's language, the default English."""
    t = translate
    who = f"[{event.get('account', '?')}]"
    kind = event.get("event")
    caller = event.get("caller") or t(N_("anonymous"))
    if kind == REGISTERED:
        return f"{who} " + t(Message("registered at {server}", server=event.get("server")))
    if kind == UNREGISTERED:
        return f"{who} " + t(N_("unregistered"))
    if kind == REGISTRATION_FAILED:
        status = f"{event.get('status_code')} {event.get('reason')}"
        return f"{who} " + t(
            Message("registration FAILED at {server}: {status}", server=event.get("server"), status=status)
        )
    if kind == INCOMING:
        name = event.get("display_name")
        lines = [
            f"{who} "
            + t(Message("incoming call from {caller}", caller=caller))
            + (f' ("{name}")' if name and name != caller else "")
        ]
        headers: dict[str, str] = dict(event.get("headers") or {})
        lines += _screen_pop(headers, t)
        lines.append(f"    sip call-id: {event.get('sip_call_id')}")
        lines += [f"    {name}: {value}" for name, value in headers.items()]
        if len(lines) == 2:
            lines.append("    " + t(N_("(no X- headers)")))
        return "\n".join(lines)
    if kind == ANSWERED:
        return f"{who} " + t(Message("answered call from {caller}", caller=caller))
    if kind == MESSAGE:
        body = str(event.get("body") or "").splitlines() or [""]
        sender = event.get("sender") or t(N_("unknown"))
        return "\n".join(
            [
                f"{who} " + t(Message("message from {sender}", sender=sender)),
                *(f"    {line}" for line in body),
            ]
        )
    if kind == DISCONNECTED:
        status = f"{event.get('status_code')} {event.get('reason')}"
        if event.get("answered"):
            return f"{who} " + t(
                Message(
                    "call from {caller} ended after {seconds} s ({status})",
                    caller=caller,
                    seconds=f"{event.get('duration_s', 0):.1f}",
                    status=status,
                )
            )
        return f"{who} " + t(
            Message("call from {caller} ended unanswered ({status})", caller=caller, status=status)
        )
    return f"{who} {kind}"


def _describe_failure(
    name: str, status: RegistrationStatus | None, timeout_s: float, t: Translate = untranslated
) -> str:
    if status is None or status.status_code is None:
        return t(Message("{name} (no answer within {seconds} s)", name=name, seconds=f"{timeout_s:g}"))
    return f"{name} ({status.status_code} {status.reason})"


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set `stop`; only possible from the main thread, elsewhere the caller stops us."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[int, Any] = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _passwords(args: argparse.Namespace, given: Mapping[str, str] | None) -> dict[str, str]:
    """Each --user's SIP password: --password for all of them, else the secrets handed over (`given`, or
    $SIAGA_SOFTPHONE_PASSWORDS). A user without one is a usage error, never a guessable default."""
    if args.password is not None:
        return dict.fromkeys(args.user, args.password)
    known: object = given
    if known is None:
        try:
            known = json.loads(os.environ.get(PASSWORDS_ENV) or "{}")
        except json.JSONDecodeError:
            raise UsageError(
                Message("${name} is not a JSON object user → password", name=PASSWORDS_ENV)
            ) from None
    if not isinstance(known, Mapping) or not all(isinstance(v, str) for v in known.values()):
        raise UsageError(Message("${name} is not a JSON object user → password", name=PASSWORDS_ENV))
    missing = [user for user in args.user if user not in known]
    if missing:
        raise UsageError(
            Message(
                "no SIP password for {users}: run `siaga softphone`, which reads each endpoint's secret from "
                "the data directory (`siaga secrets show ENDPOINT` prints one), or give --password",
                users=", ".join(missing),
            )
        )
    return {user: known[user] for user in args.user}


def run(
    args: argparse.Namespace,
    stop: threading.Event | None = None,
    *,
    passwords: Mapping[str, str] | None = None,
    translate: Translate = untranslated,
) -> int:
    """Run until SIGINT/SIGTERM (or until `stop` is set, for embedding); see the module docstring.
    `passwords` (user → SIP password) is how `siaga softphone` hands over the stored secrets, and
    `translate` its language (the events' JSON and the logs stay as they are)."""
    t = translate
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.list_audio_devices:
        return list_audio_devices(t)
    try:
        default_delay, delays = _validate(args)
        secrets = _passwords(args, passwords)
        audio = audio_setup(args)
    except UsageError as exc:
        print(f"softphone: {_said(exc, t)}", file=sys.stderr)
        return 2

    status_out = sys.stderr if args.json else sys.stdout
    stdout_sink = EventSink(sys.stdout)

    def show(event: Event) -> None:
        if args.json:
            stdout_sink.write(event)
        else:
            print(format_event(event, t), flush=True)

    stop = stop or threading.Event()
    with _stop_on_signals(stop):
        try:
            phone = Softphone(
                events=args.events,
                on_event=show,
                bind_address=args.bind,
                pj_log_level=args.pj_log_level,
                pj_log_file=args.pj_log,
                audio=audio,
            )
        except AudioDeviceError as exc:
            print(f"softphone: {exc}", file=sys.stderr)
            return 2
        except RuntimeError as exc:
            print(f"softphone: {exc}", file=sys.stderr)
            return 1
        if phone.audio_outcome.note and not args.null_audio:
            print(f"softphone: {phone.audio_outcome.note}", file=sys.stderr, flush=True)
        try:
            for user in args.user:
                try:
                    phone.add_operator(
                        user,
                        secrets[user],
                        args.server,
                        auto_answer=args.auto_answer,
                        answer_after_s=delays.get(user, default_delay),
                        no_answer=user in args.no_answer,
                    )
                except ValueError as exc:
                    print(f"softphone: {exc}", file=sys.stderr)
                    return 2
            registered = _wait_registered(phone, args.register_timeout, stop)
            if stop.is_set():
                return 0
            if not registered:
                statuses = phone.registrations()
                failed = [
                    _describe_failure(u, statuses.get(u), args.register_timeout, t)
                    for u in args.user
                    if not statuses.get(u, RegistrationStatus()).registered
                ]
                print(
                    "softphone: "
                    + t(Message("registration at {server} failed: ", server=args.server))
                    + ", ".join(failed),
                    file=sys.stderr,
                )
                return 1
            mode = t(N_("auto-answering")) if args.auto_answer else t(N_("ringing only"))
            print(
                "softphone: "
                + t(
                    Message(
                        "{count} operator(s) registered at {server}, {mode}; Ctrl-C or SIGTERM to stop",
                        count=len(args.user),
                        server=args.server,
                        mode=mode,
                    )
                ),
                file=status_out,
                flush=True,
            )
            if args.keys or sys.stdin.isatty():
                print(t(HELP), file=status_out, flush=True)
                threading.Thread(
                    target=_read_keys, args=(phone, args.user[0], status_out, stop, t), daemon=True
                ).start()
            while not stop.wait(0.5):
                if not phone.alive:
                    print("softphone: " + t(N_("the pjsua loop stopped unexpectedly")), file=sys.stderr)
                    return 1
            return 0
        finally:
            phone.close()


def run_command(phone: Softphone, user: str, command: Command, translate: Translate = untranslated) -> str:
    """Carry out one keyboard command; returns what to tell the operator, in `translate`'s language."""
    t = translate
    if command.action == "dtmf":
        sent = phone.send_dtmf(command.argument)
        return t(Message("DTMF {digits} sent on {count} call(s)", digits=command.argument, count=sent))
    if command.action == "answer":
        return t(Message("answered {count} call(s)", count=phone.answer_ringing()))
    if command.action == "hangup":
        phone.hangup_all()
        return t(N_("hung up"))
    if command.action == "dial":
        away = command.argument == AWAY_CODE
        phone.dial(user, command.argument)
        marked = N_("{user}: marked away ({code})") if away else N_("{user}: marked back ({code})")
        return t(Message(marked, user=user, code=command.argument))
    if command.action == "status":
        phone.dial(user, command.argument)
        status = UNIT_STATUS_KEYS[command.argument.removeprefix(UNIT_STATUS_CODE)]
        return t(
            Message(
                "{user}: status {status} reported ({code})", user=user, status=status, code=command.argument
            )
        )
    if command.action == "help":
        return t(HELP)
    if command.action == "unknown":
        return t(Message("unknown command {command!r}; {help}", command=command.argument, help=t(HELP)))
    return ""


def _said(exc: BaseException, t: Translate) -> str:
    """An error's message in the operator's language when it is one of ours (a `Message`)."""
    reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return t(reason)


def _read_keys(
    phone: Softphone, user: str, out: Any, stop: threading.Event, t: Translate = untranslated
) -> None:
    """Stdin lines → commands until EOF; presence (away/back) applies to the first --user."""
    for line in sys.stdin:
        if stop.is_set():
            return
        try:
            said = run_command(phone, user, parse_line(line), t)
        except (RuntimeError, ValueError) as exc:
            said = t(Message("failed: {error}", error=_said(exc, t)))
        if said:
            print(f"softphone: {said}", file=out, flush=True)


def _wait_registered(phone: Softphone, timeout_s: float, stop: threading.Event) -> bool:
    """Like Softphone.wait_registered, but a signal during start-up still stops us promptly."""
    deadline = time.monotonic() + timeout_s
    while not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if phone.wait_registered(min(0.25, remaining)):
            return True
        if not phone.alive or registration_hopeless(list(phone.registrations().values())):
            return False
    return False
