"""Operator softphones on pjsua2: register to Asterisk, report calls as events, optionally auto-answer.

Tests use the same code as answering bots (``softphone.bots.BotFleet``) that report which calls
reached them.
"""

from softphone.bots import Bot, BotFleet, BotFleetError, answered_by, read_events
from softphone.phone import MAX_OPERATORS, RegistrationStatus, Softphone

__all__ = [
    "MAX_OPERATORS",
    "Bot",
    "BotFleet",
    "BotFleetError",
    "RegistrationStatus",
    "Softphone",
    "answered_by",
    "read_events",
]
