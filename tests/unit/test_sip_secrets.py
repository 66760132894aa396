"""Issue 17: one SIP secret per operator endpoint instead of one published password for all, and the
pieces that hand it on (pjsip.conf, the bot fleet, `siaga softphone`, `siaga secrets show`); and
Asterisk's own configuration for running as its root's `asterisk` user, not root."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from kernel.db import make_engine
from kernel.settings import KNOWN_OPERATOR_PASSWORD, Settings, SettingsError, load
from lab.asterisk import (
    ASTERISK_CONF,
    Asterisk,
    AsteriskConfig,
    AsteriskError,
    OperatorAccount,
    hand_over,
    render_config,
    run_user_ids,
)
from lab.pbx import operator_accounts
from lab.sample import sample_staff
from lab.sipp import free_udp_port
from shifts.roster_csv import ParsedRoster
from shifts.sipsecrets import SecretsError, SecretStore, endpoint_passwords
from shifts.store import write_roster
from siaga.cli import main
from softphone.bots import BotFleet
from softphone.cli import PASSWORDS_ENV, add_arguments, run


def _settings(tmp_path: Path, **changes: object) -> Settings:
    return dataclasses.replace(Settings(), data_dir=tmp_path / "data", **changes)  # type: ignore[arg-type]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the store -----------------------------------------------------------------------------------------


def test_each_endpoint_gets_its_own_secret_readable_by_root_only(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = endpoint_passwords(settings, ["pkm-a-op1", "pkm-b-op1", "psc119-dispatch"], create=True)
    assert len(set(first.values())) == 3
    assert all(len(secret) >= 32 and secret != KNOWN_OPERATOR_PASSWORD for secret in first.values())
    assert settings.sip_secrets_path == tmp_path / "data" / "secrets" / "sip.json"
    assert _mode(settings.sip_secrets_path) == 0o600
    assert _mode(settings.sip_secrets_path.parent) == 0o700
    # A later start keeps every secret a softphone was set up with and adds the new endpoint's.
    again = endpoint_passwords(
        settings, ["pkm-a-op1", "pkm-b-op1", "psc119-dispatch", "pkm-c-op1"], create=True
    )
    assert {k: again[k] for k in first} == first
    assert again["pkm-c-op1"] not in first.values()
    stored = json.loads(settings.sip_secrets_path.read_text())
    assert stored["version"] == 1 and stored["endpoints"] == again


def test_without_create_a_missing_secret_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    endpoint_passwords(settings, ["pkm-a-op1"], create=True)
    with pytest.raises(SecretsError, match=r"no SIP secret for pkm-z-op1 .*siaga up"):
        endpoint_passwords(settings, ["pkm-z-op1"])
    assert "pkm-z-op1" not in SecretStore(settings.sip_secrets_path).read()


def test_a_loosened_secrets_file_is_closed_again(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    endpoint_passwords(settings, ["pkm-a-op1"], create=True)
    settings.sip_secrets_path.chmod(0o644)
    endpoint_passwords(settings, ["pkm-a-op1"], create=True)
    assert _mode(settings.sip_secrets_path) == 0o600


def test_operator_accounts_give_every_staff_endpoint_its_own_secret(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with Session(make_engine(settings.db_url)) as session, session.begin():
        write_roster(session, ParsedRoster(sample_staff(settings.region_dir), []))
    accounts = operator_accounts(settings)
    assert len(accounts) > 100
    assert len({a.password for a in accounts}) == len(accounts)
    stored = SecretStore(settings.sip_secrets_path).read()
    assert all(stored[a.endpoint] == a.password for a in accounts)


# -- the deprecated shared password --------------------------------------------------------------------


def test_the_shared_password_setting_is_empty_by_default() -> None:
    assert Settings().operator_password == ""


@pytest.mark.parametrize("weak", [KNOWN_OPERATOR_PASSWORD, "fifteen-chars-x"])
def test_a_weak_shared_password_is_refused_at_load_saying_what_to_do(tmp_path: Path, weak: str) -> None:
    environ = {"SIAGA_OPERATOR_PASSWORD": weak, "SIAGA_CONFIG": str(tmp_path / "none.toml")}
    with pytest.raises(SettingsError, match=r"operator_password.*siaga secrets show ENDPOINT"):
        load(None, environ=environ)
    config = tmp_path / "siaga.toml"
    config.write_text(f'operator_password = "{weak}"\n')
    with pytest.raises(SettingsError, match="operator_password"):
        load(config, environ={})
    # Settings built in code do not get past the start either.
    with pytest.raises(SettingsError, match="operator_password"):
        endpoint_passwords(_settings(tmp_path, operator_password=weak), ["pkm-a-op1"], create=True)


def test_a_strong_shared_password_still_works_but_is_deprecated(tmp_path: Path) -> None:
    strong = "a-long-site-specific-secret"
    settings = load(None, environ={"SIAGA_OPERATOR_PASSWORD": strong, "SIAGA_CONFIG": str(tmp_path / "x")})
    assert any("operator_password" in note for note in settings.deprecations)
    settings = dataclasses.replace(settings, data_dir=tmp_path)
    assert endpoint_passwords(settings, ["a", "b"], create=True) == {"a": strong, "b": strong}
    assert not settings.sip_secrets_path.exists()


# -- siaga secrets show --------------------------------------------------------------------------------


def test_secrets_show_prints_one_endpoints_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = _settings(tmp_path)
    secret = endpoint_passwords(settings, ["pkm-a-op1"], create=True)["pkm-a-op1"]
    assert main(["secrets", "show", "pkm-a-op1", "--data-dir", str(settings.data_dir)]) == 0
    assert capsys.readouterr().out == secret + "\n"
    assert main(["secrets", "show", "pkm-nobody", "--data-dir", str(settings.data_dir)]) == 2
    assert "no SIP secret for pkm-nobody" in capsys.readouterr().err


# -- the softphone and the bot fleet -------------------------------------------------------------------


def _softphone_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_the_softphone_has_no_default_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a secret handed over it refuses to start, rather than trying a password everybody knows."""
    monkeypatch.delenv(PASSWORDS_ENV, raising=False)
    monkeypatch.delenv("SIAGA_OPERATOR_PASSWORD", raising=False)
    args = _softphone_args("--user", "pkm-a-op1", "--server", f"127.0.0.1:{free_udp_port()}")
    args.register_timeout = 1.0
    assert run(args) == 2
    assert "no SIP password for pkm-a-op1" in capsys.readouterr().err


def test_siaga_softphone_reads_the_endpoints_secret_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)
    secrets = endpoint_passwords(settings, ["pkm-a-op1", "pkm-b-op1"], create=True)
    handed: dict[str, object] = {}

    def fake_run(
        args: argparse.Namespace, stop: object = None, *, passwords: object = None, translate: object = None
    ) -> int:
        handed["passwords"] = passwords
        return 0

    monkeypatch.setattr("softphone.cli.run", fake_run)
    argv = ["softphone", "--user", "pkm-a-op1", "--user", "pkm-b-op1", "--data-dir", str(settings.data_dir)]
    assert main(argv) == 0
    assert handed["passwords"] == secrets
    assert main([*argv, "--password", "given-on-the-command-line"]) == 0
    assert handed["passwords"] is None  # --password wins; the softphone uses it for every user


def test_each_bot_process_is_handed_only_its_own_users_secrets(tmp_path: Path) -> None:
    names = [f"op{i}" for i in range(1, 11)]
    fleet = BotFleet(names, tmp_path, passwords={n: f"secret-of-{n}" for n in names})
    first, second = fleet.groups()
    assert json.loads(fleet.secrets_env(second)[PASSWORDS_ENV]) == {
        "op9": "secret-of-op9",
        "op10": "secret-of-op10",
    }
    assert "secret-of-op9" not in fleet.secrets_env(first)[PASSWORDS_ENV]
    assert not any("secret-of" in part for part in fleet.command(2, second))
    with pytest.raises(ValueError, match="no SIP password for bots: op3"):
        BotFleet(["op3"], tmp_path, passwords={})


# -- Asterisk runs as its root's `asterisk` user ------------------------------------------------------------


def test_asterisk_is_configured_to_run_as_the_asterisk_user(tmp_path: Path) -> None:
    render_config(tmp_path, AsteriskConfig(), [OperatorAccount("pkm-a-op1", "x" * 32)])
    options = (tmp_path / "etc" / "asterisk.conf").read_text()
    assert "runuser = asterisk\n" in options and "rungroup = asterisk\n" in options
    argv = Asterisk(tmp_path / "root", tmp_path)._in_root(f"/usr/sbin/asterisk -C {ASTERISK_CONF} -f -n")
    assert "-U root" not in argv[-1]


def test_the_asterisk_users_ids_come_from_the_roots_passwd(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\n"
        "asterisk:x:101:102:Asterisk PBX daemon:/var/lib/asterisk:/usr/sbin/nologin\n"
    )
    assert run_user_ids(tmp_path) == (101, 102)
    with pytest.raises(AsteriskError, match="no user 'nobody-here'"):
        run_user_ids(tmp_path, "nobody-here")


@pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root (as Asterisk's start does)")
def test_hand_over_gives_the_run_directory_to_asterisk_and_closes_the_secret_configs(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    render_config(run_dir, AsteriskConfig(ami_secret="s3cret"), [OperatorAccount("pkm-a-op1", "x" * 32)])
    (run_dir / "db" / "astdb.sqlite3").write_bytes(b"")  # left by an Asterisk that ran as root
    hand_over(run_dir, 4242, 4343)
    for path in [run_dir, *run_dir.rglob("*")]:
        assert (path.stat().st_uid, path.stat().st_gid) == (4242, 4343), path
    assert _mode(run_dir / "etc" / "pjsip.conf") == 0o600
    assert _mode(run_dir / "etc" / "manager.conf") == 0o600
