"""Which language a command-line run speaks: Bahasa Indonesia, the product's language, unless asked for
English.

Pure (it reads the environment it is given), so the choice is tested without touching `os.environ`; the
CLI passes its own environment and installs the catalog (`siaga/language.py`). The console chooses per
user instead (`web/i18n.py`).
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("id", "en")  # the first is the default
DEFAULT_LANGUAGE = LANGUAGES[0]
# gettext's order: the first of these that is set decides (LANGUAGE is GNU's list, not POSIX's).
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def language_of(tag: str | None) -> str | None:
    """`tag` ("en_US.UTF-8", "id-ID", "EN") as one of ours, else None ("C", "POSIX", "fr_FR", empty)."""
    if not tag:
        return None
    base = tag.strip().split(".")[0].split("@")[0].replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def cli_language(environ: Mapping[str, str]) -> str:
    """`SIAGA_LANG` if it names one of ours, else the locale's language if it is one of ours, else
    Indonesian: a machine with no locale (C/POSIX, a server's default) still speaks to its operators in
    their language.

    As with gettext, the first locale variable that is set decides, even when it names a language we do
    not have (LC_ALL=fr_FR → Indonesian, whatever LANG says)."""
    chosen = language_of(environ.get("SIAGA_LANG"))
    if chosen:
        return chosen
    for name in LOCALE_VARIABLES:
        value = environ.get(name)
        if value:
            return language_of(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE
