"""Who is asking and what they may touch: password hashes, sessions, CSRF tokens and kabupaten scope.

Pure rules (`Principal.can_read`, `can_edit`) are separate from the session store so that every HTTP
resource checks access the same way and the rules are testable without a server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, bindparam, delete, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from kernel.messages import N_, Message
from web.errors import FieldError, Forbidden, InputError
from web.model import LANGUAGES, WEB_ROLES, WebSession, WebUser

SESSION_LIFETIME = timedelta(hours=12)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
_KABUPATEN = re.compile(r"[0-9]{2}\.[0-9]{2}")
MIN_PASSWORD = 8

# scrypt at n=2**14, r=8 costs ~16 MiB and tens of milliseconds: cheap for a login, dear for a guesser.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    enc = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${enc(salt).decode()}${enc(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# A hash to check against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(8))


@dataclass(frozen=True)
class Principal:
    """A logged-in user as the access rules see them."""

    user_id: int
    name: str
    role: str
    kabupaten: frozenset[str]  # empty: every kabupaten (admin, or an unrestricted viewer)
    csrf_token: str = ""
    lang: str = "id"  # the console's language for this user (web.i18n.LANGUAGES)

    @property
    def national(self) -> bool:
        return self.role == "admin" or not self.kabupaten

    def can_read(self, kabupaten: str | None) -> bool:
        return self.national or kabupaten in self.kabupaten

    def can_edit(self, kabupaten: str | None) -> bool:
        if self.role == "admin":
            return True
        return self.role == "supervisor" and kabupaten in self.kabupaten

    @property
    def can_edit_anything(self) -> bool:
        return self.role in ("admin", "supervisor")

    @property
    def writable_kabupaten(self) -> frozenset[str] | None:
        """The kabupaten whose rosters and staff this user may write; None: every one (an admin)."""
        if self.role == "admin":
            return None
        return self.kabupaten if self.role == "supervisor" else frozenset()

    def require_read(self, kabupaten: str | None) -> None:
        if not self.can_read(kabupaten):
            raise Forbidden(
                Message("{user} may not see kabupaten {kabupaten}", user=self.name, kabupaten=kabupaten)
            )

    def require_edit(self, kabupaten: str | None) -> None:
        if not self.can_edit(kabupaten):
            if self.role == "viewer":
                raise Forbidden(Message("{user} may not edit anything (read-only)", user=self.name))
            raise Forbidden(
                Message("{user} may not edit kabupaten {kabupaten}", user=self.name, kabupaten=kabupaten)
            )


def principal_of(user: WebUser, csrf_token: str = "") -> Principal:
    return Principal(
        user.id, user.name, user.role, frozenset(user.kabupaten.split()), csrf_token, user.lang or "id"
    )


def add_user(
    session: Session, name: str, role: str, kabupaten: Iterable[str], password: str, known_kabupaten: set[str]
) -> WebUser:
    """Create a user after checking every field; raises `InputError` listing each problem."""
    scope = sorted(set(kabupaten))
    errors: list[FieldError] = []
    if not _NAME.fullmatch(name):
        errors.append(
            FieldError("name", N_("2-64 letters, digits, '.', '_' or '-', starting with a letter or digit"))
        )
    elif session.scalar(select(WebUser).where(WebUser.name == name)) is not None:
        errors.append(FieldError("name", Message("user {name!r} already exists", name=name)))
    if role not in WEB_ROLES:
        errors.append(
            FieldError(
                "role", Message("{role!r} is not one of {roles}", role=role, roles=", ".join(WEB_ROLES))
            )
        )
    if role == "supervisor" and not scope:
        errors.append(FieldError("kabupaten", N_("a supervisor needs at least one kabupaten")))
    if role == "admin" and scope:
        errors.append(FieldError("kabupaten", N_("an admin sees every kabupaten; give none")))
    for code in scope:
        if not _KABUPATEN.fullmatch(code):
            errors.append(
                FieldError("kabupaten", Message("{code!r} is not a kabupaten code such as 33.74", code=code))
            )
        elif code not in known_kabupaten:
            errors.append(FieldError("kabupaten", Message("unknown kabupaten {code!r}", code=code)))
    if len(password) < MIN_PASSWORD:
        errors.append(FieldError("password", Message("at least {n} characters", n=MIN_PASSWORD)))
    if errors:
        raise InputError(errors)
    user = WebUser(
        name=name,
        role=role,
        kabupaten=" ".join(scope),
        password_hash=hash_password(password),
        created_at=_now(),
    )
    session.add(user)
    session.flush()
    return user


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(session: Session, name: str, password: str) -> tuple[str, Principal]:
    """Check the password and open a session; returns (cookie token, principal)."""
    user = session.scalar(select(WebUser).where(WebUser.name == name))
    if user is None:
        verify_password(password, _DUMMY_HASH)
        raise InputError([FieldError("password", N_("unknown user or wrong password"))])
    if not verify_password(password, user.password_hash):
        raise InputError([FieldError("password", N_("unknown user or wrong password"))])
    now = _now()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return token, principal_of(user, csrf)


_SESSION_OF = (
    select(
        WebUser.id,
        WebUser.name,
        WebUser.role,
        WebUser.kabupaten,
        WebUser.lang,
        WebSession.csrf_token,
        WebSession.expires_at,
    )
    .join(WebUser, WebUser.id == WebSession.user_id)
    .where(WebSession.token_hash == bindparam("token_hash"))
)


def session_principal(db: Session | Connection, token: str | None) -> Principal | None:
    """The user of a session token, or None (unknown or expired).

    Every request asks this, so it is one primary-key read of plain columns: building the two ORM
    objects it used to load cost more than the read itself.
    """
    if not token:
        return None
    row = db.execute(_SESSION_OF, {"token_hash": _token_hash(token)}).first()
    if row is None:
        return None
    user_id, name, role, kabupaten, lang, csrf_token, expires_at = row
    if expires_at <= _now():
        return None
    return Principal(user_id, name, role, frozenset(kabupaten.split()), csrf_token, lang or "id")


class SessionReader:
    """Session checks on a connection of the process's own, outside any request's transaction.

    The check runs in the event loop (see `web.deps.current_user`), which must never wait for the
    connection pool: the pool's connections are held by requests in worker threads, and those give them
    back only when the loop ends their transactions. One connection, kept, serves every check of the
    process; the lock covers the odd second event loop (a test client's).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: Connection | None = None

    def principal(self, engine: Engine, token: str | None) -> Principal | None:
        if not token:
            return None
        with self._lock:
            for attempt in (1, 2):
                connection = self._connection
                if connection is None or connection.closed or connection.invalidated:
                    connection = self._connection = engine.connect()
                try:
                    found = session_principal(connection, token)
                    connection.rollback()  # no read transaction left open between checks
                    return found
                except DBAPIError as exc:  # the server dropped a kept connection: one more try
                    self._connection = None
                    connection.close()
                    if not exc.connection_invalidated or attempt == 2:
                        raise
        return None  # not reached: the second attempt returns or raises

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def set_language(session: Session, user_id: int, lang: str) -> None:
    """Remember the console's language for this user; `lang` must be one of `LANGUAGES`."""
    if lang not in LANGUAGES:
        raise InputError(
            [
                FieldError(
                    "lang", Message("{lang!r} is not one of {langs}", lang=lang, langs=", ".join(LANGUAGES))
                )
            ]
        )
    user = session.get(WebUser, user_id)
    if user is not None:
        user.lang = lang


def log_out(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == _token_hash(token)))


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(expected) and given is not None and hmac.compare_digest(expected.encode(), given.encode())
