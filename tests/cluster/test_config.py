"""The cluster's generated parts, without starting anything: Kamailio's config, the nodes' settings."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest

from kernel.settings import Settings
from lab.asterisk import AsteriskConfig, AsteriskError, render_config
from lab.cluster import plan_nodes
from lab.kamailio import KamailioConfig, KamailioError, parse_dispatcher_list
from lab.kamailio import render_config as render_kamailio
from lab.lifecycle import LifecycleError


def test_kamailio_config_lists_every_node_and_probes_them(tmp_path: Path) -> None:
    path = render_kamailio(tmp_path, KamailioConfig(port=5070, nodes=("127.0.0.2:5070", "127.0.0.3:5070")))
    text = path.read_text()
    assert "listen=udp:127.0.0.1:5070" in text
    assert 'modparam("dispatcher", "ds_ping_interval", 1)' in text
    assert "$ci" in text and "$$" not in text  # Kamailio's own variables survive the template
    lines = (tmp_path / "dispatcher.list").read_text().splitlines()[1:]
    assert lines == ["1 sip:127.0.0.2:5070 0 2", "1 sip:127.0.0.3:5070 0 1"]


@pytest.mark.parametrize("node", ["127.0.0.2", "node1:5060", "127.0.0.2:5060\nmodparam", ""])
def test_a_node_that_is_not_an_address_and_port_is_refused_by_name(tmp_path: Path, node: str) -> None:
    with pytest.raises(KamailioError, match="not an IPv4 address and port"):
        render_kamailio(tmp_path, KamailioConfig(nodes=(node,)))


def test_dispatcher_list_is_read_node_by_node() -> None:
    text = (
        "{\n\tNRSETS: 1\n\tRECORDS: {\n\t\tSET: {\n\t\t\tID: 1\n\t\t\tTARGETS: {\n\t\t\t\tDEST: {\n"
        "\t\t\t\t\tURI: sip:127.0.0.2:5070\n\t\t\t\t\tFLAGS: AP\n\t\t\t\t\tPRIORITY: 2\n\t\t\t\t}\n"
        "\t\t\t\tDEST: {\n\t\t\t\t\tURI: sip:127.0.0.3:5070\n\t\t\t\t\tFLAGS: IP\n\t\t\t\t}\n"
    )
    nodes = parse_dispatcher_list(text)
    assert [(n.uri, n.up) for n in nodes] == [("sip:127.0.0.2:5070", True), ("sip:127.0.0.3:5070", False)]


def test_nodes_get_their_own_addresses_ports_and_names_and_ask_the_next_engine(tmp_path: Path) -> None:
    settings = dataclasses.replace(Settings(), data_dir=tmp_path, sip_port=5070, agi_port=4600, ami_port=5100)
    nodes = plan_nodes(settings, 3)
    assert [n.sip_address for n in nodes] == ["127.0.0.2:5070", "127.0.0.3:5070", "127.0.0.4:5070"]
    assert [n.agi_address for n in nodes] == ["127.0.0.1:4601", "127.0.0.1:4602", "127.0.0.1:4603"]
    assert [n.place.agi_next for n in nodes] == ["127.0.0.1:4602", "127.0.0.1:4603", "127.0.0.1:4601"]
    assert len({n.place.system_name for n in nodes}) == 3
    assert len({n.settings.ami_port for n in nodes}) == 3
    ranges = [(n.settings.rtp_start, n.settings.rtp_end) for n in nodes]
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))
    # One database for all: the cluster's SQLite file, not one in each node's folder.
    assert {n.settings.db_url for n in nodes} == {f"sqlite:///{(tmp_path / 'siaga.db').resolve()}"}
    with pytest.raises(LifecycleError, match="--nodes"):
        plan_nodes(settings, 1)


def test_a_node_names_its_call_ids_and_the_next_engine_in_its_asterisk_config(tmp_path: Path) -> None:
    render_config(tmp_path, AsteriskConfig(system_name="siaga2", agi_next="127.0.0.1:4602"), [])
    assert "systemname = siaga2" in (tmp_path / "etc" / "asterisk.conf").read_text()
    assert "SIAGA_AGI_NEXT = 127.0.0.1:4602" in (tmp_path / "etc" / "extensions.conf").read_text()
    with pytest.raises(AsteriskError, match="next engine"):
        render_config(tmp_path, AsteriskConfig(agi_next="127.0.0.1:4602,x"), [])
