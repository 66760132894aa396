"""One SIP secret per operator endpoint, kept in `<data_dir>/secrets/sip.json` (mode 0600), and
`siaga secrets show ENDPOINT`.

Every endpoint used to share one published password, so a SIP scanner (sipvicious' svcrack) registered
as any operator and took their calls. Now each endpoint gets its own random secret the first time
Asterisk is configured with it (`lab.pbx.operator_accounts`), and keeps it across restarts, so a
configured softphone keeps working. The same secrets reach pjsip.conf, the answering bots
(`lab.stack`) and `siaga softphone`; an administrator reads one with `siaga secrets show` to set up a
real softphone.

The file lives in the data directory, not in the run directory that is mounted into Asterisk's root:
Asterisk sees only the pjsip.conf rendered from it. Format: `{"version": 1, "endpoints": {name: secret}}`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from kernel.messages import Message
from kernel.settings import Settings, SettingsError, operator_password_problem

log = logging.getLogger("siaga.sipsecrets")

FORMAT_VERSION = 1
SECRET_BYTES = 24  # token_urlsafe: 32 characters of A-Z a-z 0-9 - _, safe in pjsip.conf and SIP digest


class SecretsError(ValueError):
    """The secrets file has no secret for an endpoint, or is not a file we wrote (the command exits 2)."""


class SecretStore:
    """The secrets file: read, and filled in for new endpoints under a lock (two starts at once must not
    give one endpoint two secrets)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o700)
        descriptor = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    def read(self) -> dict[str, str]:
        """Endpoint → secret; empty when the file does not exist yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SecretsError(f"{self.path}: not valid JSON ({exc}); restore it from a backup") from None
        endpoints = data.get("endpoints") if isinstance(data, dict) else None
        if not isinstance(endpoints, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v and v.isprintable() and ";" not in v
            for k, v in endpoints.items()
        ):
            raise SecretsError(f"{self.path}: not a siaga SIP secrets file (version {FORMAT_VERSION})")
        return dict(endpoints)

    def ensure(self, endpoints: Iterable[str]) -> dict[str, str]:
        """Every endpoint's secret, making one for each that has none; returns the whole store."""
        with self._locked():
            known = self.read()
            missing = sorted(set(endpoints) - set(known))
            if missing:
                known.update((name, secrets.token_urlsafe(SECRET_BYTES)) for name in missing)
                self._write(known)
                log.info("made SIP secrets for %d endpoint(s) in %s", len(missing), self.path)
            elif self.path.exists() and self.path.stat().st_mode & 0o077:
                os.chmod(self.path, 0o600)  # someone loosened it: the file holds every operator's secret
            return known

    def _write(self, known: dict[str, str]) -> None:
        """Atomically, created 0600 from the start: the secrets are never readable by others, not even
        for the moment between create and chmod."""
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"version": FORMAT_VERSION, "endpoints": dict(sorted(known.items()))}, handle, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)


def endpoint_passwords(
    settings: Settings, endpoints: Iterable[str], *, create: bool = False
) -> dict[str, str]:
    """Each endpoint's SIP password: its own secret from the store (made now for any endpoint without one
    when `create`: Asterisk is being configured), or, while a site still sets it, the deprecated shared
    `operator_password`. Raises SecretsError naming any endpoint that has no secret yet."""
    problem = operator_password_problem(settings.operator_password)
    if problem is not None:
        raise SettingsError(problem)
    names = sorted(set(endpoints))
    if settings.operator_password:
        return dict.fromkeys(names, settings.operator_password)
    store = SecretStore(settings.sip_secrets_path)
    known = store.ensure(names) if create else store.read()
    missing = [name for name in names if name not in known]
    if missing:
        raise SecretsError(
            Message(
                "no SIP secret for {endpoints} in {path}: secrets are made when Asterisk is started "
                "(`siaga up`, `siaga asterisk start`) for every endpoint of the staff table; check the "
                "name, or start Asterisk once after adding the staff member",
                endpoints=", ".join(missing),
                path=store.path,
            )
        )
    return {name: known[name] for name in names}
