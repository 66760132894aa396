"""The one list of prompts (kernel/prompts.py) against what plays them: every name the dialplan and the
queues use is listed, every status, priority, category and key they build a name from has its prompt,
every file Asterisk's SayNumber and SayDigits ask for on an Indonesian channel exists, and the files are
made once, again when their text changes."""

from __future__ import annotations

import re
import wave
from collections.abc import Sequence
from pathlib import Path

import pytest

from complaints.lifecycle import STATUSES as COMPLAINT_STATUSES
from dispatch.incidents import PRIORITIES
from kernel.catalogue import SERVICES, UNIT_STATUS_KEYS
from kernel.prompts import (
    BY_NAME,
    GROUPS,
    PROMPTS,
    Prompt,
    PromptToolMissing,
    check_tools,
    indonesian_number,
    make_prompts,
    missing_prompts,
)
from kernel.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DIALPLANS = sorted((ROOT / "dialplans").glob("*.conf"))
ASTERISK_CONFIGS = sorted((ROOT / "config" / "asterisk").glob("*.conf"))

# `${SIAGA_PROMPTS}/name` in the dialplan; `/srv/siaga/sounds/name` in queues.conf (the same folder).
_DIALPLAN_NAME = re.compile(r"\$\{SIAGA_PROMPTS\}/([A-Za-z0-9_/-]+)(\$\{[A-Z_]+\})?")
_CONFIG_NAME = re.compile(r"/srv/siaga/sounds/([A-Za-z0-9_/-]+)")

# A name ending in a variable: the values the engine can give that variable.
DYNAMIC: dict[str, Sequence[str]] = {
    "siaga-aduan-status-${SIAGA_COMPLAINT_STATUS}": COMPLAINT_STATUSES,
    "siaga-prioritas-${SIAGA_BRIEF_PRIORITY}": PRIORITIES,
    "siaga-kategori-${SIAGA_BRIEF_CATEGORY}": Settings().incident_categories,
    "siaga-status-${SIAGA_UNIT_STATUS}": tuple(UNIT_STATUS_KEYS.values()),
}

# Listed, and waiting for the dialplan to play them (issue 16 point 2: a greeting per service, please
# wait). When a dialplan plays one, take it out of here.
AWAITING_THE_DIALPLAN = {
    "siaga-salam-emergency",
    "siaga-salam-consultation",
    "siaga-salam-complaints",
    "siaga-mohon-tunggu",
}


def _used_names() -> tuple[set[str], set[str]]:
    """(fixed names, dynamic names with their variable) the dialplans and Asterisk's configs play."""
    fixed: set[str] = set()
    dynamic: set[str] = set()
    for path in DIALPLANS:
        for stem, variable in _DIALPLAN_NAME.findall(path.read_text(encoding="utf-8")):
            (dynamic.add(stem + variable) if variable else fixed.add(stem))
    for path in ASTERISK_CONFIGS:
        fixed.update(_CONFIG_NAME.findall(path.read_text(encoding="utf-8")))
    return fixed, dynamic


def test_every_prompt_the_dialplan_and_the_queues_play_is_listed() -> None:
    fixed, dynamic = _used_names()
    assert {"siaga-lokasi", "siaga-112", "siaga-meja-salam", "siaga-antrian-urutan"} <= fixed
    assert sorted(fixed - set(BY_NAME)) == []
    assert sorted(dynamic - set(DYNAMIC)) == [], "a name built from a variable the test cannot enumerate"
    for pattern, values in DYNAMIC.items():
        prefix = pattern.split("${", 1)[0]
        assert sorted(f"{prefix}{v}" for v in values if f"{prefix}{v}" not in BY_NAME) == [], pattern


def test_every_listed_prompt_is_played_by_something() -> None:
    fixed, _ = _used_names()
    built = {f"{p.split('${', 1)[0]}{v}" for p, values in DYNAMIC.items() for v in values}
    unplayed = {p.name for p in PROMPTS if p.group != "numbers"} - fixed - built
    assert unplayed == AWAITING_THE_DIALPLAN


def test_a_greeting_per_service_and_every_group_described() -> None:
    assert {f"siaga-salam-{s}" for s in SERVICES} <= set(BY_NAME)
    assert {p.group for p in PROMPTS} == set(GROUPS)
    assert all(p.text.strip() and "\n" not in p.text for p in PROMPTS)
    assert all(re.fullmatch(r"[a-z0-9_/-]+", p.name) for p in PROMPTS)


def _asterisk_english_number(n: int) -> list[str]:
    """The files main/say.c's ast_say_number_full_en plays for `n`: what a channel whose language is `id`
    gets, as Asterisk has no Indonesian rules (written here from its source, to check our files)."""
    if n == 0:
        return ["digits/0"]
    files: list[str] = []
    if n < 0:
        files.append("digits/minus")
        n = -n
    if n >= 1_000_000:
        files += [*_asterisk_english_number(n // 1000000), "digits/million"]
        n %= 1_000_000
    if n >= 1000:
        files += [*_asterisk_english_number(n // 1000), "digits/thousand"]
        n %= 1000
    if n >= 100:
        files += [f"digits/{n // 100}", "digits/hundred"]
        n %= 100
    if n >= 20:
        files.append(f"digits/{n // 10 * 10}")
        n %= 10
    if n:
        files.append(f"digits/{n}")
    return files


def test_every_file_saynumber_asks_for_in_indonesian_exists() -> None:
    numbers = [*range(0, 1000), 1234, 20_000, 999_999, 1_000_000, -5, 123_456_789]
    wanted = {f for n in numbers for f in _asterisk_english_number(n)}
    assert {"digits/hundred", "digits/thousand", "digits/million", "digits/minus", "digits/90"} <= wanted
    assert sorted(f for f in wanted if f"id/{f}" not in BY_NAME) == []


def test_saydigits_has_every_key() -> None:
    assert all(f"id/digits/{k}" in BY_NAME for k in [*"0123456789", "star", "pound"])


def _spoken(files: list[str]) -> str:
    return " ".join(BY_NAME[f].text for f in files)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "nol"),
        (7, "tujuh"),
        (11, "sebelas"),
        (19, "sembilan belas"),
        (21, "dua puluh satu"),
        (100, "seratus"),
        (119, "seratus sembilan belas"),
        (250, "dua ratus lima puluh"),
        (1000, "seribu"),
        (1250, "seribu dua ratus lima puluh"),
        (11_000, "sebelas ribu"),
        (100_000, "seratus ribu"),
        (1_000_000, "satu juta"),
        (2_500_119, "dua juta lima ratus ribu seratus sembilan belas"),
    ],
)
def test_numbers_read_the_indonesian_way(n: int, words: str) -> None:
    assert _spoken(indonesian_number(n)) == words


def test_a_number_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        indonesian_number(-1)
    with pytest.raises(ValueError, match="outside"):
        indonesian_number(1_000_000_000)


class _FakeTools:
    """espeak-ng and sox as commands: sox's last argument is the file it writes."""

    def __init__(self) -> None:
        self.spoken: list[str] = []

    def __call__(self, argv: Sequence[str]) -> None:
        if argv[0] == "espeak-ng":
            self.spoken.append(argv[-1])
        else:
            Path(argv[-1]).write_bytes(b"RIFF" + self.spoken[-1].encode())


def test_prompts_are_made_once_and_again_when_their_text_changes(tmp_path: Path) -> None:
    prompts = [Prompt("siaga-a", "Satu.", "ivr"), Prompt("id/digits/5", "lima", "numbers")]
    tools = _FakeTools()
    first = make_prompts(tmp_path, prompts, run=tools)
    assert first.made == ["siaga-a", "id/digits/5"] and first.kept == []
    assert (tmp_path / "id" / "digits" / "5.wav").read_bytes() == b"RIFFlima"
    assert make_prompts(tmp_path, prompts, run=tools).kept == ["siaga-a", "id/digits/5"]
    changed = [Prompt("siaga-a", "Dua.", "ivr"), prompts[1]]
    again = make_prompts(tmp_path, changed, run=tools)
    assert again.made == ["siaga-a"] and (tmp_path / "siaga-a.wav").read_bytes() == b"RIFFDua."
    (tmp_path / "id" / "digits" / "5.wav").write_bytes(b"")  # an empty file is as good as none
    assert missing_prompts(tmp_path, changed) == ["id/digits/5"]
    assert make_prompts(tmp_path, changed, run=tools).made == ["id/digits/5"]
    assert make_prompts(tmp_path, changed, run=tools, force=True).made == ["siaga-a", "id/digits/5"]
    assert not list(tmp_path.rglob("*.part"))


def test_a_real_prompt_is_what_asterisk_plays(tmp_path: Path) -> None:
    check_tools()  # scripts/setup.sh installs espeak-ng and sox
    made = make_prompts(tmp_path, [BY_NAME["id/digits/100"]])
    assert made.made == ["id/digits/100"]
    with wave.open(str(tmp_path / "id" / "digits" / "100.wav"), "rb") as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert 0.2 < audio.getnframes() / 8000 < 3.0


def test_missing_tools_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PromptToolMissing, match="espeak-ng and sox not found"):
        check_tools()
