"""Messages for people that a front-end can still translate after they were built.

A `Message` is the English text, filled in, so logs, the JSON API and every existing caller see a plain
string; it also keeps its msgid and the values that filled it, so the console can look the msgid up in
the reader's language and fill that in instead. Domains mark their messages with `N_` (a fixed text) or
`Message("unknown facility {code}", code=...)`; Babel extracts both (see babel.cfg's keywords), the
English msgid stays the key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# A pure formatter's language and numbers come from its caller (the CLI passes its `tr` and
# `web.i18n.format_number`); these defaults give the English msgids and plain decimals (logs, tests).
Translate = Callable[[str], str]
Number = Callable[[float, int], str]


def untranslated(text: str) -> str:
    return text


def plain_number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def N_(message: str) -> str:  # gettext's name for "mark now, translate when shown"
    return message


class Message(str):
    """English text with its msgid and fill-ins kept for a later translation."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Message:
        text = super().__new__(cls, msgid.format(**params) if params else msgid)
        text.msgid = msgid
        text.params = params
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.msgid, self.params))

    def __deepcopy__(self, memo: dict[int, Any]) -> Message:
        return self  # immutable, like any str

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of `gettext`; the English one if the translation is malformed.

        A fill-in that is itself a `Message` (a reason inside a sentence) is translated too."""
        template = gettext(self.msgid)
        params = {k: v.translated(gettext) if isinstance(v, Message) else v for k, v in self.params.items()}
        try:
            return template.format(**params) if params else template
        except (KeyError, IndexError, ValueError):
            return str(self)


def _rebuild(msgid: str, params: dict[str, Any]) -> Message:
    return Message(msgid, **params)
