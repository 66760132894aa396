"""Babel's extractor for the command line (babel.cfg names it for `siaga/cli.py`): the help texts of the
whole `siaga` parser tree, argparse's own words, and the `_`/`N_`/`Message` texts of `siaga/cli.py`.

The front-ends write their help as plain English (`help="…"`), which is both what an English run shows
and the msgid; building the real parser is the one way to find every one of them, those that other
packages add (`softphone`, `lab.replay`) included, without marking each string twice.
"""

from __future__ import annotations

import argparse
import inspect
import io
from collections.abc import Iterator
from typing import IO, Any

from babel.messages.extract import extract_python

from siaga.cli import build_parser
from siaga.language import parser_texts

Extracted = tuple[int, str | None, Any, list[str]]


def extract_cli(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[Extracted]:
    yield from extract_python(fileobj, keywords, comment_tags, options)
    for text in parser_texts(build_parser()):
        yield 0, None, text, []
    # argparse asks gettext for its words (usage, options, errors): the same msgids in our catalog.
    source = io.BytesIO(inspect.getsource(argparse).encode("utf-8"))
    for lineno, funcname, messages, comments in extract_python(source, keywords, comment_tags, {}):
        yield lineno, funcname, messages, ["argparse", *comments]
