"""Where siaga's manager-interface login comes from: a secret per run directory, made once.

Asterisk is configured with it when it starts (`lab.pbx`), and the engine's helpers log in with it.
"""

from __future__ import annotations

import os
import secrets

from ami.client import ManagerClient
from kernel.settings import Settings


def manager_secret(settings: Settings) -> str:
    """The manager interface's secret for this run directory: made once, readable by root only. Asterisk
    is configured with it at start and the engine logs in with it."""
    path = settings.run_dir / "asterisk" / "ami.secret"
    try:
        secret = path.read_text(encoding="ascii").strip()
        if secret:
            return secret
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(20)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    return secret


def manager_client(settings: Settings, timeout_s: float = 5.0) -> ManagerClient:
    """A client (not yet connected) for this system's Asterisk manager interface."""
    return ManagerClient(
        "127.0.0.1", settings.ami_port, "siaga", manager_secret(settings), timeout_s=timeout_s
    )
