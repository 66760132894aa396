"""The console's message catalogs: extract every translatable text (templates and code, as `babel.cfg`
says), merge it into each language's `.po`, and list what still lacks a translation.

`.venv/bin/python -m web.catalogs` updates `web/locale/*/LC_MESSAGES/messages.po` after templates or
messages change (then translate the new, empty or fuzzy entries); `tests/web/test_i18n.py` fails while
any Indonesian entry is missing. The `.po` files are the only thing committed: `web.i18n` compiles them
when the console starts.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from web.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "babel.cfg"
# gettext's keywords, plus kernel.messages' markers: N_("text") and Message("text {x}", x=...).
SOURCE_LANGUAGE = "en"  # the msgids are English
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "Message": None}


def extract(root: Path = ROOT) -> Catalog:
    """Every msgid the console can show, with where it comes from."""
    with MAPPING.open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    catalog = Catalog(project="siaga", charset="utf-8", creation_date=datetime(2026, 1, 1, tzinfo=UTC))
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="siaga", charset="utf-8")
    with path.open("rb") as po:
        return read_po(po, locale=lang)


def untranslated(catalog: Catalog, template: Catalog) -> list[str]:
    """The msgids of `template` that `catalog` lacks, leaves empty or marks fuzzy."""
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        strings = found.string if found is not None else None
        texts = strings if isinstance(strings, tuple | list) else (strings,)
        if found is None or found.fuzzy or not all(texts):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def update() -> dict[str, list[str]]:
    """Merge the extracted msgids into every language's catalog; returns what each still lacks."""
    template = extract()
    lacking = {}
    for lang in LANGUAGES:
        catalog = read(lang)
        catalog.update(template, no_fuzzy_matching=True)
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as po:
            write_po(
                po,
                catalog,
                width=110,
                sort_output=False,
                omit_header=False,
                ignore_obsolete=True,
                include_lineno=False,
            )  # file names only: a moved line does not rewrite the catalogs
        lacking[lang] = untranslated(catalog, template)
    return lacking


def main() -> int:
    lacking = update()
    for lang, missing in lacking.items():
        if lang == SOURCE_LANGUAGE:  # its msgids are the text; its catalog only overrides
            continue
        print(f"{po_path(lang).relative_to(ROOT)}: {len(missing)} without a translation")
        for msgid in missing[:50]:
            print(f"  {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
