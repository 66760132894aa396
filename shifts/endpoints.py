"""Softphone endpoint names: the one check every writer of the staff table uses.

A staff member's endpoint becomes a PJSIP section name in the generated `pjsip.conf` (endpoint, aor and
auth of that name), the `PJSIP/<endpoint>` the dialplan dials, a SIP user name and part of a Custom
device state. So the roster import, the console's staff edits and the sample data all ask
`endpoint_problem` here, and a name that passes is safe in each of those places:

- ASCII letters, digits, `-` and `_`, starting with a letter or digit, at most 64 characters (the
  column's width). `str.isalnum()` is not enough: it accepts `é` or `٣`, which the dialplan's
  `^PJSIP/[A-Za-z0-9_-]+$` check then refuses, so such a phone would never ring.
- Not a name Asterisk or our own configuration already gives a meaning (`RESERVED`, compared without
  regard to case): an operator called `anonymous` would become PJSIP's anonymous endpoint and take
  every INVITE nobody else claims; `caller-trunk` would merge into the carriers' endpoint;
  `transport-…`, `global`, `system` and our templates' names would collide with sections of the
  generated file.

`routing.plan.dial_string` checks the same character set when it builds a dial string (it does not know
the reserved names; nothing reserved can reach the staff table through the writers above). The dialplan
checks what operators dial (`siaga-operators`) against `dialled_name_pattern` and `reserved_pattern`,
rendered from here into extensions.conf, so that list is written once.
"""

from __future__ import annotations

import re

MAX_LENGTH = 64
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

# Sections of config/asterisk/pjsip.conf and names res_pjsip gives a meaning of its own.
RESERVED = frozenset(
    {
        "anonymous",  # res_pjsip_endpoint_identifier_anonymous: the endpoint for unidentified requests
        "caller-trunk",  # our carriers' endpoint and identify section
        "global",  # type=global
        "system",  # type=system
        "general",
        "operator-endpoint",  # our templates
        "operator-aor",
        "operator-auth",
    }
)
RESERVED_PREFIXES = ("transport",)  # transport-udp today; transport-tls, -tcp, -ws tomorrow


def endpoint_problem(name: str) -> str | None:
    """Why `name` cannot be a staff member's softphone endpoint, or None if it can."""
    if not _NAME.fullmatch(name):
        return (
            f"{name!r} must be 1-{MAX_LENGTH} ASCII letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    folded = name.lower()
    if folded in RESERVED or folded.startswith(RESERVED_PREFIXES):
        return f"{name!r} is reserved: Asterisk or siaga's own PJSIP configuration already uses that name"
    return None


def dialled_name_pattern() -> str:
    """A name an operator may dial, as a POSIX extended regex: the shape above, lower case only (SIP user
    names and Asterisk's extension patterns are case-sensitive, and operators dial names in lower case)."""
    return f"^[a-z0-9][a-z0-9_-]{{0,{MAX_LENGTH - 1}}}$"


def reserved_pattern() -> str:
    """RESERVED and RESERVED_PREFIXES as one POSIX extended regex over a lower-case name."""
    names = sorted(RESERVED) + [f"{prefix}.*" for prefix in RESERVED_PREFIXES]
    if not all(re.fullmatch(r"[a-z0-9-]+(\.\*)?", n) for n in names):
        raise ValueError("a reserved endpoint name needs escaping in a POSIX regex")
    return f"^({'|'.join(names)})$"
