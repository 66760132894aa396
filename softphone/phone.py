"""An operator softphone on pjsua2: registers up to 8 operators to Asterisk and can auto-answer.

Threading: every pjsua2 call and every pjsua2 callback happens on one private thread (the "pj loop"),
which polls pjsua itself (see ``_pjlib``). Public methods may be called from any thread; they post
work to the loop and wait. Event callbacks run on the loop, so they must be quick and must not
block on the Softphone (calling its methods from there is fine: those run inline).

pjsua2 allows one Endpoint per process and at most 8 accounts per Endpoint (PJSUA_MAX_ACC; the 9th
aborts the process), hence one Softphone per process and the 8-operator cap enforced here. The wheel
is also built with PJSUA_MAX_CALLS=4: a process holds at most 4 calls at once, ringing ones
included, and pjsua itself turns a 5th away with 486 Busy Here before any callback sees it.
"""

from __future__ import annotations

import atexit
import heapq
import ipaddress
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

import pjsua2 as pj

from softphone import _pjlib, media
from softphone.audio import (
    NULL_AUDIO,
    AudioDevice,
    AudioDeviceError,
    AudioOutcome,
    AudioSetup,
    choose_devices,
)
from softphone.events import (
    ANSWERED,
    DISCONNECTED,
    INCOMING,
    MESSAGE,
    REGISTERED,
    REGISTRATION_FAILED,
    UNREGISTERED,
    Event,
    EventBus,
    EventCallback,
    EventSink,
    caller_from_uri,
    display_name_from_uri,
    make_event,
    x_headers,
)
from softphone.sound_driver import DriverOutcome, load_alsa

MAX_OPERATORS = 8
MAX_CALLS = 4  # PJSUA_MAX_CALLS of the pjsua2-pybind11 wheel; larger maxCalls values are clamped
DEFAULT_SERVER = "127.0.0.1:5060"
# Registration answers that retrying cannot fix: wait_registered gives up on them at once.
PERMANENT_REGISTRATION_FAILURES = frozenset({401, 403, 404, 407})

log = logging.getLogger(__name__)
T = TypeVar("T")

_POLL_MS = 20
_PJSUA_DESTROY_NO_NETWORK = 3  # PJSUA_DESTROY_NO_RX_MSG | PJSUA_DESTROY_NO_TX_MSG


def parse_server(server: str) -> tuple[str, int]:
    host, sep, port = server.strip().rpartition(":")
    if not sep:
        host, port = server.strip(), "5060"
    if not host or not port.isdigit() or not 0 < int(port) < 65536 or any(c in host for c in " @;/"):
        raise ValueError(f"server must look like HOST:PORT, got {server!r}")
    return host, int(port)


def username_problem(username: str) -> str | None:
    """Why `username` cannot be an operator's SIP user name here, or None. The CLI asks before it looks
    up the user's password, so a mistyped name is reported as such, not as a missing secret."""
    if not username or any(c in username for c in " @:;<>\"'"):
        return f"invalid operator username {username!r}"
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class OperatorSettings:
    username: str
    password: str
    server: str = DEFAULT_SERVER
    auto_answer: bool = True
    answer_after_s: float = 0.0
    no_answer: bool = False

    @property
    def answers(self) -> bool:
        return self.auto_answer and not self.no_answer


@dataclass(frozen=True)
class CallAudio:
    """Sound files an operator's calls play and record (tests, announcements): played into the call as
    it is answered (looping), and the far end's voice recorded until the call ends."""

    play: Path | None = None
    record: Path | None = None


@dataclass(frozen=True)
class RegistrationStatus:
    registered: bool = False
    status_code: int | None = None
    reason: str = ""

    @property
    def permanently_failed(self) -> bool:
        return not self.registered and self.status_code in PERMANENT_REGISTRATION_FAILURES


def registration_hopeless(statuses: list[RegistrationStatus]) -> bool:
    settled = all(s.registered or s.status_code is not None for s in statuses)
    return settled and any(s.permanently_failed for s in statuses)


class _OperatorAccount(pj.Account):
    """Forwards pjsua2 callbacks to the Softphone; never lets an exception reach C++ (that aborts)."""

    def __init__(self, phone: Softphone, settings: OperatorSettings) -> None:
        super().__init__()
        self.phone = phone
        self.settings = settings

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        try:
            self.phone._on_reg_state(self, prm)
        except BaseException:
            log.exception("[%s] registration callback failed", self.settings.username)

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        try:
            self.phone._on_incoming_call(self, prm)
        except BaseException:
            log.exception("[%s] incoming-call callback failed", self.settings.username)


class _CallLeg(pj.Call):
    def __init__(self, phone: Softphone, account: _OperatorAccount, call_id: int) -> None:
        super().__init__(account, call_id)
        self.phone = phone
        self.account = account
        self.context: dict[str, Any] = {}
        self.slot = call_id
        self.answered = False
        self.ended = False
        self.outgoing = False
        self.bridge_slot = -1  # the call's conference-bridge slot once its audio is up
        self.player: int | None = None
        self.recorder: int | None = None
        self.player_slot = self.recorder_slot = -1

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        try:
            self.phone._on_call_state(self)
        except BaseException:
            log.exception("[%s] call-state callback failed", self.account.settings.username)

    def onCallTsxState(self, prm: pj.OnCallTsxStateParam) -> None:
        try:
            self.phone._on_call_tsx(self, prm)
        except BaseException:
            log.exception("[%s] transaction callback failed", self.account.settings.username)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        try:
            self.phone._on_media_state(self)
        except BaseException:
            log.exception("[%s] media-state callback failed", self.account.settings.username)


class Softphone:
    """One pjsua2 endpoint serving up to 8 operators; see the module docstring for threading."""

    _instance_lock = threading.Lock()
    _instance_alive = False

    def __init__(
        self,
        events: str | Path | TextIO | None = None,
        on_event: EventCallback | None = None,
        *,
        bind_address: str | None = None,
        pj_log_level: int = 0,
        pj_log_file: str | Path | None = None,
        start_timeout_s: float = 10.0,
        audio: AudioSetup = NULL_AUDIO,
        sound_driver: bool | None = None,
    ) -> None:
        """`events`: JSON-lines sink (a path, "-" for stdout, or an open text stream).
        `bind_address`: SIP/UDP bind address; by default loopback when the first operator's server
        is on loopback (so nothing advertises a LAN address in tests), else all interfaces.
        `audio`: the null device unless asked (bots and tests never open a sound card); with
        `AudioSetup.system()` the machine's devices, falling back to the null device where there are
        none (`audio_outcome.note` says so). A named device that is not there raises AudioDeviceError.
        `sound_driver`: load the ALSA driver (`sound_driver.py`); by default only when `audio` asks for
        the machine's devices, so bots never touch ALSA. Listing the devices asks for it explicitly."""
        with Softphone._instance_lock:
            if Softphone._instance_alive:
                raise RuntimeError("only one Softphone per process (pjsua2 has a single Endpoint)")
            Softphone._instance_alive = True
        self._bus = EventBus(
            sinks=[EventSink(events)] if events is not None else [],
            callbacks=[on_event] if on_event is not None else [],
        )
        self._bind_address = bind_address
        self._audio_setup = audio
        self._load_sound_driver = (not audio.null) if sound_driver is None else sound_driver
        self.sound_driver = DriverOutcome(False, "not loaded: null audio asked for")
        self.audio_outcome = AudioOutcome(True)
        self._devices: list[AudioDevice] = []
        self._codecs: list[tuple[str, int]] = []
        self._call_audio: dict[str, CallAudio] = {}
        self._pj_log_level = pj_log_level
        self._pj_log_file = str(pj_log_file) if pj_log_file is not None else ""
        self._commands: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        # Heap of (monotonic due time, sequence, call). It holds the call object, not the pjsua slot:
        # slots are reused (only 4 of them), and a stale slot number would answer someone else's call.
        self._answers: list[tuple[float, int, _CallLeg]] = []
        self._answer_seq = itertools.count()
        self._accounts: dict[str, _OperatorAccount] = {}
        self._calls: dict[int, _CallLeg] = {}
        self._ended_calls: list[_CallLeg] = []
        self._status: dict[str, RegistrationStatus] = {}
        self._status_cond = threading.Condition()
        self._transport_id: int | None = None
        self._ep: pj.Endpoint | None = None
        self._stop_requested = False
        self._started = threading.Event()
        self._startup_error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="softphone-pj", daemon=True)
        self._thread.start()
        if not self._started.wait(start_timeout_s) or self._startup_error is not None:
            self._thread.join(timeout=5)
            self._release_instance()
            self._bus.close()
            if isinstance(self._startup_error, AudioDeviceError):
                raise self._startup_error
            raise RuntimeError(f"pjsua2 endpoint failed to start: {self._startup_error!r}")
        # A forgotten close() would leave operators registered at Asterisk after we are gone.
        atexit.register(self.close)

    # ---------------------------------------------------------------- public API

    def add_operator(
        self,
        username: str,
        password: str,
        server: str = DEFAULT_SERVER,
        *,
        auto_answer: bool = True,
        answer_after_s: float = 0.0,
        no_answer: bool = False,
    ) -> None:
        """Register `username` (digest auth, any realm) at `server`; registration completes later,
        see wait_registered(). no_answer: ring (180) but never answer, to exercise failover."""
        problem = username_problem(username)
        if problem is not None:
            raise ValueError(problem)
        if answer_after_s < 0:
            raise ValueError("answer_after_s must be >= 0")
        parse_server(server)
        settings = OperatorSettings(username, password, server, auto_answer, answer_after_s, no_answer)
        self._call(lambda: self._add_account(settings))

    @property
    def alive(self) -> bool:
        """False once closed or if the pj loop died."""
        return not self._closed and self._thread.is_alive()

    @property
    def operators(self) -> list[str]:
        with self._status_cond:
            return list(self._status)

    def registrations(self) -> dict[str, RegistrationStatus]:
        with self._status_cond:
            return dict(self._status)

    def wait_registered(self, timeout_s: float = 10.0) -> bool:
        """True once every operator is registered; False on timeout, if the pj loop died, or as soon
        as every operator has an answer and one is a failure retrying cannot fix (e.g. 401/403:
        wrong password or unknown user)."""
        deadline = time.monotonic() + timeout_s
        with self._status_cond:
            while True:
                statuses = list(self._status.values())
                if statuses and all(s.registered for s in statuses):
                    return True
                if registration_hopeless(statuses) or not self._thread.is_alive():
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._status_cond.wait(min(remaining, 0.5))

    def hangup_all(self) -> None:
        self._call(self._hangup_calls)

    def answer_ringing(self) -> int:
        """Answer every call still ringing (an operator at the keyboard); returns how many."""
        return self._call(self._answer_ringing)

    def send_dtmf(self, digits: str) -> int:
        """Send `digits` (RFC 4733) on every answered call; returns on how many calls."""
        return self._call(lambda: self._send_dtmf(digits))

    def dial(self, username: str, extension: str) -> None:
        """Call `extension` at the operator's server as `username` (feature codes such as *46 away)."""
        self._call(lambda: self._dial(username, extension))

    @property
    def audio_devices(self) -> list[AudioDevice]:
        """The sound devices the phone sees on this machine (none without its ALSA driver)."""
        return list(self._devices)

    @property
    def codecs(self) -> list[tuple[str, int]]:
        """(codec, priority) as this phone offers and answers them, best first; 0 = disabled."""
        return sorted(self._codecs, key=lambda c: -c[1])

    def set_call_audio(self, username: str, audio: CallAudio) -> None:
        """Play and/or record on `username`'s calls from their next audio start on."""
        if audio.play is not None and not audio.play.is_file():
            raise ValueError(f"no sound file {audio.play}")

        def apply() -> None:
            if username not in self._accounts:
                raise ValueError(f"{username!r} is not an operator of this softphone")
            self._call_audio[username] = audio

        self._call(apply)

    def stop_recordings(self) -> int:
        """Close every open recording (its WAV header is written then); returns how many."""
        return self._call(self._close_recorders)

    def close(self, timeout_s: float = 15.0) -> None:
        """Hang up, unregister every operator, destroy the endpoint. Idempotent."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        if self._thread.is_alive():
            self._stop_requested = True
            self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.error("softphone pj loop did not stop within %.0f s", timeout_s)
        else:
            self._release_instance()
        self._bus.close()

    def __enter__(self) -> Softphone:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- the pj loop

    def _call(self, fn: Callable[[], T], timeout_s: float = 10.0) -> T:
        if threading.current_thread() is self._thread:
            return fn()
        if self._closed or not self._thread.is_alive():
            raise RuntimeError("softphone is closed")
        future: Future[T] = Future()
        self._commands.put((fn, future))
        return future.result(timeout_s)

    def _loop(self) -> None:
        try:
            self._start_endpoint()
        except BaseException as exc:
            self._startup_error = exc
            self._shutdown()  # an endpoint half started (a bad --audio-device) dies on its own thread
            self._started.set()
            return
        self._started.set()
        try:
            while not self._stop_requested:
                self._run_commands()
                self._answer_due_calls()
                self._drop_ended_calls()
                _pjlib.handle_events(self._poll_ms())
        except BaseException:
            log.exception("softphone pj loop crashed")
        finally:
            self._shutdown()
            self._fail_pending_commands()
            with self._status_cond:
                self._status_cond.notify_all()

    def _poll_ms(self) -> int:
        if not self._answers:
            return _POLL_MS
        return max(0, min(_POLL_MS, int((self._answers[0][0] - time.monotonic()) * 1000)))

    def _run_commands(self) -> None:
        while True:
            try:
                fn, future = self._commands.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

    def _fail_pending_commands(self) -> None:
        while True:
            try:
                _, future = self._commands.get_nowait()
            except queue.Empty:
                return
            if future.set_running_or_notify_cancel():
                future.set_exception(RuntimeError("softphone is closed"))

    def _drop_ended_calls(self) -> None:
        """Delete pjsua2 Call objects of ended calls, outside their own callbacks.

        ~Call clears the user data of its pjsua slot and hangs up whatever call is active there, so an
        object must not outlive its call into a reuse of the slot; pjsua hands out slots round-robin,
        and we also hold back any object whose slot a live call already occupies.
        """
        self._ended_calls = [call for call in self._ended_calls if call.slot in self._calls]

    def _start_endpoint(self) -> None:
        _pjlib.set_log_level(0)  # libCreate logs to stdout before any config applies
        ep = pj.Endpoint()
        ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0  # we poll; see _pjlib for why there is no worker thread
        cfg.uaConfig.mainThreadOnly = False
        cfg.uaConfig.maxCalls = MAX_CALLS
        cfg.medConfig.hasIoqueue = False  # RTP on the polled ioqueue too: no callbacks off our thread
        cfg.medConfig.threadCnt = 0
        cfg.logConfig.consoleLevel = 0
        cfg.logConfig.level = self._pj_log_level if self._pj_log_file else 0
        cfg.logConfig.filename = self._pj_log_file
        ep.libInit(cfg)
        if self._load_sound_driver:
            self.sound_driver = load_alsa()  # between libInit (audio subsystem up) and the device choice
        ep.libStart()
        self._ep = ep
        media.prefer_codecs(name for name, _ in media.codecs())
        self._codecs = media.codecs()
        self._start_audio(ep)

    def _start_audio(self, ep: pj.Endpoint) -> None:
        """The devices `audio` asked for, else the null device (servers, CI, bots) with the reason."""
        manager = ep.audDevManager
        self._devices = [
            AudioDevice(int(d.id), d.name, d.driver, int(d.inputCount), int(d.outputCount))
            for d in manager.enumDev2
        ]
        missing = "" if self.sound_driver.loaded or self._audio_setup.null else self.sound_driver.note
        # AudioDeviceError (a named device that is not there) stops the start.
        outcome = choose_devices(self._audio_setup, self._devices, missing)
        if not outcome.null:
            try:
                manager.captureDev = outcome.capture
                manager.playbackDev = outcome.playback
            except BaseException as exc:  # a device that is there but will not open (busy, unplugged)
                outcome = AudioOutcome(
                    True, note=f"the sound device would not open ({exc}): using the null audio device"
                )
        if outcome.null:
            manager.setNullDev()
        self.audio_outcome = outcome

    def _ensure_transport(self, server: str) -> int:
        if self._transport_id is None:
            assert self._ep is not None
            bind = self._bind_address
            if bind is None:
                bind = "127.0.0.1" if _is_loopback(parse_server(server)[0]) else ""
            tcfg = pj.TransportConfig()
            tcfg.port = 0  # ephemeral: several bot processes share one host
            tcfg.boundAddress = bind
            self._transport_id = self._ep.transportCreate(pj.TransportType.UDP, tcfg)
        return self._transport_id

    def _add_account(self, settings: OperatorSettings) -> None:
        if settings.username in self._accounts:
            raise ValueError(f"operator {settings.username!r} already added")
        if len(self._accounts) >= MAX_OPERATORS:
            raise ValueError(
                f"cannot add {settings.username!r}: one softphone process holds at most {MAX_OPERATORS} "
                "operators (pjsua2 PJSUA_MAX_ACC; a 9th account aborts the process). "
                "Start another process, e.g. with softphone.bots.BotFleet."
            )
        host, port = parse_server(settings.server)
        cfg = pj.AccountConfig()
        cfg.idUri = f"sip:{settings.username}@{host}:{port}"
        cfg.regConfig.registrarUri = f"sip:{host}:{port}"
        cfg.regConfig.retryIntervalSec = 10
        cfg.regConfig.firstRetryIntervalSec = 2
        cfg.sipConfig.transportId = self._ensure_transport(settings.server)
        # Realm "*" answers whatever realm Asterisk challenges with; data type 0 = plain password.
        credentials = pj.AuthCredInfo("digest", "*", settings.username, 0, settings.password)
        cfg.sipConfig.authCreds.append(credentials)
        account = _OperatorAccount(self, settings)
        with self._status_cond:
            self._status[settings.username] = RegistrationStatus()
        self._accounts[settings.username] = account
        try:
            account.create(cfg)
        except BaseException:
            del self._accounts[settings.username]
            with self._status_cond:
                del self._status[settings.username]
            raise

    def _emit(self, event: Event) -> None:
        self._bus.emit(event)

    def _set_status(self, username: str, status: RegistrationStatus) -> None:
        with self._status_cond:
            self._status[username] = status
            self._status_cond.notify_all()

    # ---------------------------------------------------------------- callbacks (on the pj loop)

    def _on_reg_state(self, account: _OperatorAccount, prm: pj.OnRegStateParam) -> None:
        """Emits before publishing the new status, so whoever wait_registered() wakes up can
        already find the event in the sink."""
        settings = account.settings
        code, reason = int(prm.code), prm.reason or f"pj status {prm.status}"
        was_registered = self.registrations().get(settings.username, RegistrationStatus()).registered

        def emit(kind: str, **fields: Any) -> None:
            self._emit(make_event(kind, settings.username, server=settings.server, **fields))

        ok = 200 <= code < 300 and prm.status == 0
        if ok and prm.expiration > 0:
            if not was_registered:
                emit(REGISTERED, status_code=code, reason=reason)
            self._set_status(settings.username, RegistrationStatus(True, code, reason))
        elif ok:
            if was_registered:
                emit(UNREGISTERED)
            self._set_status(settings.username, RegistrationStatus(False, code, reason))
        else:
            emit(REGISTRATION_FAILED, status_code=code, reason=reason)
            self._set_status(settings.username, RegistrationStatus(False, code, reason))

    def _on_call_tsx(self, call: _CallLeg, prm: pj.OnCallTsxStateParam) -> None:
        """A SIP MESSAGE inside a call (Asterisk's SendText): the incident an ambulance crew is sent to, as
        text. The pybind11 binding of pjsua2 has no instant-message callback, so the request is read from
        the call's transaction: the first state of a MESSAGE we receive carries the whole request."""
        event = prm.e
        if event.type != pj.EventId.TSX_STATE or event.body.tsxState.type != pj.EventId.RX_MSG:
            return
        tsx = event.body.tsxState.tsx
        if tsx.method != "MESSAGE" or tsx.role != pj.Role.UAS:
            return
        whole = event.body.tsxState.src.rdata.wholeMsg
        head, _, body = whole.replace("\r\n", "\n").partition("\n\n")
        content_type = next(
            (
                line.split(":", 1)[1].strip()
                for line in head.splitlines()
                if line.lower().startswith(("content-type:", "c:"))
            ),
            "",
        )
        self._emit(
            make_event(
                MESSAGE,
                call.account.settings.username,
                sender=call.context.get("caller", ""),
                content_type=content_type[:80],
                body=body[:4000],
            )
        )

    def _on_incoming_call(self, account: _OperatorAccount, prm: pj.OnIncomingCallParam) -> None:
        settings = account.settings
        call = _CallLeg(self, account, prm.callId)
        self._calls[prm.callId] = call
        info = call.info
        call.context = {
            "caller": caller_from_uri(info.remoteUri),
            "display_name": display_name_from_uri(info.remoteUri),
            "remote_uri": info.remoteUri,
            "sip_call_id": info.callIdString,
            "headers": x_headers(prm.rdata.wholeMsg),
        }
        self._emit(make_event(INCOMING, settings.username, **call.context))
        ringing = pj.CallOpParam()
        ringing.statusCode = pj.StatusCode.RINGING
        call.answer(ringing)
        if settings.answers:
            due = time.monotonic() + settings.answer_after_s
            heapq.heappush(self._answers, (due, next(self._answer_seq), call))

    def _on_call_state(self, call: _CallLeg) -> None:
        info = call.info
        username = call.account.settings.username
        if info.state == pj.InvState.CONFIRMED and not call.answered:
            call.answered = True
            self._emit(make_event(ANSWERED, username, **call.context))
        elif info.state == pj.InvState.DISCONNECTED and not call.ended:
            call.ended = True
            self._emit(
                make_event(
                    DISCONNECTED,
                    username,
                    **call.context,
                    status_code=int(info.lastStatusCode),
                    reason=info.lastReason,
                    answered=call.answered,
                    duration_s=round(info.connectDuration.sec + info.connectDuration.msec / 1000, 3),
                )
            )
            self._release_call_media(call)
            if self._calls.get(call.slot) is call:
                del self._calls[call.slot]
            self._ended_calls.append(call)

    def _on_media_state(self, call: _CallLeg) -> None:
        """Audio is up (or changed): wire the call to the sound device, and to its player and recorder."""
        slot = media.call_conf_port(call.slot)
        if slot < 0:
            return
        # Connected again on every update, even to the same slot: an UPDATE or re-INVITE that renews the
        # stream drops the bridge's connections of the call's port.
        call.bridge_slot = slot
        if not self.audio_outcome.null:
            media.connect(slot, 0)  # the caller's voice to the speaker
            media.connect(0, slot)  # the microphone to the caller
        audio = self._call_audio.get(call.account.settings.username)
        if audio is not None and audio.play is not None and call.player is None:
            call.player, call.player_slot = media.create_player(audio.play)
        if audio is not None and audio.record is not None and call.recorder is None:
            call.recorder, call.recorder_slot = media.create_recorder(audio.record)
        if call.player is not None:
            media.connect(call.player_slot, slot)
        if call.recorder is not None:
            media.connect(slot, call.recorder_slot)

    def _release_call_media(self, call: _CallLeg) -> None:
        for kind, ident, destroy in (
            ("player", call.player, media.destroy_player),
            ("recorder", call.recorder, media.destroy_recorder),
        ):
            if ident is None:
                continue
            try:
                destroy(ident)
            except media.MediaError:
                log.exception("[%s] closing the call's %s failed", call.account.settings.username, kind)
        call.player = call.recorder = None

    def _release_all_media(self) -> None:
        for call in [*self._calls.values(), *self._ended_calls]:
            self._release_call_media(call)

    def _close_recorders(self) -> int:
        closed = 0
        for call in [*self._calls.values(), *self._ended_calls]:
            if call.recorder is not None:
                media.destroy_recorder(call.recorder)
                call.recorder = None
                closed += 1
        return closed

    # ---------------------------------------------------------------- work on the pj loop

    def _answer_due_calls(self) -> None:
        now = time.monotonic()
        while self._answers and self._answers[0][0] <= now:
            _, _, call = heapq.heappop(self._answers)
            if call.ended:
                continue  # caller gave up (CANCEL) before we answered
            ok = pj.CallOpParam()
            ok.statusCode = pj.StatusCode.OK
            try:
                call.answer(ok)
            except RuntimeError:
                log.exception("[%s] could not answer call %s", call.account.settings.username, call.slot)

    def _hangup_calls(self) -> None:
        for call in list(self._calls.values()):
            if call.ended:
                continue
            try:
                call.hangup(pj.CallOpParam())
            except RuntimeError:
                log.debug("hangup of call %s failed", call.id, exc_info=True)

    def _answer_ringing(self) -> int:
        count = 0
        for call in list(self._calls.values()):
            if call.ended or call.answered or call.outgoing:
                continue
            ok = pj.CallOpParam()
            ok.statusCode = pj.StatusCode.OK
            try:
                call.answer(ok)
                count += 1
            except RuntimeError:
                log.debug("answer of call %s failed", call.slot, exc_info=True)
        return count

    def _send_dtmf(self, digits: str) -> int:
        count = 0
        for call in list(self._calls.values()):
            if call.answered and not call.ended:
                try:
                    call.dialDtmf(digits)
                    count += 1
                except RuntimeError:
                    log.debug("DTMF on call %s failed", call.slot, exc_info=True)
        return count

    def _dial(self, username: str, extension: str) -> None:
        account = self._accounts.get(username)
        if account is None:
            raise ValueError(f"{username!r} is not an operator of this softphone")
        call = _CallLeg(self, account, -1)
        call.outgoing = True
        call.context = {"caller": username, "dialled": extension, "headers": {}}
        call.makeCall(f"sip:{extension}@{account.settings.server}", pj.CallOpParam(True))
        call.slot = call.id
        self._calls[call.slot] = call

    def _pump_until(self, done: Callable[[], bool], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not done() and time.monotonic() < deadline:
            _pjlib.handle_events(_POLL_MS)

    def _shutdown(self) -> None:
        """Runs on the pj loop: the endpoint must be destroyed by the thread that polls it."""
        if self._ep is None:
            return
        try:
            self._answers.clear()
            self._hangup_calls()
            self._pump_until(lambda: not self._calls, 2.0)
            for account in self._accounts.values():
                if self.registrations().get(account.settings.username, RegistrationStatus()).registered:
                    try:
                        account.setRegistration(False)
                    except RuntimeError:
                        log.debug("unregister failed", exc_info=True)
            self._pump_until(lambda: not any(s.registered for s in self.registrations().values()), 3.0)
            self._release_all_media()  # in its own frame: no local may keep a Call past libDestroy
            # Call objects must go before libDestroy: their destructor calls into pjsua.
            self._calls.clear()
            self._ended_calls.clear()
            for account in self._accounts.values():
                account.shutdown()
            # Calls are hung up and operators unregistered above, so skip pjsua's own farewell round
            # (PJSUA_DESTROY_NO_NETWORK), which otherwise idles a full second before destroying.
            self._ep.libDestroy(_PJSUA_DESTROY_NO_NETWORK)
        except BaseException:
            log.exception("softphone shutdown failed")
        finally:
            self._calls.clear()
            self._ended_calls.clear()
            self._accounts.clear()
            self._ep = None  # pjsua2 objects die here, on the thread that owned them

    def _release_instance(self) -> None:
        with Softphone._instance_lock:
            Softphone._instance_alive = False
