"""Asterisk runs as its root's `asterisk` user, not as root, and still does everything a call needs:
the lab's stack (started exactly as `siaga up` starts it) answers a call, keeps a report in AstDB and
writes its log, all as that user. Real Asterisk, real pjsua2 bots, SIPp."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lab.asterisk import run_user_ids
from tests.telephony.conftest import NEAREST, CallLab

pytestmark = pytest.mark.telephony


def _ids(pid: int) -> tuple[int, int]:
    """The real uid and gid of a process, from /proc."""
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(status["Uid"].split()[0]), int(status["Gid"].split()[0])


def test_asterisk_runs_as_its_roots_asterisk_user(lab: CallLab) -> None:
    pid = lab.stack.asterisk.pid()
    assert pid is not None
    uid, gid = run_user_ids(lab.settings.asterisk_root)
    assert uid != 0
    assert _ids(pid) == (uid, gid)


def test_what_asterisk_writes_belongs_to_that_user_and_the_secrets_to_it_alone(lab: CallLab) -> None:
    lab.given_on_duty(f"{NEAREST}-op1")
    answered, _ = lab.call_from("0247000031")
    assert answered == [f"{NEAREST}-op1"]
    lab.stack.asterisk.cli("database put siaga_test owner check")  # AstDB takes writes
    assert "owner" in lab.stack.asterisk.cli("database show siaga_test")
    uid, _ = run_user_ids(lab.settings.asterisk_root)
    run_dir = lab.stack.asterisk.run_dir
    for written in ("db/astdb.sqlite3", "log/messages.log", "run/asterisk.ctl"):
        assert (run_dir / written).stat().st_uid == uid, written
    for secret in ("etc/pjsip.conf", "etc/manager.conf"):
        assert stat.S_IMODE((run_dir / secret).stat().st_mode) == 0o600, secret
    # The host may give Asterisk's uid to someone else: the run directory is reached through ours only.
    assert stat.S_IMODE(lab.settings.run_dir.stat().st_mode) == 0o700
