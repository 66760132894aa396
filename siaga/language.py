"""The command line's language: chosen once per run (`kernel.language.cli_language`: `SIAGA_LANG`, else
the locale, else Bahasa Indonesia), then every human word of the run comes from the console's catalogs
(`web/locale`, one catalog set for the console, the CLI and the domains' messages).

Three things are translated, and nothing else: argparse's own words ("usage:", "options", its errors;
argparse asks gettext's `_`/`ngettext`, which `install` points at our catalog), the help texts of every
parser (`localize_parser`, after the parser is built, so the front-ends keep plain English strings that
are also the msgids), and the messages a command prints (`tr`, `describe`). Whatever a script reads
(`--json`, CSV, `key=value` summary lines, exit codes) is never passed through here, so it stays the same
in every language. Logs stay English as well: a log is for us, not for the operator.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from kernel.dataerrors import DataError, InputError
from kernel.language import cli_language
from kernel.messages import Message
from web import i18n


@contextmanager
def speaking(environ: Mapping[str, str] | None = None) -> Iterator[str]:
    """The run's language, chosen from `environ` (default: this process's), for everything inside the
    block: `tr` and the web layer's formatting, and argparse's own words (argparse looks up its module
    globals `_` and `ngettext` each time it words something). Both are put back afterwards, so a command
    run inside another program (the tests) leaves it as it was."""
    lang = cli_language(os.environ if environ is None else environ)
    catalog = i18n.translations(lang)
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = catalog.gettext, catalog.ngettext  # type: ignore[attr-defined]
    try:
        with i18n.language(lang):
            yield lang
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """`parser` and every parser below it, each once (an alias shares its command's parser)."""
    seen: set[int] = set()
    pending = [parser]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending.extend(action.choices.values())


def _helps(parser: argparse.ArgumentParser) -> Iterator[tuple[object, str]]:
    """(owner, attribute) of every human text of `parser`'s tree: descriptions, epilogs, each option's
    and each subcommand's help."""
    for current in _parsers(parser):
        yield current, "description"
        yield current, "epilog"
        for action in current._actions:
            yield action, "help"
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    yield choice, "help"
        for group in current._action_groups:
            yield group, "title"
            yield group, "description"


def parser_texts(parser: argparse.ArgumentParser) -> list[str]:
    """Every help text of the tree, in order, once each: the CLI's msgids (see `siaga/cli_catalog.py`)."""
    texts: dict[str, None] = {}
    for owner, attribute in _helps(parser):
        text = getattr(owner, attribute, None)
        if isinstance(text, str) and text and text != argparse.SUPPRESS:
            texts.setdefault(text, None)
    return list(texts)


def localize_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Every help text of the tree in the current language, in place. argparse fills `%(default)s` and
    the like after this, so the translation keeps those fields (the catalog test checks it)."""
    catalog = i18n.translations(i18n.current_language())
    for owner, attribute in _helps(parser):
        text = getattr(owner, attribute, None)
        if isinstance(text, str) and text and text != argparse.SUPPRESS:
            setattr(owner, attribute, catalog.gettext(text))
    return parser


def tr(text: str) -> str:
    """A message in the run's language: a `Message` by its msgid, filled in; a fixed text looked up whole;
    anything the catalog does not know as it came."""
    return i18n.translate(text)


def row(error: object) -> str:
    """One bad row, its file, line and field kept as they were, its reason translated."""
    source = getattr(error, "source", None)
    line = getattr(error, "line", None)
    field = getattr(error, "field", None)
    message = tr(getattr(error, "message", None) or getattr(error, "reason", ""))
    if source is not None:  # RowError: file:line: field: reason
        where = f"{source}:{line}"
        return f"{where}: {field}: {message}" if field else f"{where}: {message}"
    where = tr(Message("line {line}", line=line)) + ": " if line is not None else ""
    return f"{where}{field}: {message}"


def describe(exc: BaseException) -> str:
    """An error for the person at the terminal, in the run's language; a data error keeps every named
    file, line and field."""
    if isinstance(exc, DataError):
        rows = "\n".join(f"  {row(e)}" for e in exc.errors[:50])
        more = len(exc.errors) - 50
        tail = "\n  " + tr(Message("… and {count} more", count=more)) if more > 0 else ""
        return tr(Message("{count} bad row(s):", count=len(exc.errors))) + f"\n{rows}{tail}"
    if isinstance(exc, InputError):
        return "; ".join(row(e) for e in exc.errors)
    if exc.args and isinstance(exc.args[0], Message):
        return tr(exc.args[0])
    return tr(str(exc))
