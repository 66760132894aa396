"""Load on the supervisors' console: 50 concurrent clients reading the coverage page and the calls list,
with a national data set behind them (the synthetic Indonesia of `lab.synthetic`: ~514 kabupaten,
~18,000 facilities), a week's roster for every puskesmas and ambulance post, and 100,000 call records.

    .venv/bin/python bench/web_load.py [--scale 1.0] [--records 100000] [--clients 50] [--seconds 20]
                                       [--workers 2] [--profile DIR]

`--profile DIR` samples the server's processes with py-spy during each phase (DIR/floor.txt,
DIR/pages.txt: collapsed stacks of the samples holding the GIL, i.e. where the CPU went).

The console runs as `siaga web` in its own process on a free loopback port; the clients are asyncio
tasks in this process, each logged in as its own user: most are supervisors of one kabupaten, some are
national viewers whose calls list is the whole country's. In the same run, the same clients first hit
`/api/me` (log-in check and nothing else): the framework's floor, against which the pages are compared.
The last line is `web p50_ms=… p99_ms=… rps=…` for the pages; the goal is p99 <= 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from geo.importers import import_areas, import_callers, import_facilities  # noqa: E402
from geo.store import read_areas, read_facilities  # noqa: E402
from kernel.db import make_engine  # noqa: E402
from lab.synthetic import SyntheticSpec, generate  # noqa: E402
from routing.records.model import CallAttempt, CallRecord  # noqa: E402
from shifts.roster_csv import AssignmentRow, ParsedRoster, StaffRow  # noqa: E402
from shifts.rotation import rotate_week  # noqa: E402
from shifts.store import write_roster  # noqa: E402
from shifts.templates import DEFAULT_SHIFTS  # noqa: E402
from web.access import add_user  # noqa: E402
from web.coverage.services import COVERING_KINDS  # noqa: E402

PASSWORD = "bench-password-1"
NATIONAL_VIEWERS = 10


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def region_files(cache: Path, scale: float) -> Path:
    """The synthetic country, generated once per scale and kept (it takes a while)."""
    out = cache / f"national-{scale:g}"
    if not (out / "facilities.csv").exists():
        started = time.monotonic()
        spec = SyntheticSpec(seed=7)
        generate(out, spec.scaled(scale) if scale != 1.0 else spec)
        log(f"generated the synthetic country in {out} ({time.monotonic() - started:.0f} s)")
    return out


def load_roster(engine, week_of: date) -> int:  # type: ignore[no-untyped-def]
    """Three operators per puskesmas and ambulance post, taking the three shifts in turn all week."""
    with Session(engine) as session:
        facilities = [f for f in read_facilities(session) if f.kind in COVERING_KINDS]
    staff = [
        StaffRow(f"{f.code}-op{n}", f"Operator {n} {f.name}", "operator", f"{f.code}-op{n}", f.code)
        for f in facilities
        for n in (1, 2, 3)
    ]
    zones = {f.code: f.timezone for f in facilities}
    from zoneinfo import ZoneInfo

    rows = []
    by_facility = {f.code: [f"{f.code}-op{n}" for n in (1, 2, 3)] for f in facilities}
    for facility, staff_id, day, shift in rotate_week(by_facility, week_of - timedelta(days=1), days=9):
        start, end = DEFAULT_SHIFTS[shift].window(day, ZoneInfo(zones[facility]))
        rows.append(AssignmentRow(0, staff_id, facility, day, shift, start, end, zones[facility]))
    with Session(engine) as session, session.begin():
        write_roster(session, ParsedRoster(staff, rows), replace=True)
    return len(rows)


def load_calls(engine, count: int, now: datetime, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    """`count` finished calls over the last seven days, from every kecamatan, with one attempt each."""
    with Session(engine) as session:
        kecamatan = [a for a in read_areas(session) if a.level == "kecamatan"]
        facilities = [f for f in read_facilities(session) if f.kind == "puskesmas"]
    by_area: dict[str, list[str]] = {}
    for f in facilities:
        by_area.setdefault(f.area_code, []).append(f.code)
    records, attempts = [], []
    for n in range(1, count + 1):
        area = rng.choice(kecamatan)
        started = now - timedelta(seconds=rng.uniform(60, 7 * 86400))
        facility = rng.choice(by_area.get(area.code) or [facilities[n % len(facilities)].code])
        roll = rng.random()
        outcome = "answered" if roll < 0.9 else "unanswered" if roll < 0.97 else "abandoned"
        answer_s = round(rng.lognormvariate(2.3, 0.5), 1) if outcome == "answered" else None
        records.append(
            {
                "id": n,
                "call_id": f"bench-{n}",
                "started_at": started.replace(tzinfo=None),
                "ended_at": (started + timedelta(seconds=120)).replace(tzinfo=None),
                "caller": f"0812{n:08d}",
                "dialled": "119",
                "service": "emergency",
                "route_status": "ok",
                "location_source": "directory",
                "area_code": area.code,
                "area_name": area.name,
                "plan_json": '{"targets": [], "skipped": [], "notes": []}',
                "outcome": outcome,
                "answered_by": f"{facility}-op1" if answer_s is not None else None,
                "answered_facility": facility if answer_s is not None else None,
                "answered_attempt": 1 if answer_s is not None else None,
                "time_to_answer_s": answer_s,
                "location_label": "",
            }
        )
        attempts.append(
            {
                "call_record_id": n,
                "n": 1,
                "endpoint": f"{facility}-op1",
                "facility": facility,
                "facility_name": "",
                "started_at": started.replace(tzinfo=None),
                "ring_s": answer_s or 20.0,
                "outcome": "answered" if answer_s is not None else "no answer",
                "dial_status": "ANSWER" if answer_s is not None else "NOANSWER",
            }
        )
    with Session(engine) as session, session.begin():
        for i in range(0, count, 20_000):
            session.execute(insert(CallRecord), records[i : i + 20_000])
            session.execute(insert(CallAttempt), attempts[i : i + 20_000])


def add_users(engine, clients: int, rng: random.Random) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    """(user name, kabupaten the client looks at); supervisors hold one kabupaten each."""
    with Session(engine) as session:
        kabupaten = sorted(a.code for a in read_areas(session) if a.level == "kabupaten")
    known = set(kabupaten)
    users = []
    with Session(engine) as session, session.begin():
        for n in range(clients):
            if n < NATIONAL_VIEWERS:
                name = f"viewer{n}"
                add_user(session, name, "viewer", [], PASSWORD, known)
                users.append((name, None))
            else:
                name, code = f"sup{n}", rng.choice(kabupaten)
                add_user(session, name, "supervisor", [code], PASSWORD, known)
                users.append((name, code))
    return users


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu_s(root: int) -> float:
    """CPU seconds used so far by `siaga web` and its worker processes."""
    pids = [root]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if parent == root:
                pids.append(int(entry.name))
    return sum(_cpu_s(pid) for pid in pids)


@dataclass
class Phase:
    name: str
    latencies_ms: list[float]
    errors: int
    seconds: float
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    by_kind: dict[str, list[float]] = field(default_factory=dict)

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds


async def _client(
    client: httpx.AsyncClient,
    user: str,
    kabupaten: str | None,
    kabupaten_all: list[str],
    pages: bool,
    until: float,
    out: Phase,
) -> None:
    rng = random.Random(user)
    today = datetime.now(UTC).date().isoformat()
    turn = 0
    while time.monotonic() < until:
        who = "national" if kabupaten is None else "kabupaten"
        if not pages:
            path, kind = "/api/me", "me"
        elif turn % 2 == 0:
            path, kind = f"/coverage?kabupaten={kabupaten or rng.choice(kabupaten_all)}", f"coverage/{who}"
        else:
            path, kind = (f"/calls?date={today}" if turn % 4 == 1 else "/calls"), f"calls/{who}"
        turn += 1
        started = time.perf_counter()
        response = await client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            out.errors += 1
        out.latencies_ms.append(elapsed)
        out.by_kind.setdefault(kind, []).append(elapsed)


def start_profiler(server_pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy on the server and its workers for one phase: collapsed stacks of the samples that held the
    GIL (where the CPU goes), one line per stack, to read with `sort -k2 -n` or a flame graph tool."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        log("py-spy not found: no profile (pip install py-spy)")
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [spy, "record", "--subprocesses", "--gil", "--nonblocking", "--format", "raw"]
    command += ["--rate", "200", "--duration", str(max(1, int(seconds))), "--pid", str(server_pid)]
    return subprocess.Popen(
        [*command, "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def measure(
    base: str,
    server_pid: int,
    users: list[tuple[str, str | None]],
    kabupaten_all: list[str],
    seconds: float,
    profile: Path | None = None,
) -> tuple[Phase, Phase]:
    """Log every client in first (not timed: a login is a deliberately slow password hash), warm up,
    then time the floor and the pages with the same logged-in clients."""
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for _ in users]
    try:
        for client, (user, _) in zip(clients, users, strict=True):
            (await client.post("/api/login", json={"name": user, "password": PASSWORD})).raise_for_status()

        async def phase(name: str, pages: bool, length: float) -> Phase:
            out = Phase(name, [], 0, length)
            spy = start_profiler(server_pid, profile / f"{name}.txt", length) if profile else None
            server, client = server_cpu_s(server_pid), time.process_time()
            until = time.monotonic() + length
            await asyncio.gather(
                *(
                    _client(c, u, k, kabupaten_all, pages, until, out)
                    for c, (u, k) in zip(clients, users, strict=True)
                )
            )
            out.server_cpu_s = server_cpu_s(server_pid) - server
            out.client_cpu_s = time.process_time() - client
            if spy is not None:
                await asyncio.to_thread(spy.wait, 30)
            return out

        await phase("warm-up", True, 3)
        floor = await phase("floor", False, seconds)
        pages = await phase("pages", True, seconds)
        return floor, pages
    finally:
        for client in clients:
            await client.aclose()


def wait_up(base: str, process: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"siaga web exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("siaga web did not come up")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the national data set")
    parser.add_argument("--records", type=int, default=100_000, help="call records")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="`siaga web --workers` (processes)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each measured phase")
    parser.add_argument(
        "--cache", type=Path, default=REPO / "var" / "bench", help="where the country is kept"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record the server's CPU with py-spy during each phase into DIR/<phase>.txt (collapsed stacks)",
    )
    args = parser.parse_args(argv)
    rng = random.Random(7)

    work = Path(tempfile.mkdtemp(prefix="siaga-web-bench-"))
    process = None
    try:
        region = region_files(args.cache, args.scale)
        db_url = f"sqlite:///{work / 'siaga.db'}"
        engine = make_engine(db_url)
        started = time.monotonic()
        import_areas(engine, region / "areas.geojson", replace=True)
        import_facilities(engine, region / "facilities.csv", replace=True)
        import_callers(engine, region / "callers.csv", replace=True)
        now = datetime.now(UTC)
        assignments = load_roster(engine, now.date() - timedelta(days=now.weekday()))
        load_calls(engine, args.records, now, rng)
        users = add_users(engine, args.clients, rng)
        with Session(engine) as session:
            from geo.model import FacilityRow

            facilities = len(session.scalars(select(FacilityRow.code)).all())
            kabupaten_all = sorted(a.code for a in read_areas(session) if a.level == "kabupaten")
        engine.dispose()
        log(
            f"loaded {len(kabupaten_all)} kabupaten, {facilities} facilities, {assignments} assignments, "
            f"{args.records} call records in {time.monotonic() - started:.0f} s"
        )

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        siaga = shutil.which("siaga", path=str(Path(sys.executable).parent)) or "siaga"
        process = subprocess.Popen(
            [
                siaga,
                "web",
                "--db",
                db_url,
                "--data-dir",
                str(work),
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(work / "web.log", "wb"),  # noqa: SIM115
            env={**os.environ, "SIAGA_CONFIG": str(work / "none.toml")},
        )
        wait_up(base, process)
        floor, pages = asyncio.run(
            measure(base, process.pid, users, kabupaten_all, args.seconds, args.profile)
        )
        for kind, found in sorted(pages.by_kind.items()):
            ordered = sorted(found)
            print(
                f"  {kind:20} requests={len(ordered)} p50_ms={ordered[len(ordered) // 2]:.1f} "
                f"p99_ms={ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]:.1f}"
            )
        for phase in (floor, pages):
            per = max(1, len(phase.latencies_ms))
            print(
                f"{phase.name:6} requests={len(phase.latencies_ms)} errors={phase.errors} "
                f"p50_ms={phase.pct(0.5):.1f} p99_ms={phase.pct(0.99):.1f} rps={phase.rps:.1f} "
                f"server_cpu_ms_per_request={phase.server_cpu_s * 1000 / per:.2f} "
                f"client_cpu_ms_per_request={phase.client_cpu_s * 1000 / per:.2f}"
            )
        print(
            f"pages vs floor (/api/me, same clients, same run): p50 x{pages.pct(0.5) / floor.pct(0.5):.2f} "
            f"p99 x{pages.pct(0.99) / floor.pct(0.99):.2f} rps x{pages.rps / floor.rps:.2f}; "
            f"goal p99 <= 300 ms: {'met' if pages.pct(0.99) <= 300 else 'NOT met'}"
        )
        print(f"web p50_ms={pages.pct(0.5):.1f} p99_ms={pages.pct(0.99):.1f} rps={pages.rps:.1f}")
        return 0 if pages.errors == 0 else 1
    except BaseException:
        server_log = work / "web.log"
        if server_log.exists():  # what the server said is the first thing to read when a run breaks
            log("siaga web's log ends with:\n" + server_log.read_text(errors="replace")[-4000:])
        raise
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
