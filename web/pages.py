"""Server-rendered pages: one Jinja2 environment and the small helpers every page resource uses."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from web import i18n
from web.access import Principal

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
i18n.install(TEMPLATES.env)

LANG_COOKIE = "siaga_lang"  # the language chosen on a page without login (`?lang=`), remembered a year


def page_language(request: Request, user: Principal | None) -> str:
    """The logged-in user's own choice; without a login, `?lang=`, then the remembered choice, then the
    browser's Accept-Language, then Indonesian. An error page of a logged-in user (rendered without the
    principal) finds the user's language where `web.deps.current_user` left it on the request."""
    if user is not None:
        return user.lang
    remembered = getattr(request.state, "lang", None)
    if remembered and "lang" not in request.query_params:
        return str(remembered)
    return i18n.negotiate(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def api_language(request: Request) -> str:
    """Scripts get English reasons unless they ask (`Accept-Language`); the console's own scripts send
    the page's language."""
    asked = request.headers.get("accept-language")
    return i18n.negotiate(None, None, asked) if asked else "en"


def api_text(request: Request, text: str) -> str:
    """A message for a JSON answer, in the language `api_language` picks."""
    with i18n.language(api_language(request)):
        return i18n.translate(text)


def render(
    request: Request, template: str, user: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = page_language(request, user)
    with i18n.language(lang):
        response = TEMPLATES.TemplateResponse(
            request,
            template,
            {"user": user, "path": request.url.path, "lang": lang, **context},
            status_code=status_code,
        )
    asked = i18n.supported(request.query_params.get("lang"))
    if user is None and asked and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


class FragmentCache:
    """Rendered parts of pages that depend only on their key (never on who is asking).

    Fifty supervisors watching the coverage of their kabupaten see the same picture until the roster
    changes or a shift boundary passes; both are in the key, so a hit is never stale. The language being
    rendered is added to every key: an Indonesian picture is never served to an English reader.
    """

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, Markup] = OrderedDict()

    def render(
        self, key: Hashable, template: str, context: Callable[[], dict[str, Any]], lang: str
    ) -> Markup:
        """The cached fragment for `key` in `lang`, else `template` rendered with `context()` (only on a
        miss)."""
        key = (lang, key)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        with i18n.language(lang):
            text = Markup(TEMPLATES.get_template(template).render(lang=lang, **context()))
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
