"""Server-rendered pages: one Jinja2 environment and the small helpers every page resource uses."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from web.access import Principal

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _local(value: datetime, zone: str = "Asia/Jakarta", fmt: str = "%a %d %b %H:%M") -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


TEMPLATES.env.filters["local"] = _local


def render(
    request: Request, template: str, user: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, template, {"user": user, "path": request.url.path, **context}, status_code=status_code
    )


class FragmentCache:
    """Rendered parts of pages that depend only on their key (never on who is asking).

    Fifty supervisors watching the coverage of their kabupaten see the same picture until the roster
    changes or a shift boundary passes; both are in the key, so a hit is never stale.
    """

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, Markup] = OrderedDict()

    def render(self, key: Hashable, template: str, context: Callable[[], dict[str, Any]]) -> Markup:
        """The cached fragment for `key`, else `template` rendered with `context()` (only on a miss)."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        text = Markup(TEMPLATES.get_template(template).render(**context()))
        with self._lock:
            self._items[key] = text
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return text


def safe_back(request: Request, default: str = "/") -> str:
    """Where a "back" link may point: our own Referer path, never another site."""
    referer = request.headers.get("referer")
    if not referer:
        return default
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return default
    return parts.path + (f"?{parts.query}" if parts.query else "")


def safe_next(target: str | None) -> str:
    """A post-login redirect target: a path on this site only (no `//host` or scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
