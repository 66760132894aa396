"""Every channel variable the engine and the dialplan share. The dialplan in dialplans/ uses these names.

Set by the `route` script in one `EXEC MSet` (one SET VARIABLE each where MSet fails), in this order:

    ROUTE_COUNT        number of facility targets, 0..n (desks come after them)
    ROUTE_1..ROUTE_n   Dial strings, e.g. PJSIP/pkm-gayamsari-op1
    ROUTE_TIMEOUT_1..n ring time in seconds for each target (within the ring budget)
    ROUTE_DESK_COUNT   number of desks, 0..9: the caller's own desk, then its overflow desks
    ROUTE_DESK_1..n    a desk's queue name (its facility code), e.g. psc119-semarang
    ROUTE_DESK_WAIT_1..n  the longest wait at that desk in seconds; 0 for the last (no limit)
    ROUTE_AREA         code of the caller's smallest known area (e.g. 33.74.04), empty if unknown
    ROUTE_LOCATION_SOURCE  where the location came from (pidf-lo, carrier-header, directory, trunk, ivr,
                       area-code) or "none"
    ROUTE_ASK_DIGITS   "1" when nothing better than an area code is known: the dialplan runs the kode-pos
                       IVR and asks `route` again with the digits; "0" otherwise
    ROUTE_STATUS       "OK", written last: the dialplan trusts the ROUTE_* variables only when it sees it,
                       because a crashed engine still leaves AGISTATUS=SUCCESS

Set by the `route` script in the same MSet, before ROUTE_STATUS, for the operator's screen-pop
(routing/screenpop.py builds the texts; the `siaga-screenpop` pre-dial handler turns them into X-Siaga-*
headers on each INVITE to an operator). The leading "_" makes Asterisk copy them to the dialled channel:

    _SIAGA_POP_CALL, _SIAGA_POP_CALLER, _SIAGA_POP_LOCATION, _SIAGA_POP_SOURCE, _SIAGA_POP_ACCURACY,
    _SIAGA_POP_AREA, _SIAGA_POP_SERVICE   the same on every attempt
    _SIAGA_POP_AMBULANCE                  emergency calls with a point: the nearest ambulance and bed
    SIAGA_POP_ATTEMPT_1..n                 "2 of 3; Puskesmas Gayamsari did not answer"; siaga-attempt
                                           copies the one it dials into _SIAGA_POP_ATTEMPT

Set by the `outcome` script:

    OUTCOME_STATUS     "OK" once the call's report is in the engine's spool; otherwise the dialplan keeps
                       the report in AstDB (family PENDING_FAMILY) for a later `outcome` to collect

Read by the engine with GET FULL VARIABLE (functions, not variables): GEOLOC_EFFECTIVE, GEOLOC_FORMAT,
carrier_header(name), TRUNK_ENDPOINT, device_state(endpoint), away_state(endpoint).

Dialplan-only (set and read in dialplans/siaga.conf; listed so no name is typed twice in Python):

    SIAGA_SERVICE      the hotline service (emergency, consultation), the AGI's first argument
    SIAGA_DIGITS       what the caller typed in the IVR; passed back as "ivr:<digits>", the second argument
    SIAGA_START        when the call arrived (epoch seconds.milliseconds), the third argument
    SIAGA_TOPIC        the consultation line's topic menu: "topic:<digit>" once the menu ran (the digit may
                       be empty or off the menu: the engine then plans the plain desk), "-" otherwise; the
                       fourth argument
    SIAGA_ROUTE        how routing went: ok, failed, hung, noplan, none (reported at hangup)
    SIAGA_TRAIL        finished attempts, "n|dial|start|end|DIALSTATUS|DIALEDTIME_MS|ANSWEREDTIME_MS;…"
    SIAGA_CURRENT      the attempt in progress, "n|dial|start"
"""

from __future__ import annotations

ROUTE_COUNT = "ROUTE_COUNT"
ROUTE_STATUS = "ROUTE_STATUS"
ROUTE_AREA = "ROUTE_AREA"
ROUTE_LOCATION_SOURCE = "ROUTE_LOCATION_SOURCE"
ROUTE_ASK_DIGITS = "ROUTE_ASK_DIGITS"
ROUTE_DESK_COUNT = "ROUTE_DESK_COUNT"
MAX_DESKS = 9  # the dialplan reads one digit
STATUS_OK = "OK"

OUTCOME_STATUS = "OUTCOME_STATUS"
PENDING_FAMILY = "siaga_pending"

GEOLOC_EFFECTIVE = "GEOLOC_PROFILE(effective_location)"
GEOLOC_FORMAT = "GEOLOC_PROFILE(format)"
TRUNK_ENDPOINT = "CHANNEL(endpoint)"

SIAGA_SERVICE = "SIAGA_SERVICE"
SIAGA_DIGITS = "SIAGA_DIGITS"
SIAGA_START = "SIAGA_START"
SIAGA_ROUTE = "SIAGA_ROUTE"
SIAGA_TRAIL = "SIAGA_TRAIL"
SIAGA_CURRENT = "SIAGA_CURRENT"
IVR_ARG_PREFIX = "ivr:"
SIAGA_TOPIC = "SIAGA_TOPIC"
TOPIC_ARG_PREFIX = "topic:"


SCREENPOP_VARIABLES = {
    "X-Siaga-Call": "_SIAGA_POP_CALL",
    "X-Siaga-Caller": "_SIAGA_POP_CALLER",
    "X-Siaga-Location": "_SIAGA_POP_LOCATION",
    "X-Siaga-Location-Source": "_SIAGA_POP_SOURCE",
    "X-Siaga-Accuracy": "_SIAGA_POP_ACCURACY",
    "X-Siaga-Area": "_SIAGA_POP_AREA",
    "X-Siaga-Service": "_SIAGA_POP_SERVICE",
}
SCREENPOP_AMBULANCE = "_SIAGA_POP_AMBULANCE"  # X-Siaga-Ambulance: emergency calls with a point only
"""Screen-pop header → the inheritable variable the engine sets (the dialplan reads it without the "_")."""


def route_desk_n(n: int) -> str:
    return f"ROUTE_DESK_{n}"


def route_desk_wait_n(n: int) -> str:
    return f"ROUTE_DESK_WAIT_{n}"


def screenpop_attempt_n(n: int) -> str:
    return f"SIAGA_POP_ATTEMPT_{n}"


def route_n(n: int) -> str:
    return f"ROUTE_{n}"


def route_timeout_n(n: int) -> str:
    return f"ROUTE_TIMEOUT_{n}"


def carrier_header(name: str) -> str:
    return f"PJSIP_HEADER(read,{name})"


AWAY = "AWAY"
"""Pseudo device state for an operator who paused themselves; routing/presence.py gives its reason."""
AWAY_STATES = {"INUSE", "BUSY"}
"""Values of the away flag that mean "away"; `*47` sets NOT_INUSE, a never-set flag reads UNKNOWN."""


def away_state(endpoint: str) -> str:
    """The operator's away flag: a Custom device state the siaga-operators feature codes *46/*47 set
    (Asterisk keeps Custom states in AstDB, so a pause survives a restart)."""
    return f"DEVICE_STATE(Custom:siaga-away-{endpoint})"


def device_state(endpoint: str) -> str:
    return f"DEVICE_STATE(PJSIP/{endpoint})"
