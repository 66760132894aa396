"""A throwaway PostgreSQL cluster for tests and trials: `initdb` in a folder of its own, a free port on
127.0.0.1 and a unix socket in that folder, stopped and removed at the end. Never the machine's own server.

PostgreSQL refuses to run as root, so as root (CI, the lab machines) `initdb` and `pg_ctl` run as the
`postgres` user that Debian's `postgresql` package creates (`runuser -u postgres`), and the folder is
handed to that user; as anyone else they run as that user. Settings favour speed over durability
(`fsync=off`): the data is thrown away anyway.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

# Debian keeps the server's programs out of PATH, one folder per major version.
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
RUN_AS = "postgres"  # the user Debian's package creates; used only when we are root
START_TIMEOUT_S = 30


class PostgresMissing(RuntimeError):
    """The server's programs are not installed (`scripts/setup.sh` installs Debian's `postgresql`)."""


def server_bin_dir() -> Path:
    """The folder of `initdb`/`pg_ctl`: SIAGA_PG_BIN if set, else Debian's newest, else PATH."""
    if given := os.environ.get("SIAGA_PG_BIN"):
        return Path(given)
    found = sorted(Path("/").glob(DEBIAN_BIN_GLOB.lstrip("/")), key=lambda p: int(p.parent.name))
    if found and (found[-1] / "initdb").exists():
        return found[-1]
    if which := shutil.which("initdb"):
        return Path(which).parent
    raise PostgresMissing("PostgreSQL's server is not installed (run scripts/setup.sh: Debian's postgresql)")


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """One cluster in `directory` (made if missing); `start()` then `url(name)` / `create_database()`."""

    def __init__(self, directory: Path | None = None, port: int | None = None) -> None:
        self._own_directory = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="siaga-pg-"))
        self.data = self.directory / "data"
        self.socket_dir = self.directory / "socket"
        self.log = self.directory / "server.log"
        self.port = port or free_tcp_port()
        self.bin = server_bin_dir()
        self._as_root = os.geteuid() == 0
        self.user = RUN_AS if self._as_root else pwd.getpwuid(os.geteuid()).pw_name
        self.running = False

    # -- life ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            entry = pwd.getpwnam(RUN_AS)
            for path in (self.directory, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            self.directory.chmod(0o700)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--username",
                self.user,
                "--no-sync",
            )
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.socket_dir}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=300",
                "-c shared_buffers=32MB",
            ]
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t",
                  str(START_TIMEOUT_S), "start")  # fmt: skip
        self.running = True

    def stop(self) -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
            self.running = False
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- databases ----------------------------------------------------------------------------------
    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL over TCP on loopback (what a real deployment uses)."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new empty database (or a copy of `template`, PostgreSQL's own fast copy); its URL."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self._admin(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop it even while a forgotten engine still holds connections to it."""
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _admin(self, statement: sql.Composable) -> None:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(statement)

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        command = [str(self.bin / program), *args]
        if self._as_root:
            command = ["runuser", "-u", RUN_AS, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, cwd="/")
        if check and done.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")


def wait_ready(cluster: PostgresCluster, timeout_s: float = 10.0) -> None:
    """Until the server accepts a connection (pg_ctl -w already waits; this is for a restarted one)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(cluster.dsn(), connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
