"""Registry of FastAGI script handlers, keyed by the path in ``agi://host:port/<script>``.

Duplicates are refused rather than overwritten: two modules silently competing for "route"
would make which one answers a 119 call depend on import order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    from agi.protocol import AgiSession

AgiHandler = Callable[["AgiSession"], None]
"""A script handler: reads the call from the session and sets channel variables on it."""

# Script names arrive from the network as the URL path; keeping registered names to a plain
# charset means a lookup can never match something surprising (slashes, spaces, query strings).
_SCRIPT_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


class ScriptTable:
    """Maps AGI script names to handlers; the server looks calls up here."""

    def __init__(self) -> None:
        self._handlers: dict[str, AgiHandler] = {}

    @overload
    def register(self, name: str, handler: AgiHandler) -> AgiHandler: ...

    @overload
    def register(self, name: str, handler: None = None) -> Callable[[AgiHandler], AgiHandler]: ...

    def register(
        self, name: str, handler: AgiHandler | None = None
    ) -> AgiHandler | Callable[[AgiHandler], AgiHandler]:
        """Register ``handler`` as script ``name``; without a handler, return a decorator."""
        if handler is None:

            def decorator(func: AgiHandler) -> AgiHandler:
                return self.register(name, func)

            return decorator
        if not _SCRIPT_NAME_RE.fullmatch(name):
            raise ValueError(f"invalid AGI script name {name!r}: use letters, digits, '_', '.', '-'")
        if not callable(handler):
            raise TypeError(f"handler for AGI script {name!r} is not callable")
        if name in self._handlers:
            raise ValueError(f"AGI script {name!r} is already registered")
        self._handlers[name] = handler
        return handler

    def get(self, name: str) -> AgiHandler | None:
        """The handler for ``name``, or None: an unknown script is the caller's to log, not an error here."""
        return self._handlers.get(name)

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def __contains__(self, name: object) -> bool:
        return name in self._handlers

    def __len__(self) -> int:
        return len(self._handlers)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
