"""Logging in, guarded: throttled per source address and per user name, and every attempt audited.

A password check is scrypt on purpose (tens of milliseconds and 16 MiB each), which makes the login form
the cheapest way to keep a server's cores busy. So every refusal here happens *before* anything is
hashed:

- **Per user name**: after `PER_NAME` failures within `WINDOW_S`, that name is refused until the oldest
  failure ages out — the right password included, or a guesser would learn it by the answer changing.
- **Per source address**: after `PER_ADDRESS` failures within the window, everything from that address
  is refused the same way (one address trying many names).
- **At most `max_hashing` password checks at once** per process; an attempt that finds them all busy is
  refused at once (429, `Retry-After: 1`), never queued — a queue would hold the server's threads, and
  thousands of addresses each under their own limit (a botnet) would still burn every core.

Memory is bounded: each table keeps at most `max_keys` keys (least recently failed dropped first) and at
most `PER_NAME`/`PER_ADDRESS` times per key. The tables are per process: with `siaga web --workers N` the
limits are per worker. The source address is what uvicorn reports as the peer (a proxy on this machine
is trusted for `X-Forwarded-For` by uvicorn's own default, `forwarded_allow_ips=127.0.0.1`).

Audit: a success (`login`), a failure (`login-failed`) and the first refusal of a throttled name or
address in a window (`login-throttled`, once: a flood must not become a flood of audit rows) each write
an entry in the request's own transaction — the handlers answer a refusal with a response instead of
raising, so the entry is committed with it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from kernel.messages import N_, Message
from web import access
from web.access import Principal
from web.audit import record
from web.errors import InputError

log = logging.getLogger("siaga.web.login")

WRONG = N_("unknown user or wrong password")


class _Failures:
    """Recent failure times per key, for at most `max_keys` keys (least recently failed go first)."""

    def __init__(self, limit: int, window_s: float, max_keys: int) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._times: OrderedDict[str, deque[float]] = OrderedDict()
        self._announced: dict[str, float] = {}  # key → the window end its refusal was audited for

    def add(self, key: str, now: float) -> None:
        times = self._times.pop(key, None) or deque(maxlen=self.limit)
        times.append(now)
        self._times[key] = times  # now the most recent
        while len(self._times) > self.max_keys:
            old, _ = self._times.popitem(last=False)
            self._announced.pop(old, None)

    def clear(self, key: str) -> None:
        self._times.pop(key, None)
        self._announced.pop(key, None)

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may try again (0: now)."""
        times = self._times.get(key)
        if times is None:
            return 0.0
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._times[key]
            self._announced.pop(key, None)
            return 0.0
        if len(times) < self.limit:
            return 0.0
        return times[0] + self.window_s - now

    def first_refusal(self, key: str, now: float, wait: float) -> bool:
        """True once per throttled spell of `key`: the refusal worth an audit entry."""
        until = now + wait
        if self._announced.get(key, -1.0) >= now:
            return False
        self._announced[key] = until
        return True

    def __len__(self) -> int:
        return len(self._times)


@dataclass(frozen=True)
class Refusal:
    """A login refused before any password was checked."""

    retry_after_s: int
    reason: str
    audit: bool  # the first refusal of this spell: worth an audit entry


class LoginThrottle:
    """The limits, in memory; thread-safe (the sync handlers run in a thread pool)."""

    PER_NAME = 5
    PER_ADDRESS = 20
    WINDOW_S = 15 * 60.0

    def __init__(
        self,
        *,
        max_keys: int = 10_000,
        max_hashing: int = 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._names = _Failures(self.PER_NAME, self.WINDOW_S, max_keys)
        self._addresses = _Failures(self.PER_ADDRESS, self.WINDOW_S, max_keys)
        self._hashing = threading.BoundedSemaphore(max_hashing)
        self.max_hashing = max_hashing
        self._clock = clock

    def refusal(self, address: str, name: str) -> Refusal | None:
        """Why this attempt is refused without checking its password (None: go ahead)."""
        with self._lock:
            now = self._clock()
            for table, key, who, what in (
                (
                    self._addresses,
                    address,
                    address,
                    N_("too many failed logins from {who}: try again in {n} minute(s)"),
                ),
                (
                    self._names,
                    name,
                    repr(name),
                    N_("too many failed logins for {who}: try again in {n} minute(s)"),
                ),
            ):
                wait = table.wait(key, now)
                if wait > 0:
                    return Refusal(
                        max(1, int(wait + 0.999)),
                        Message(what, who=who, n=int(wait // 60) + 1),
                        table.first_refusal(key, now, wait),
                    )
        return None

    def failed(self, address: str, name: str) -> None:
        with self._lock:
            now = self._clock()
            self._addresses.add(address, now)
            self._names.add(name, now)

    def succeeded(self, name: str) -> None:
        """The name's failures are forgiven (its owner knows the password); the address's are not."""
        with self._lock:
            self._names.clear(name)

    def hash_slot(self) -> bool:
        """Take one of the `max_hashing` password-check slots without waiting; False if all are busy."""
        return self._hashing.acquire(blocking=False)

    def release_hash_slot(self) -> None:
        self._hashing.release()

    def tracked(self) -> int:
        """Keys held in memory (names and addresses)."""
        with self._lock:
            return len(self._names) + len(self._addresses)


@dataclass(frozen=True)
class LoginOutcome:
    """A session opened (`token`, `principal`) or a refusal (`status`, `reason`, `retry_after_s`)."""

    token: str = ""
    principal: Principal | None = None
    status: int = 200
    reason: str = ""
    retry_after_s: int | None = None

    @property
    def ok(self) -> bool:
        return self.principal is not None


@dataclass
class LoginGuard:
    """`access.log_in` behind the throttle, with every attempt audited; built once per app."""

    throttle: LoginThrottle = field(default_factory=LoginThrottle)

    def log_in(self, session: Session, name: str, password: str, address: str) -> LoginOutcome:
        """Never raises for a refused login: the audit entry must commit with the answer."""
        refused = self.throttle.refusal(address, name)
        if refused is not None:
            if refused.audit:
                log.warning("login throttled: %s", refused.reason)
                record(
                    session, name, "login-throttled", None, f"from {address}: {refused.reason}", None, None
                )
            return LoginOutcome(status=429, reason=refused.reason, retry_after_s=refused.retry_after_s)
        if not self.throttle.hash_slot():
            return LoginOutcome(
                status=429,
                reason=N_("too many logins at this moment: try again in a second"),
                retry_after_s=1,
            )
        try:
            token, principal = access.log_in(session, name, password)
        except InputError:
            self.throttle.failed(address, name)
            record(session, name, "login-failed", None, f"from {address}: {WRONG}", None, None)
            return LoginOutcome(status=422, reason=WRONG)
        finally:
            self.throttle.release_hash_slot()
        self.throttle.succeeded(name)
        record(session, name, "login", None, f"from {address}", None, None)
        return LoginOutcome(token, principal)
