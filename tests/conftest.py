"""Databases for the suites that exercise the database layer, on both backends siaga supports.

A test that asks for `db_url` (or `new_db`, or `databases`) runs twice: on SQLite (a file in its own temp
folder) and on PostgreSQL (a database in one throwaway cluster for the whole session, `lab.postgres`:
initdb in a temp folder, its own port on 127.0.0.1, as the `postgres` user when we are root). Each
PostgreSQL test database is a copy of a template brought to the head by the real migrations once, made
with PostgreSQL's own `CREATE DATABASE … TEMPLATE` (tens of milliseconds), and dropped after the test.
Only the suites that exercise the database take these fixtures: the rest stay on SQLite alone.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url

from kernel.db import make_engine
from lab.postgres import PostgresCluster

# The suite asserts the English texts (the msgids): every `siaga` run inside it, in-process or as a
# subprocess (which inherits os.environ), speaks English, whatever the machine's locale (CI has none, which
# means Indonesian). The tests of the Indonesian CLI pass their own environment
# (tests/unit/test_cli_language.py).
os.environ["SIAGA_LANG"] = "en"

BACKENDS = ("sqlite", "postgresql")
HEAD_TEMPLATE = "siaga_head"
_DATABASE_NUMBERS = itertools.count(1)


class Databases:
    """Fresh databases of one backend, each at the migrations' head or a copy of one this made."""

    def __init__(self, backend: str, cluster: PostgresCluster | None) -> None:
        self.backend = backend
        self.cluster = cluster
        # One count for the whole session: this object is made again whenever pytest switches the
        # `databases` parameter back (it does, running modules in another order on several workers), while
        # the cluster and any database a failed test could not drop stay.
        self._numbers = _DATABASE_NUMBERS

    def new(self, folder: Path, like: str | None = None, *, empty: bool = False) -> str:
        """A new database's URL: at head (any siaga engine would make an empty one so; here it is already),
        a copy of `like` (a URL this made, nobody connected to it), or with `empty` nothing at all."""
        if self.cluster is None:
            path = folder / f"siaga-{next(self._numbers)}.db"
            if like is not None:
                shutil.copy(make_url(like).database or "", path)
            return f"sqlite:///{path}"
        name = f"t{next(self._numbers)}"
        template = make_url(like).database if like is not None else None if empty else HEAD_TEMPLATE
        return self.cluster.create_database(name, template=template)

    def drop(self, url: str) -> None:
        if self.cluster is not None:
            self.cluster.drop_database(make_url(url).database or "")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """The session's PostgreSQL cluster, with the head's template made by the real migrations."""
    cluster = PostgresCluster()
    cluster.start()
    try:
        make_engine(cluster.create_database(HEAD_TEMPLATE)).dispose()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def databases(request: pytest.FixtureRequest) -> Databases:
    if request.param == "sqlite":
        return Databases("sqlite", None)
    return Databases("postgresql", request.getfixturevalue("postgres"))


@pytest.fixture
def new_db(databases: Databases, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """`new_db()` → a fresh database's URL (`like=url`: a copy; `empty=True`: no schema); dropped after."""
    made: list[str] = []

    def make(like: str | None = None, *, empty: bool = False) -> str:
        made.append(databases.new(tmp_path, like, empty=empty))
        return made[-1]

    yield make
    for url in made:
        databases.drop(url)


@pytest.fixture
def db_url(new_db: Callable[..., str]) -> str:
    return new_db()


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


# --- several workers (pytest-xdist: `make test` runs `-n 4 --dist loadscope`) --------------------------
# Most of the suite waits on real telephony (rings, prompts, timers): run serially it keeps one core about
# a sixth busy, so it runs on four workers, one test module at a time each (a module's stack is started
# once, on one worker). Modules that load the machine on purpose (a surge of calls, two Asterisk nodes
# behind Kamailio, faults under load, benchmarks run as tests) take turns instead: each holds a lock
# shared by the run's workers while it runs, so their figures and deadlines are not another's load.
LOADS_THE_MACHINE = (
    "tests/telephony/test_desks.py",  # 20 callers at once on one desk, checked for their order
    "tests/load/test_surge.py",
    "tests/load/test_faults.py",
    "tests/cluster/test_failover.py",
    "tests/cluster/test_engine_death.py",
    "tests/geo/test_route_bench.py",
    "tests/web/test_console_speed.py",
)

# The longest modules (minutes of calls each), started first: the workers take modules in collection order,
# and one of these begun last would be the run's tail. Measured with --durations; keep it roughly so.
LONGEST_FIRST = (
    "tests/replay/test_replay.py",
    "tests/telephony/test_desks.py",
    "tests/load/test_faults.py",
    "tests/telephony/test_callbacks.py",
    "tests/scenarios/test_location.py",
    "tests/lifecycle/test_up_down.py",
    "tests/telephony/test_complaints_phone.py",
    "tests/scenarios/test_faults.py",
    "tests/telephony/test_dispatch_phone.py",
    "tests/scenarios/test_services.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: within a module, and for every other module, the order stays


@pytest.fixture(scope="module", autouse=True)
def machine_to_itself(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    if not request.node.nodeid.startswith(LOADS_THE_MACHINE):
        yield
        return
    # Every worker's base temp folder is inside the run's, so its parent is shared by the whole run.
    lock = tmp_path_factory.getbasetemp().parent / "loads-the-machine.lock"
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
