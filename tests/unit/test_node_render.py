"""`siaga node render` (issue 13, point 6): one real node's files in hand. Two nodes behind Kamailio rendered
from the sample region's database: the units pass systemd's own check, kamailio.cfg Kamailio's, each node's
Asterisk configuration names its own address and the other node's engine, secrets stay 0600, and bad
options are refused by name with nothing written."""

from __future__ import annotations

import configparser
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from kernel.settings import REPO_ROOT, Settings, SettingsError, load
from lab.kamailio import binary as kamailio_binary
from lab.node_files import NodeLayout, missing_peers, plan_layout
from shifts.sipsecrets import endpoint_passwords
from siaga import cli
from tests.unit.cli_run import run_siaga

NODE1, NODE2, PROXY = "10.1.2.11", "10.1.2.12", "10.1.2.10"  # not this machine's: nothing can bind them


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A node's settings file and data dir holding the sample region (its staff are the phones)."""
    root = tmp_path_factory.mktemp("site")
    (root / "siaga.toml").write_text(
        f'data_dir = "{root / "data"}"\nagi_allowed_peers = ["127.0.0.1", "{NODE1}"]\n', encoding="utf-8"
    )
    assert cli.main(["sample", "load", "--config", str(root / "siaga.toml")]) == 0
    return root


def _render(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], site: Path, out: Path, *extra: str
) -> tuple[int, str, str]:
    return run_siaga(
        monkeypatch,
        capsys,
        "en",
        "node",
        "render",
        "--config",
        str(site / "siaga.toml"),
        "--data-dir",
        str(site / "data"),
        "--install-prefix",
        str(REPO_ROOT),  # its .venv/bin/siaga exists here, so systemd-analyze can check ExecStart
        "--out",
        str(out),
        *extra,
    )


@pytest.fixture(scope="module")
def rendered(site: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Node 1 and node 2 of two, with Kamailio."""
    folders = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("SIAGA_LANG", "en")
        for name, address in (("n1", NODE1), ("n2", NODE2)):
            out = tmp_path_factory.mktemp("render") / name
            argv = [
                "node", "render", "--config", str(site / "siaga.toml"), "--data-dir", str(site / "data"),
                "--install-prefix", str(REPO_ROOT), "--out", str(out), "--node-address", address,
                "--nodes", f"{NODE1},{NODE2}", "--kamailio", PROXY,
            ]  # fmt: skip
            assert cli.main(argv) == 0
            folders[name] = out
    return folders


def _etc(folder: Path, name: str) -> str:
    return (folder / "asterisk" / "etc" / name).read_text(encoding="utf-8")


def test_each_node_names_its_own_address_and_the_other_nodes_engine(rendered: dict[str, Path]) -> None:
    n1, n2 = rendered["n1"], rendered["n2"]
    assert f"SIAGA_AGI = {NODE1}:4573\n" in _etc(n1, "extensions.conf")
    assert f"SIAGA_AGI_NEXT = {NODE2}:4573\n" in _etc(n1, "extensions.conf")
    assert f"SIAGA_AGI_NEXT = {NODE1}:4573\n" in _etc(n2, "extensions.conf")
    transport = _etc(n1, "pjsip.conf").split("[transport-udp]", 1)[1].split("\n\n", 1)[0]
    assert f"bind = {NODE1}:5060" in transport
    assert f"match = {PROXY}\n" in _etc(n1, "pjsip.conf")  # callers come through Kamailio
    assert "systemname = siaga1" in _etc(n1, "asterisk.conf")
    assert "systemname = siaga2" in _etc(n2, "asterisk.conf")
    engine = (n1 / "systemd" / "siaga-engine.service").read_text(encoding="utf-8")
    assert f"serve --host {NODE1} --port 4573" in engine


def test_the_phones_and_their_secrets_are_the_data_dirs(site: Path, rendered: dict[str, Path]) -> None:
    """The same renderer as `siaga asterisk start`: every staff endpoint, with the secret the data dir keeps
    (and both nodes the same, rendered from one data dir)."""
    settings = load(site / "siaga.toml")
    passwords = endpoint_passwords(settings, ["pkm-kagok-op1"])
    pjsip = _etc(rendered["n1"], "pjsip.conf")
    assert "[pkm-kagok-op1](operator-endpoint)" in pjsip
    assert f"password = {passwords['pkm-kagok-op1']}\n" in pjsip
    assert "[psc119-semarang](siaga-desk)" in _etc(rendered["n1"], "queues.conf")


def test_the_folder_is_0700_and_the_secrets_0600(rendered: dict[str, Path]) -> None:
    folder = rendered["n1"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("pjsip.conf", "manager.conf"):
        assert stat.S_IMODE((folder / "asterisk" / "etc" / name).stat().st_mode) == 0o600
    for path in folder.rglob("*"):
        assert not path.stat().st_mode & 0o022, path  # nothing writable by others
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    assert "/etc/systemd/system/siaga-asterisk.service" in readme
    assert "/etc/asterisk/" in readme and "/etc/kamailio/dispatcher.list" in readme
    assert "systemctl enable --now" in readme
    assert f"lacks {NODE2}" in readme  # the site's settings allow only node 1's Asterisk


def test_units_pass_systemds_check(rendered: dict[str, Path]) -> None:
    units = rendered["n1"] / "systemd"
    for name in ("siaga-engine.service", "siaga-web.service", "siaga-asterisk.service"):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.read(units / name, encoding="utf-8")
        assert unit["Service"]["Restart"] == "always"
        assert unit["Install"]["WantedBy"] == "multi-user.target"
    engine = configparser.ConfigParser(strict=False, interpolation=None)
    engine.read(units / "siaga-engine.service", encoding="utf-8")
    assert engine["Service"]["User"] == "siaga"
    assert engine["Service"]["ExecStart"].startswith(f"{REPO_ROOT}/.venv/bin/siaga serve ")
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # configparser's checks above are then all there is
        return
    done = subprocess.run(
        [analyze, "verify", str(units / "siaga-engine.service"), str(units / "siaga-web.service")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    done = subprocess.run(
        [analyze, "verify", str(units / "siaga-asterisk.service")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # systemd-analyze looks for ExecStart on this machine, not inside RootDirectory= (the sid root), where
    # systemd runs it: that one complaint is expected, any other (an unknown key, a bad path) fails.
    complaints = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and "Command /usr/sbin/asterisk is not executable" not in line
    ]
    assert complaints == []


def test_kamailio_accepts_its_config_and_lists_both_nodes(rendered: dict[str, Path]) -> None:
    kamailio = rendered["n1"] / "kamailio"
    assert (kamailio / "dispatcher.list").read_text(encoding="ascii").splitlines()[1:] == [
        f"1 sip:{NODE1}:5060 0 2",
        f"1 sip:{NODE2}:5060 0 1",
    ]
    cfg = (kamailio / "kamailio.cfg").read_text(encoding="utf-8")
    assert f"listen=udp:{PROXY}:5060" in cfg
    assert '"list_file", "/etc/kamailio/dispatcher.list"' in cfg
    # `-c` parses and exits; the listen address is not this machine's, so a bind would have failed.
    done = subprocess.run(
        [kamailio_binary(), "-c", "-f", str(kamailio / "kamailio.cfg")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-1500:]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--node-address", "10.1.2.300"], "--node-address"),
        (["--node-address", NODE1, "--nodes", f"{NODE1},{NODE2},{NODE1}"], "--nodes: 10.1.2.11 named more"),
        (["--node-address", NODE1, "--nodes", f"{NODE2},10.1.2.13"], "--nodes"),
        (
            ["--node-address", NODE1, "--nodes", f"{NODE1},{NODE2}", "--kamailio", "kamailio.local"],
            "--kamailio",
        ),
        (["--node-address", NODE1, "--kamailio", NODE1], "--kamailio"),
        (["--node-address", NODE1], "--trunk"),
        (["--node-address", NODE1, "--trunk", "10.1.2.0/33"], "--trunk"),
    ],
)
def test_bad_options_are_refused_by_name_and_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    site: Path,
    tmp_path: Path,
    options: list[str],
    named: str,
) -> None:
    code, _, err = _render(monkeypatch, capsys, site, tmp_path / "out", *options)
    assert code == 2
    assert named in err
    assert list(tmp_path.iterdir()) == []


def test_a_folder_in_use_is_kept_and_a_failure_halfway_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], site: Path, tmp_path: Path
) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "mine.txt").write_text("keep", encoding="utf-8")
    code, _, err = _render(monkeypatch, capsys, site, used, "--node-address", NODE1, "--trunk", PROXY)
    assert code == 2 and "--out" in err
    assert [p.name for p in used.iterdir()] == ["mine.txt"]
    # A setting the Asterisk renderer refuses, after the units were written into the staging folder.
    monkeypatch.setenv("SIAGA_COMPLAINT_NUMBER", "not-a-number")
    code, _, err = _render(
        monkeypatch, capsys, site, tmp_path / "out", "--node-address", NODE1, "--trunk", PROXY
    )
    assert code == 1 and "complaint" in err
    assert [p.name for p in tmp_path.iterdir()] == ["used"]


def test_a_single_node_has_no_next_engine_and_a_carrier_trunk(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], site: Path, tmp_path: Path
) -> None:
    code, out, _ = _render(
        monkeypatch, capsys, site, tmp_path / "one", "--node-address", NODE1, "--trunk", "203.0.113.0/28"
    )
    assert code == 0 and "README.txt" in out
    assert "SIAGA_AGI_NEXT = \n" in _etc(tmp_path / "one", "extensions.conf")
    assert "match = 203.0.113.0/28\n" in _etc(tmp_path / "one", "pjsip.conf")
    assert "systemname = siaga\n" in _etc(tmp_path / "one", "asterisk.conf")
    assert not (tmp_path / "one" / "kamailio").exists()


# -- pure ----------------------------------------------------------------------------------------------------


def _layout(node: str, nodes: str) -> NodeLayout:
    return plan_layout(
        Settings(data_dir=Path("/var/lib/siaga")),
        node=node,
        nodes=nodes,
        kamailio=PROXY,
        install_prefix="/opt/siaga",
        config="/etc/siaga/siaga.toml",
    )


def test_the_next_engine_goes_round_a_ring_of_three() -> None:
    nodes = "10.1.2.11,10.1.2.12,10.1.2.13"
    assert [_layout(n, nodes).agi_next for n in nodes.split(",")] == [
        "10.1.2.12:4573",
        "10.1.2.13:4573",
        "10.1.2.11:4573",
    ]
    assert [_layout(n, nodes).system_name for n in nodes.split(",")] == ["siaga1", "siaga2", "siaga3"]


def test_missing_peers_are_the_nodes_the_engine_would_refuse() -> None:
    layout = _layout(NODE1, f"{NODE1},{NODE2}")
    assert missing_peers(("127.0.0.1", NODE1), layout) == [NODE2]
    assert missing_peers((NODE1, NODE2), layout) == []


def test_a_relative_path_or_one_with_spaces_is_refused_or_made_absolute() -> None:
    layout = plan_layout(
        Settings(data_dir=Path("var")),
        node=NODE1,
        kamailio=PROXY,
        install_prefix="/opt/siaga",
        config="x.toml",
    )
    assert str(layout.data_dir).startswith("/") and layout.data_dir.name == "var"
    with pytest.raises(SettingsError):
        plan_layout(Settings(), node=NODE1, kamailio=PROXY, install_prefix="/opt/my siaga", config="/x.toml")
