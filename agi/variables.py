"""Every channel variable the engine and the dialplan share. The dialplan in dialplans/ uses these names.

Set by the `route` script, in this order:

    ROUTE_COUNT        number of targets, 1..n (the central dispatcher is always the last one)
    ROUTE_1..ROUTE_n   Dial strings, e.g. PJSIP/pkm-gayamsari-op1
    ROUTE_TIMEOUT_1..n ring time in seconds for each target
    ROUTE_AREA         code of the caller's smallest known area (e.g. 33.74.04), empty if unknown
    ROUTE_LOCATION_SOURCE  where the location came from (directory, …) or "none"
    ROUTE_STATUS       "OK", written last: the dialplan trusts the ROUTE_* variables only when it sees it,
                       because a crashed engine still leaves AGISTATUS=SUCCESS

Read by the dialplan only:

    SIAGA_SERVICE      the hotline service (emergency, consultation), passed as the AGI's first argument
"""

from __future__ import annotations

ROUTE_COUNT = "ROUTE_COUNT"
ROUTE_STATUS = "ROUTE_STATUS"
ROUTE_AREA = "ROUTE_AREA"
ROUTE_LOCATION_SOURCE = "ROUTE_LOCATION_SOURCE"
STATUS_OK = "OK"


def route_n(n: int) -> str:
    return f"ROUTE_{n}"


def route_timeout_n(n: int) -> str:
    return f"ROUTE_TIMEOUT_{n}"
