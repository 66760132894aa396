"""Running `siaga` in-process in a chosen language, its output captured: the language tests' one way in."""

from __future__ import annotations

import pytest

from siaga import cli


def run_siaga(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], lang: str, *argv: str
) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `siaga ARGV` with SIAGA_LANG=`lang`; earlier output is dropped."""
    monkeypatch.setenv("SIAGA_LANG", lang)
    capsys.readouterr()
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err
