"""Asterisk's configuration for callbacks: only consultation queues let a digit out (to siaga-callback),
and the engine's manager user may originate the callbacks."""

from __future__ import annotations

import configparser
from pathlib import Path

from desks.topics import topic_queues
from lab.asterisk import AsteriskConfig, OperatorAccount, render_config


def _queues(tmp_path: Path) -> dict[str, str]:
    """Each queue section → the template it uses, from the rendered queues.conf."""
    render_config(
        tmp_path,
        AsteriskConfig(
            ami_secret="s3cret",
            desks=("konter-x", "psc119-x"),
            consultation_desks=("konter-x",),
            topic_queues=tuple(topic_queues(["konter-x"])),
        ),
        [OperatorAccount("konter-x-dr1", "x" * 32)],
    )
    sections = {}
    for line in (tmp_path / "etc" / "queues.conf").read_text(encoding="utf-8").splitlines():
        if line.startswith("[") and "](" in line:
            name, template = line[1:].split("](", 1)
            sections[name] = template.rstrip(")")
    return sections


def test_consultation_queues_exit_on_1_to_the_callback_context_and_dispatch_queues_do_not(
    tmp_path: Path,
) -> None:
    sections = _queues(tmp_path)
    assert sections["psc119-x"] == "siaga-desk"
    assert sections["konter-x"] == "siaga-desk-consultation"
    assert sections["konter-x--apotek"] == "siaga-desk-topic"
    conf = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";",))
    text = (tmp_path / "etc" / "queues.conf").read_text(encoding="utf-8")
    conf.read_string(
        "\n".join(
            line.split("](", 1)[0] + "]" if line.startswith("[") else line for line in text.splitlines()
        )
    )
    assert conf["siaga-desk-consultation"]["context"] == "siaga-callback"
    assert "context" not in conf["siaga-desk"], "a 119 caller's keys never take them out of the queue"
    assert conf["siaga-desk-topic"]["joinempty"].startswith("paused")
    dialplan = (tmp_path / "etc" / "dialplans" / "siaga.conf").read_text(encoding="utf-8")
    callback_context = dialplan.split("[siaga-callback]", 1)[1].split("\n[", 1)[0]
    digits = {
        line.split(",", 1)[0].split("=>")[1].strip()
        for line in callback_context.splitlines()
        if line.startswith("exten")
    }
    assert digits == {"1", "T", "s"}, "only 1 leaves a queue (T and s are no keys)"


def test_the_manager_user_may_originate(tmp_path: Path) -> None:
    _queues(tmp_path)
    manager = (tmp_path / "etc" / "manager.conf").read_text(encoding="utf-8")
    write = next(line for line in manager.splitlines() if line.startswith("write ="))
    assert "originate" in {right.strip() for right in write.split("=", 1)[1].split(",")}
