"""A private Asterisk for the softphone tests, plus SIPp helpers to place calls through it.

It is siaga's own Asterisk runner (lab.asterisk) on a free port, with the rig's dialplan added, so the
softphone is tested against the same Asterisk set-up the product uses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lab.asterisk import Asterisk, AsteriskConfig, AsteriskError, OperatorAccount, render_config
from lab.sipp import free_udp_port

ASTERISK_ROOT = Path(os.environ.get("SIAGA_ASTERISK_ROOT", "/var/cache/siaga/asterisk-root"))
DIAL_TIMEOUT_S = 4
OPERATOR_PASSWORD = "rig-operator-secret"
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
SCENARIO = Path(__file__).with_name("uac_caller.xml")
# pkm-test-op*: the answering-bot fleet; pkm-solo-*: softphones started by single tests, kept apart so
# they never replace a bot's contact (each AOR holds one contact).
FLEET_OPERATORS = [f"pkm-test-op{i}" for i in range(1, 11)]
SOLO_OPERATORS = [f"pkm-solo-{i}" for i in range(1, 10)]

# Calls from SIPp dial the operator named by the request URI and copy the caller's X-Test-Area header
# into an X-Siaga-Area header on the leg to the operator, so tests can check header capture end to end.
RIG_DIALPLAN = f"""[rig-caller]
exten => _[a-z].,1,Set(__AREA=${{PJSIP_HEADER(read,X-Test-Area)}})
 same => n,Dial(PJSIP/${{EXTEN}},{DIAL_TIMEOUT_S},b(rig-operator-headers^s^1))
 same => n,Hangup()

[rig-operator-headers]
exten => s,1,Set(PJSIP_HEADER(add,X-Siaga-Area)=${{AREA}})
 same => n,Set(PJSIP_HEADER(add,X-Siaga-Rig)=softphone-test)
 same => n,Return()
"""


class RigError(RuntimeError):
    pass


def require_asterisk_root(root: Path = ASTERISK_ROOT) -> None:
    if not (root / "usr/sbin/asterisk").exists():
        raise RigError(
            f"Asterisk chroot not found at {root}: run `sudo scripts/install-asterisk.sh` first "
            "(the telephony tests need a real Asterisk and are never skipped)"
        )


@dataclass
class AsteriskRig:
    """siaga's own Asterisk runner with the operators above and the rig's dialplan on a free port."""

    asterisk: Asterisk
    sip_port: int

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.sip_port}"

    def cli(self, command: str, timeout_s: float = 10.0) -> str:
        return self.asterisk.cli(command, timeout_s)

    def contacts(self) -> set[str]:
        """AORs that currently have a registered contact, as Asterisk itself sees them."""
        return self.asterisk.registered_endpoints()

    def stop(self) -> None:
        self.asterisk.stop()


def start_asterisk(run_dir: Path, operators: Iterable[str], *, root: Path = ASTERISK_ROOT) -> AsteriskRig:
    require_asterisk_root(root)
    sip_port = free_udp_port()
    config = AsteriskConfig(sip_bind=f"127.0.0.1:{sip_port}", trunk_context="rig-caller")
    render_config(
        run_dir,
        config,
        [OperatorAccount(name, OPERATOR_PASSWORD) for name in operators],
        extra_dialplan=RIG_DIALPLAN,
    )
    asterisk = Asterisk(root, run_dir)
    try:
        asterisk.start()
    except AsteriskError as exc:
        raise RigError(str(exc)) from exc
    return AsteriskRig(asterisk, sip_port)


@dataclass
class SippResult:
    returncode: int
    output: str


def place_calls(
    rig: AsteriskRig,
    calls: list[tuple[str, str, str]],
    *,
    workdir: Path,
    concurrent: int = 1,
    hold_ms: int = 1000,
    local_port: int | None = None,
    timeout_s: float = 30.0,
) -> SippResult:
    """Place (callee, caller, area) calls with SIPp, `concurrent` at a time.

    The scenario accepts answered and failed calls alike (an answered one is held for `hold_ms`),
    so the exit status only says SIPp ran cleanly; the operators' events tell what happened.
    """
    inf = workdir / f"calls-{len(list(workdir.glob('calls-*.csv')))}.csv"
    inf.write_text("SEQUENTIAL\n" + "".join(f"{callee};{caller};{area};\n" for callee, caller, area in calls))
    cmd = [
        SIPP, "-sf", str(SCENARIO), "-inf", str(inf), rig.server,
        "-i", "127.0.0.1", "-p", str(local_port or free_udp_port()), "-nostdin", "-d", str(hold_ms),
        "-m", str(len(calls)), "-l", str(concurrent), "-r", str(max(1, concurrent * 10)),
        "-timeout", f"{int(timeout_s)}s", "-timeout_error", "-recv_timeout", "20000",
        "-trace_err", "-error_file", str(inf.with_suffix(".errors.log")),
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout_s + 10)
    return SippResult(proc.returncode, proc.stdout[-3000:] + proc.stderr[-3000:])


def place_call(rig: AsteriskRig, callee: str, *, caller: str, area: str, workdir: Path) -> SippResult:
    return place_calls(rig, [(callee, caller, area)], workdir=workdir)
