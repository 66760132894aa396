"""A real SIP scanner (Debian's sipvicious: svmap, svwar, svcrack) against the shipped configuration.

The question an attacker asks: can I become an operator? An operator endpoint can dial any other
endpoint and mark any operator "away" (`siaga-operators`), and a registration steals an operator's
calls. So the scanner enumerates endpoint names, then tries to register as each one it found with a
dictionary of common passwords, the endpoint's own name and siaga's default operator password: it must
find none, and no contact may be registered afterwards.

sipvicious is run with its command-line tools, as an attacker would, but pointed at 127.0.0.1 only, with
`-x 127.0.0.1` (its Via and Contact say loopback, so Asterisk answers on loopback and it never looks
up this host's other addresses) and `-P` a free port (never 5060). `-A` (asks a public host for our
address) and `-R` (mails a traceback to the author) are refused outright. svwar and svcrack ignore `-b`
and listen on every interface for the few seconds they run; they send to 127.0.0.1 only.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from kernel.settings import Settings
from lab.asterisk import Asterisk
from lab.sipp import free_udp_port
from tests.hostile.conftest import (
    OPERATOR_CONTEXT,
    HostileLab,
    executed_contexts,
    executed_lines,
    hotline_contexts,
)
from tests.hostile.sip import LOOPBACK, new_token, parse_reply

pytestmark = pytest.mark.telephony

TOOL_TIMEOUT_S = 60
MAX_CRACK_TARGETS = 4  # bounds the run: the dispatcher and three operators
_ROW_RE = re.compile(r"^\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*$")
DEFAULT_OPERATOR_PASSWORD = getattr(Settings(), "operator_password", "") or "siaga-operator"
COMMON_PASSWORDS = [
    "1234",
    "12345",
    "123456",
    "0000",
    "1111",
    "password",
    "secret",
    "admin",
    "letmein",
    "qwerty",
    "changeme",
    "default",
    "asterisk",
    "sip",
    "voip",
    "operator",
    "puskesmas",
    "psc119",
    "119",
    "siaga",
    "siaga123",
    "siaga-operator",
    "semarang",
]
# A scanner's word list: the usual suspects, then guesses from siaga's public naming pattern (a
# puskesmas's name + -opN, the PSC desk), some of which exist in the sample staff and some not.
NAME_GUESSES = [
    "100",
    "101",
    "1000",
    "2000",
    "admin",
    "test",
    "operator",
    "dispatcher",
    "psc119",
    "psc119-dispatch",
    "pkm-gayamsari-op1",
    "pkm-halmahera-op1",
    "pkm-poncol-op2",
    "pkm-kagok-op3",
    "pkm-nowhere-op1",
    "pkm-gayamsari-op9",
]
NOT_ENDPOINTS = {"100", "101", "1000", "2000", "admin", "test", "operator", "dispatcher", "psc119"} | {
    "pkm-nowhere-op1",
    "pkm-gayamsari-op9",
}


def _argv(tool: str, args: list[str]) -> list[str]:
    if any(a in ("-A", "--autogetip", "-R", "--reportback") for a in args):
        raise ValueError("sipvicious options that reach outside this machine are not allowed here")
    binary = shutil.which(tool)
    if binary is None:
        pytest.fail(f"{tool} not found: run scripts/setup.sh (Debian package sipvicious)")
    argv = [binary, "-x", LOOPBACK, "-P", str(free_udp_port()), *args]
    assert argv[-1] == LOOPBACK, argv
    return argv


def sipvicious(runs: list[tuple[str, list[str]]], work_dir: Path) -> list[str]:
    """Run sipvicious tools side by side against our loopback Asterisk; each one's table output.

    Side by side because svcrack waits a fixed 10 s for stray replies once its dictionary is spent:
    four targets one after another would cost 40 s.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    started = [
        (
            argv,
            subprocess.Popen(argv, cwd=work_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
        )
        for argv in (_argv(tool, args) for tool, args in runs)
    ]
    outputs = []
    for argv, process in started:
        try:
            stdout, stderr = process.communicate(timeout=TOOL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        log = work_dir / f"{Path(argv[0]).name}-{len(list(work_dir.glob('*.log')))}.log"
        log.write_text(f"$ {' '.join(argv)}\n{stdout}\n{stderr}", encoding="utf-8")
        outputs.append(stdout)
    return outputs


def table_rows(output: str) -> list[tuple[str, str]]:
    """The rows of a sipvicious result table, without its header row."""
    rows = [(m.group(1), m.group(2)) for line in output.splitlines() if (m := _ROW_RE.match(line))]
    return rows[1:] if rows else []


def test_table_rows_parse_sipvicious_output() -> None:
    out = "+---+---+\n| Extension | Password |\n+===+===+\n| pkm-a-op1 | siaga-operator |\n+---+---+\n"
    assert table_rows(out) == [("pkm-a-op1", "siaga-operator")]
    devices = "| SIP Device      | User Agent     |\n+=====+\n| 127.0.0.1:5 | siaga-asterisk |\n"
    assert table_rows(devices) == [("127.0.0.1:5", "siaga-asterisk")]
    assert table_rows("WARNING:root:found nothing\n") == []


def test_registered_endpoints_ignores_the_table_header(tmp_path: Path) -> None:
    asterisk = Asterisk(tmp_path, tmp_path)
    output = (
        "\n  Contact:  <Aor/ContactUri..............................> <Hash....> <Status> <RTT(ms)..>\n"
        "==========================================================================================\n\n"
        "  Contact:  pkm-gayamsari-op1/sip:123@127.0.0.1:5061;x-ast 38e7675efe NonQual        -nan\n\n"
        "Objects found: 1\n"
    )
    asterisk.cli = lambda command, timeout_s=10.0: output  # type: ignore[method-assign]
    assert asterisk.registered_endpoints() == {"pkm-gayamsari-op1"}


def test_svmap_sees_the_server(scan_lab: HostileLab) -> None:
    """The control: the scanner does reach the loopback Asterisk (so its silence below means something)."""
    (out,) = sipvicious([("svmap", ["-p", str(scan_lab.settings.sip_port), LOOPBACK])], scan_lab.work_dir)
    assert any(device == f"{LOOPBACK}:{scan_lab.settings.sip_port}" for device, _ in table_rows(out)), out


def _status_from(source: str, port: int, method: str, user: str) -> int | None:
    """One request from `source` (another loopback address than the caller trunk's) for `user`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        lport = sock.getsockname()[1]
        ruri = f"sip:{LOOPBACK}:{port}" if method == "REGISTER" else f"sip:{user}@{LOOPBACK}:{port}"
        via = f"SIP/2.0/UDP {source}:{lport};rport;branch=z9hG4bK{new_token('e')}"
        message = (
            f"{method} {ruri} SIP/2.0\r\nVia: {via}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:{user}@{LOOPBACK}>;tag={new_token('t')}\r\n"
            f"To: <sip:{user}@{LOOPBACK}>\r\nCall-ID: {new_token('enum-')}\r\nCSeq: 1 {method}\r\n"
            f"Contact: <sip:{user}@{source}:{lport}>\r\nContent-Length: 0\r\n\r\n"
        )
        sock.sendto(message.encode(), (LOOPBACK, port))
        deadline = time.monotonic() + 2
        while (remaining := deadline - time.monotonic()) > 0:
            sock.settimeout(remaining)
            try:
                reply = parse_reply(sock.recv(65535))
            except TimeoutError:
                return None
            if reply is not None and reply.status >= 200:
                return reply.status
    return None


def test_endpoint_names_cannot_be_told_apart_from_outside_the_trunk(scan_lab: HostileLab) -> None:
    """From any address but the caller trunk's, a real operator name and a made-up one get the same
    answer (Asterisk challenges both), so names cannot be enumerated. (From the trunk's own address
    they can: see the report; that address is the carrier's.)"""
    port = scan_lab.settings.sip_port
    for method in ("REGISTER", "OPTIONS", "INVITE"):
        answers = {user: _status_from("127.0.0.2", port, method, user) for user in NAME_GUESSES}
        assert len(set(answers.values())) == 1, f"{method}: {answers}"


@dataclass(frozen=True)
class Scan:
    """What the scanner found: the names it enumerated, the ones it tried, and the passwords it cracked."""

    found: list[tuple[str, str]]
    targets: list[str]
    cracked: dict[str, str]


@pytest.fixture(scope="module")
def scan(scan_lab: HostileLab) -> Scan:
    """svwar from the trunk's address (the scanner's best position: Asterisk answers a real operator's
    name with a challenge, anything else with 404) enumerates names; svcrack then tries the dictionary
    on each it found, up to MAX_CRACK_TARGETS, side by side. Bounded: one dictionary pass per target."""
    port = str(scan_lab.settings.sip_port)
    names = scan_lab.work_dir / "names.txt"
    names.parent.mkdir(parents=True, exist_ok=True)
    names.write_text("\n".join(NAME_GUESSES) + "\n", encoding="utf-8")
    (war,) = sipvicious(
        [("svwar", ["-p", port, "--force", "-m", "OPTIONS", "-d", str(names), LOOPBACK])], scan_lab.work_dir
    )
    found = table_rows(war)
    enumerated = [name for name, auth in found if auth == "reqauth"]
    # A scanner that enumerated nothing still tries the names everybody can guess.
    targets = (enumerated or ["psc119-dispatch", "pkm-gayamsari-op1"])[:MAX_CRACK_TARGETS]
    runs = []
    for target in targets:
        words = [*COMMON_PASSWORDS, DEFAULT_OPERATOR_PASSWORD, target, target + "123", target[::-1]]
        dictionary = scan_lab.work_dir / f"passwords-{target}.txt"
        dictionary.write_text("\n".join(dict.fromkeys(words)) + "\n", encoding="utf-8")
        runs.append(("svcrack", ["-p", port, "-u", target, "-d", str(dictionary), LOOPBACK]))
    cracked = {name: word for out in sipvicious(runs, scan_lab.work_dir) for name, word in table_rows(out)}
    return Scan(found, targets, cracked)


def test_the_scanner_ran_its_dictionary_on_every_target(scan_lab: HostileLab, scan: Scan) -> None:
    """The control: svwar reports no name that does not exist, and Asterisk saw, refused and logged the
    guesses for every target (so an empty crack list below means the dictionary really was tried)."""
    enumerated = {name for name, auth in scan.found if auth == "reqauth"}
    assert not enumerated & NOT_ENDPOINTS, f"svwar reports endpoints that do not exist: {scan.found}"
    lines = scan_lab.log_lines()
    for target in scan.targets:
        refused = [line for line in lines if f"<sip:{target}@" in line and "Failed to authenticate" in line]
        assert len(refused) >= len(COMMON_PASSWORDS) // 2, f"few guesses seen for {target}: {len(refused)}"


def test_scanner_cracks_no_operator_endpoint(scan: Scan) -> None:
    """Every endpoint has its own random secret (shifts.sipsecrets): no dictionary holds it."""
    assert not scan.cracked, f"svcrack registered as {scan.cracked}"


def test_the_scan_left_no_registered_contact(scan_lab: HostileLab, scan: Scan) -> None:
    """A cracked password is a registration: the operator's calls would ring the attacker's phone."""
    # (Skips the table's header line, which lab.asterisk's parser counts as a contact: see above.)
    contacts = {c for c in scan_lab.stack.asterisk.registered_endpoints() if not c.startswith("<")}
    assert not contacts, f"the scan left registered contacts: {sorted(contacts)}"


def test_scanning_ran_nothing_outside_the_hotline(scan_lab: HostileLab, scan: Scan) -> None:
    lines = scan_lab.log_lines()
    assert not executed_lines(lines, OPERATOR_CONTEXT)
    outside = set(executed_contexts(lines)) - hotline_contexts()
    assert not outside, outside
