"""Two Asterisk nodes behind Kamailio, each with its engine, on one PostgreSQL the module starts itself.

One cluster per module (`lab.cluster.ClusterLab`): free loopback ports, nodes at 127.0.0.2 and 127.0.0.3,
every phone a SIPp UAS (`lab.loadlab`), Asterisk's resolver a loopback listener that never answers.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kernel.db import make_engine
from kernel.settings import Settings
from lab.cluster import ClusterLab
from lab.loadlab import DeadResolver, lab_settings
from lab.postgres import PostgresCluster
from lab.sample import load_sample_roster, week_start
from lab.sipp import free_udp_port
from tests.telephony.conftest import free_tcp_port


@dataclasses.dataclass
class Rig:
    lab: ClusterLab
    postgres: PostgresCluster
    next_caller: int = 0


def cluster_settings(data_dir: Path, db_url: str) -> Settings:
    return dataclasses.replace(
        Settings(),
        data_dir=data_dir,
        db=db_url,
        sip_port=free_udp_port(),
        agi_port=free_tcp_port() + 10,  # the nodes' engines take the next ports
        ami_port=free_tcp_port() + 10,
        ring_timeout_s=4,
        records_retry_s=0.2,
        pending_drain_s=1.0,
        desk_wrapup_s=0,
        rtp_start=30000,  # media ports of its own: other labs on this machine keep theirs
        rtp_end=39999,
        roster_refresh_s=0.5,
    )


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    if shutil.which("kamailio") is None:
        pytest.fail("kamailio is not installed: run scripts/setup.sh")
    data_dir = tmp_path_factory.mktemp("cluster")
    # A folder of its own outside pytest's (closed to the `postgres` user), kept across a stop and a start.
    pg_dir = Path(tempfile.mkdtemp(prefix="siaga-cluster-pg-"))
    postgres = PostgresCluster(pg_dir)
    postgres.start()
    try:
        settings = cluster_settings(data_dir, postgres.create_database("siaga"))
        load_sample_roster(
            make_engine(settings.db_url),
            settings.region_dir,
            settings.facilities_path,
            week_start(date.today()),
        )
        with DeadResolver() as resolver:
            # A caller ringing on a node that dies hears nothing more: Kamailio ends that call after
            # fr_inv_timer. Production waits 120 s (desk queues); here calls answer within seconds.
            lab = ClusterLab(lab_settings(settings, resolver), fr_inv_timer_ms=15000)
            with lab:
                yield Rig(lab, postgres)
    finally:
        postgres.stop()
        shutil.rmtree(pg_dir, ignore_errors=True)
