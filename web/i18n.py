"""The console's languages: Bahasa Indonesia by default, English on request; and every date, number and
time written the way its reader expects (Senin, 23 November 2026; 1.234,5; 14.05 WITA).

The catalogs are the `.po` files under `web/locale`, compiled in memory the first time a language is used
(no `.mo` to build or to forget to rebuild). Templates reach all of this through the Jinja i18n extension
and the filters installed by `install`; the language of the request being rendered is a context variable
that `web.pages.render` sets, so one shared Jinja environment serves every user in their own language.
"""

from __future__ import annotations

import functools
import gettext as gettext_module
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.core import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from jinja2 import Environment

from kernel.messages import Message
from shifts.templates import zone_label
from web.model import LANGUAGES

DEFAULT_LANGUAGE = LANGUAGES[0]
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

DEFAULT_ZONE = "Asia/Jakarta"

_current: ContextVar[str] = ContextVar("siaga_language", default=DEFAULT_LANGUAGE)

# Patterns per language (Babel/CLDR syntax). Times are 24-hour in both: a hotline runs all night, and
# Indonesian writes 14.05 where English writes 14:05.
_PATTERNS: dict[str, dict[str, str]] = {
    "id": {
        "day": "EEEE, d MMMM y",
        "date": "d MMM y",
        "when": "EEE d MMM HH.mm",
        "stamp": "d MMM y HH.mm.ss",
        "minute": "d MMM y HH.mm",
        "clock": "HH.mm",
        "clock_s": "HH.mm.ss",
        "weekday_clock": "EEE HH.mm",
        "column_day": "EEE d MMM",
    },
    "en": {
        "day": "EEEE, d MMMM y",
        "date": "d MMM y",
        "when": "EEE d MMM HH:mm",
        "stamp": "d MMM y HH:mm:ss",
        "minute": "d MMM y HH:mm",
        "clock": "HH:mm",
        "clock_s": "HH:mm:ss",
        "weekday_clock": "EEE HH:mm",
        "column_day": "EEE d MMM",
    },
}


def supported(lang: str | None) -> str | None:
    """`lang` as one of ours ("id-ID" → "id", "en_GB" → "en"), else None."""
    if not lang:
        return None
    base = lang.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def negotiate(asked: str | None, remembered: str | None, accept_language: str | None) -> str:
    """The language of a page without a login: `?lang=` first, then the one chosen earlier (cookie), then
    the browser's `Accept-Language` by its weights, then Indonesian."""
    for choice in (asked, remembered):
        found = supported(choice)
        if found:
            return found
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        found = supported(tag)
        if found and weight > 0:
            ranked.append((-weight, n, found))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


@functools.cache
def translations(lang: str) -> gettext_module.NullTranslations:
    """The catalog of `lang`, compiled from its `.po` once per process; English is the msgids themselves,
    with its catalog (if any) only overriding them."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return gettext_module.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def current_language() -> str:
    return _current.get()


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Everything translated or formatted inside this block is in `lang`."""
    token = _current.set(supported(lang) or DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_current.get()).pgettext(context, message)


_ = gettext


def translate(text: str) -> str:
    """A message built elsewhere (a `FieldError` reason, a notice) in the current language.

    A `kernel.messages.Message` is translated by its msgid and then filled in; a plain string is looked up
    whole (the fixed messages), and anything the catalog does not know is shown as it came."""
    if isinstance(text, Message):
        return text.translated(gettext)
    return gettext(text) if text else text


@functools.cache
def _pattern(msgid: str) -> re.Pattern[str]:
    """A msgid with `{name}` fields as a regular expression that captures each field's text."""
    parts = re.split(r"\{(\w+)(?:![rs])?\}", msgid)
    regex = "".join(re.escape(part) if n % 2 == 0 else f"(?P<{part}>.+?)" for n, part in enumerate(parts))
    return re.compile(regex + r"\Z", re.DOTALL)


def recognise(text: str, msgids: Iterable[str]) -> str:
    """`text` as a translatable `Message` if it is one of `msgids` filled in (a notice that travelled
    through a redirect's query, a message of a layer that could not mark it); else `text` unchanged."""
    if isinstance(text, Message):
        return text
    for msgid in msgids:
        found = _pattern(msgid).match(text)
        if found:
            message = Message(msgid, **{k: v for k, v in found.groupdict().items()})
            if str(message) == text:
                return message
    return text


@functools.cache
def msgids_of(*prefixes: str) -> tuple[str, ...]:
    """The msgids marked in the source files under `prefixes` ("routing/"), as the catalog's locations
    say: what a layer wrote into a stored text, known without repeating its words here."""
    path = LOCALE_DIR / "en" / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return ()
    with path.open("rb") as po:
        catalog = read_po(po, locale="en")
    return tuple(
        m.id
        for m in catalog
        if isinstance(m.id, str) and m.id and any(f.startswith(prefixes) for f, _ in m.locations)
    )


class Recogniser:
    """Stored English texts (a call's "why", its notes) back into `Message`s, fill-ins included, so a page
    shows them in its reader's language although the record kept plain text.

    `choices` names the fields whose value is one of a few fixed texts (possibly ""): they are matched
    against exactly those, which settles texts that a plain pattern would split two ways ("next nearest
    staffed puskesmas"), and the value found is translated as its own msgid. The fields named in `nested`
    are recognised in turn (a reason inside a sentence) and may be empty. A text that matches nothing is
    returned as it came; each msgid is compiled once, and only the msgids that can start the text are
    tried."""

    def __init__(
        self,
        msgids: Iterable[str],
        choices: Mapping[str, Iterable[str]] | None = None,
        nested: Iterable[str] = (),
    ) -> None:
        self.choices = {k: sorted(set(v), key=len, reverse=True) for k, v in (choices or {}).items()}
        self.nested = frozenset(nested)
        self._by_start: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        self._open: list[tuple[str, re.Pattern[str]]] = []  # msgids starting with a field
        for msgid in dict.fromkeys(msgids):
            parts = re.split(r"\{(\w+)(?:![rs])?\}", msgid)
            if len(parts) == 1:
                regex = re.escape(msgid)
            else:
                seen: set[str] = set()
                pieces = []
                for n, part in enumerate(parts):
                    if n % 2 == 0:
                        pieces.append(re.escape(part))
                    elif part in seen:  # a field named twice ("{area} … {area} chosen") says the same twice
                        pieces.append(f"(?P={part})")
                    else:
                        seen.add(part)
                        pieces.append(self._field(part))
                regex = "".join(pieces)
            entry = (msgid, re.compile(regex + r"\Z", re.DOTALL))
            if parts[0]:
                self._by_start.setdefault(parts[0][:1], []).append(entry)
            else:
                self._open.append(entry)
        # The most specific first: the msgid with the most fixed text wins over a looser one that the same
        # text also fills ("{endpoint}: {reason}" would swallow a whole "why" that has a colon in it).
        for entries in (*self._by_start.values(), self._open):
            entries.sort(key=lambda e: -len(re.sub(r"\{\w+(?:![rs])?\}", "", e[0])))

    def _field(self, name: str) -> str:
        if name in self.choices:
            return f"(?P<{name}>" + "|".join(re.escape(c) for c in self.choices[name]) + ")"
        return f"(?P<{name}>.*?)" if name in self.nested else f"(?P<{name}>.+?)"

    def __call__(self, text: str, depth: int = 0) -> str:
        if not text or isinstance(text, Message) or depth > 3:
            return text
        for msgid, pattern in (*self._by_start.get(text[:1], ()), *self._open):
            found = pattern.match(text)
            if found is None:
                continue
            params: dict[str, Any] = {}
            for name, value in found.groupdict().items():
                if name in self.choices:
                    params[name] = Message(value) if value else ""
                elif name in self.nested:  # may be empty: an optional part ("{passed}")
                    params[name] = self(value, depth + 1)
                else:
                    params[name] = value
            message = Message(msgid, **params) if params else Message(msgid)
            if str(message) == text:
                return message
        return text


# --- dates, times and numbers --------------------------------------------------------------------------


def _aware(value: datetime, zone: str) -> datetime:
    if value.tzinfo is None:  # the database keeps UTC without an offset
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(zone))


def format_time_in(
    value: datetime | None, zone: str | None = None, style: str = "when", label: bool = True
) -> str:
    """`value` in `zone`, in one of the named styles (day, date, when, stamp, minute, clock, clock_s,
    weekday_clock), followed by the zone's label (WIB/WITA/WIT) unless `label` is false (the same time
    shown twice, as a range). Without `zone`, a value already in a named zone stays in it (a complaint's
    times are in the complaint's zone); anything else is shown in WIB."""
    if value is None:
        return ""
    if zone is None:
        zone = value.tzinfo.key if isinstance(value.tzinfo, ZoneInfo) else DEFAULT_ZONE
    lang = _current.get()
    local = _aware(value, zone)
    text = format_datetime(local, _PATTERNS[lang][style], tzinfo=ZoneInfo(zone), locale=lang)
    return f"{text} {zone_label(zone)}" if label else text


def format_day(value: date | datetime | None, style: str = "day") -> str:
    """A calendar day ("Senin, 23 November 2026"; style "date": "23 Nov 2026", "column_day": "Sen 23 Nov")."""
    if value is None:
        return ""
    lang = _current.get()
    return format_date(value, _PATTERNS[lang][style], locale=lang)


def format_number(value: float | int | None, digits: int = 0, empty: str = "—") -> str:
    """1.234,5 in Indonesian, 1,234.5 in English; `digits` decimals exactly."""
    if value is None:
        return empty
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_current.get())


def format_share(value: float | None, digits: int = 0) -> str:
    """A share 0..1 as a percentage ("92 %"; "92,5 %")."""
    return "—" if value is None else f"{format_number(value * 100, digits)} %"


def format_seconds(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{format_number(value, digits)} s"


def sentence(text: str) -> str:
    """A message shown on its own: a capital first letter and a full stop."""
    text = str(text).strip()
    if not text:
        return text
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def day_names(lang: str) -> list[str]:
    """Monday first, in `lang` (for the roster's columns and tests)."""
    names = Locale.parse(lang).days["format"]["wide"]
    return [names[i] for i in range(7)]


def install(env: Environment) -> None:
    """The i18n extension (`{% trans %}`, `_()`) and the formatting filters, on the one shared environment;
    both read the language from the context variable, never from a global set per request."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=gettext, ngettext=ngettext, newstyle=True, pgettext=pgettext
    )
    filters: dict[str, Any] = {
        "at": format_time_in,
        "day": format_day,
        "number": format_number,
        "share": format_share,
        "seconds": format_seconds,
        "zone_label": zone_label,
        "tr": translate,
        "sentence": sentence,
    }
    env.filters.update(filters)
    env.globals["current_language"] = current_language
    env.globals["LANGUAGES"] = LANGUAGES
    env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
