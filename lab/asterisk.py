"""Start, stop and talk to our own Asterisk 22, kept in a Debian sid root (scripts/install-asterisk.sh).

Config is generated from config/asterisk/ and dialplans/ into a run directory of ours, which is bind-mounted
at /srv/siaga inside the root in a private mount namespace: the mounts vanish with the process, so a
crashed Asterisk never leaves mounts behind and several instances can run side by side.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from string import Template

from kernel.settings import REPO_ROOT
from lab.processes import alive
from lab.tls import Certificates
from shifts.endpoints import dialled_name_pattern, endpoint_problem, reserved_pattern

log = logging.getLogger("siaga.asterisk")

TEMPLATES = REPO_ROOT / "config" / "asterisk"
DIALPLANS = REPO_ROOT / "dialplans"
MOUNT_POINT = "/srv/siaga"
ASTERISK_CONF = f"{MOUNT_POINT}/etc/asterisk.conf"
# Asterisk drops root for this user (made by the Debian package inside the root) as soon as it has read
# asterisk.conf: a flaw in a SIP or media parser then yields an unprivileged process, not root on the host's
# file systems that are mounted into the root (/proc, /dev, our run directory).
RUN_USER = "asterisk"
# Every operator's SIP secret, the manager's secret, and the browser phone's TLS/DTLS key.
SECRET_CONFIGS = ("pjsip.conf", "manager.conf", "keys/server.key")


class AsteriskError(RuntimeError):
    pass


@dataclass(frozen=True)
class OperatorAccount:
    endpoint: str
    password: str
    contact: str = ""  # a fixed SIP URI instead of a registration (load labs: a SIPp UAS as the phone)
    # The operator answers in the console's phone page (WebRTC: WSS, DTLS-SRTP, ICE) instead of a SIP
    # softphone; AsteriskConfig.wss_bind must be set for it to register.
    browser: bool = False


@dataclass(frozen=True)
class AsteriskConfig:
    sip_bind: str = "127.0.0.1:5060"
    trunk_match: str = "127.0.0.1"
    agi_address: str = "127.0.0.1:4573"
    # Several nodes behind Kamailio (lab/cluster.py): the engine asked when `agi_address` refuses the
    # connection (empty: none), and a system name of its own, which prefixes every UNIQUEID, so two nodes
    # never give two calls the same call id in the shared database.
    agi_next: str = ""
    system_name: str = "siaga"
    dispatcher_endpoint: str = ""  # deprecated: only where no desk exists
    dispatcher_timeout_s: int = 60
    rtp_start: int = 10000
    rtp_end: int = 19999  # two ports a call leg: a surge of 300 calls holds ~1,200
    trunk_context: str = "siaga-inbound"  # where calls from the caller trunk enter the dialplan
    agi_timeout_s: int = 3  # the dialplan's guard around each AGI call (TIMEOUT(absolute) and a T exten)
    ring_budget_s: int = 45
    min_ring_s: int = 8
    ivr_attempts: int = 2
    ivr_digit_timeout_s: int = 4
    # Name resolution inside the root. No call may wait on DNS (a PSC in a disaster may lose its resolver):
    # the host name and every address Asterisk needs per call are in its own hosts file, and media has an
    # explicit address. `nameservers` is only for what an operator configures by name (a carrier trunk);
    # empty means the host's resolv.conf. Tests point it at a resolver that never answers.
    nameservers: tuple[str, ...] = ()
    ami_port: int = 5038  # the manager interface, on loopback only (config/asterisk/manager.conf)
    ami_user: str = "siaga"
    ami_secret: str = ""  # empty: the manager interface accepts no login
    desks: tuple[str, ...] = ()  # one queue per desk (facility codes), config/asterisk/queues.conf
    # A consultation desk's topic queues (`<desk>--<topic>`, desks/topics.py): they refuse callers while no
    # member is available, so a caller moves on to the desk's own queue at once.
    topic_queues: tuple[str, ...] = ()
    # Consultation desks (of `desks`): their queue lets a waiting caller press 1 for a callback.
    consultation_desks: tuple[str, ...] = ()
    default_desk: str = ""  # where the dialplan sends a call the engine could not plan
    desk_wrapup_s: int = 10  # a member is not rung again this long after a desk call ends
    # Load labs only: desk members are SIPp UAS phones that take any number of calls at once, so a surge's
    # overflow measures the chain, not a desk of two dispatchers. Production: a talking member is not rung.
    desk_ring_in_use: bool = False
    # The complaints line (issue 12, dialplan context siaga-complaints): its number (empty: none), the desk
    # whose officers take option 0 (empty: the default desk), the category key a caller who typed none
    # gets (the last: `lainnya`), and Record's limits.
    complaints_number: str = ""
    complaint_desk: str = ""
    complaint_desk_wait_s: int = 90  # then the default desk: an unstaffed complaints desk keeps none waiting
    complaint_other_key: int = 6
    complaint_silence_s: int = 5
    complaint_max_s: int = 180
    complaint_digits_wait_s: int = 5
    # The browser phone (WebRTC, web/phone): Asterisk's https/wss server on this host:port, with the
    # certificate `render_config` is given; empty (the default) leaves the HTTP server, the wss transport
    # and ICE off, exactly as before there were browser phones.
    wss_bind: str = ""

    @property
    def media_address(self) -> str:
        """RTP is bound to and announced on the SIP address: Asterisk never has to find "its own" address."""
        return self.sip_bind.rsplit(":", 1)[0].strip("[]")


def _operator_blocks(operators: Iterable[OperatorAccount]) -> str:
    """Every operator's PJSIP sections; one bad name (data that slipped past the importers' check) is
    left out and logged, so it costs that phone, not Asterisk's start and every call with it."""
    blocks = []
    for account in sorted(operators, key=lambda a: a.endpoint):
        try:
            blocks.append(_operator_block(account))
        except AsteriskError as exc:
            log.error("left out of pjsip.conf: %s", exc)
    return "\n".join(blocks)


def _operator_block(account: OperatorAccount) -> str:
    name = account.endpoint
    problem = endpoint_problem(name)
    if problem is not None or any(c in account.password for c in "\r\n;"):
        raise AsteriskError(
            f"operator endpoint {name!r}: {problem or 'its secret has characters PJSIP cannot take'}"
        )
    if any(c in account.contact for c in "\r\n;[] ") or (
        account.contact and not account.contact.startswith("sip:")
    ):
        raise AsteriskError(
            f"operator endpoint {name!r}: contact {account.contact!r} is not a plain sip: URI"
        )
    contact = f"contact = {account.contact}\n" if account.contact else ""
    template = "operator-browser" if account.browser else "operator-endpoint"
    return (
        f"[{name}]({template})\nauth = {name}\naors = {name}\n\n"
        f"[{name}](operator-aor)\n{contact}\n"
        f"[{name}](operator-auth)\nusername = {name}\npassword = {account.password}\n"
    )


def render_config(
    run_dir: Path,
    config: AsteriskConfig,
    operators: Iterable[OperatorAccount],
    extra_dialplan: str = "",
    prompts_dir: Path | None = None,
    tls: Certificates | None = None,
) -> None:
    """Write etc/ for one Asterisk instance; every other directory it needs is created empty.

    `extra_dialplan` is appended to extensions.conf: test rigs add their own contexts there. The IVR
    prompts in `prompts_dir` (made by scripts/setup.sh) are copied to sounds/; without them the IVR still
    waits for digits, silently. `tls` (lab/tls.py) is the certificate of the https/wss server and of
    DTLS-SRTP, copied into etc/keys: needed when `config.wss_bind` is set (browser phones).
    """
    etc = run_dir / "etc"
    for sub in ("etc/dialplans", "run", "log", "spool", "spool/recordings/aduan", "db", "cache", "sounds"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    if any(c in config.ami_secret for c in "\r\n;[] ") or not config.ami_user.isalnum():
        raise AsteriskError("the manager user must be alphanumeric and its secret one plain word")
    if not re.fullmatch(r"[0-9+*#]{0,32}", config.complaints_number):
        raise AsteriskError(
            f"the complaints number {config.complaints_number!r} is not a dialled number (digits, + * #): "
            "fix the setting complaint_number"
        )
    if not re.fullmatch(r"[A-Za-z0-9]{1,20}", config.system_name):
        raise AsteriskError(f"the system name {config.system_name!r} must be 1-20 letters or digits")
    if not re.fullmatch(r"([0-9.]+:[0-9]{1,5})?", config.agi_next):
        raise AsteriskError(f"the next engine {config.agi_next!r} is not an IPv4 host:port")
    if not re.fullmatch(r"[A-Za-z0-9_-]{0,80}", config.complaint_desk):
        raise AsteriskError(f"the complaints desk {config.complaint_desk!r} is not a desk code")
    if not re.fullmatch(r"([0-9.]+:[0-9]{1,5})?", config.wss_bind):
        raise AsteriskError(f"the WebSocket address {config.wss_bind!r} is not an IPv4 host:port")
    if config.wss_bind:
        _install_keys(etc / "keys", tls)
    values = {
        **{k: str(v) for k, v in config.__dict__.items()},
        "media_address": config.media_address,
        "run_user": RUN_USER,
        "dialled_name_pattern": dialled_name_pattern(),
        "reserved_endpoints": reserved_pattern(),
        "ami_enabled": "yes" if config.ami_secret else "no",
        "desk_ringinuse": "yes" if config.desk_ring_in_use else "no",
        "desk_queues": "\n".join(
            [
                f"[{_section_name(d)}]"
                + ("(siaga-desk-consultation)" if d in config.consultation_desks else "(siaga-desk)")
                for d in config.desks
            ]
            + [f"[{_section_name(q)}](siaga-desk-topic)" for q in config.topic_queues]
        ),
        "extra_dialplan": extra_dialplan,
        "operators": _operator_blocks(operators),
        **_browser_values(config),
    }
    for template in sorted(TEMPLATES.glob("*.conf")):
        text = Template(template.read_text(encoding="utf-8")).substitute(values)
        (etc / template.name).write_text(text, encoding="utf-8")
    for dialplan in sorted(DIALPLANS.glob("*.conf")):
        shutil.copyfile(dialplan, etc / "dialplans" / dialplan.name)
    _render_name_service(run_dir / "system", config)
    if prompts_dir is not None and prompts_dir.is_dir():
        for prompt in sorted(prompts_dir.rglob("*.wav")):
            target = run_dir / "sounds" / prompt.relative_to(prompts_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(prompt, target)
    (run_dir / "sounds" / "id").mkdir(parents=True, exist_ok=True)


KEYS_IN_ROOT = f"{MOUNT_POINT}/etc/keys"


def _install_keys(keys: Path, tls: Certificates | None) -> None:
    if tls is None or not (tls.certificate.is_file() and tls.key.is_file()):
        raise AsteriskError(
            "browser phones need a certificate for wss and DTLS: none in "
            f"{tls.directory if tls else '(no directory given)'} (python -m lab.tls DIR makes one)"
        )
    keys.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tls.certificate, keys / "server.crt")
    shutil.copyfile(tls.key, keys / "server.key")
    (keys / "server.key").chmod(0o600)


def _browser_values(config: AsteriskConfig) -> dict[str, str]:
    """http.conf, the wss transport and ICE: on only with browser phones, so every other Asterisk (the
    load lab's, the tests') keeps no HTTP listener and no per-call ICE session."""
    on = bool(config.wss_bind)
    transport = (
        "[transport-wss]\ntype = transport\nprotocol = wss\n"
        "; a WebSocket transport listens through the http server (http.conf); bind is not used\n"
        "bind = 0.0.0.0\n"
    )
    return {
        "http_enabled": "yes" if on else "no",
        "wss_bind": config.wss_bind or "127.0.0.1:8089",
        "keys_dir": KEYS_IN_ROOT,
        "ice_support": "yes" if on else "no",
        "wss_transport": transport if on else "; no browser phones: no wss transport\n",
    }


SYSTEM_FILES = ("hosts", "resolv.conf", "nsswitch.conf")
LANGUAGE_SOUNDS = "usr/share/asterisk/sounds/id"  # numbers in Indonesian, for queue announcements


def _section_name(name: str) -> str:
    if not name or not all(c.isascii() and (c.isalnum() or c in "-_") for c in name):
        raise AsteriskError(
            f"desk {name!r} cannot be an Asterisk queue name (ASCII letters, digits, - and _)"
        )
    return name


def run_user_ids(root: Path, user: str = RUN_USER) -> tuple[int, int]:
    """`user`'s uid and gid in the root's own /etc/passwd: the host may have no such user, or another
    one under those numbers, and only the numbers count on the files Asterisk shares with the host."""
    try:
        lines = (root / "etc" / "passwd").read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AsteriskError(f"cannot read {root}/etc/passwd: {exc}") from exc
    for line in lines:
        fields = line.split(":")
        if len(fields) >= 4 and fields[0] == user and fields[2].isdigit() and fields[3].isdigit():
            return int(fields[2]), int(fields[3])
    raise AsteriskError(
        f"there is no user {user!r} in {root}/etc/passwd, which Asterisk runs as: reinstall the Asterisk "
        "package in the root (scripts/install-asterisk.sh)"
    )


def hand_over(run_dir: Path, uid: int, gid: int) -> None:
    """Give Asterisk's user the run directory: it writes astdb, logs, spool, its control socket and cache
    there and reads its config and sounds. A run directory left by an Asterisk that ran as root (or a
    fresh render by root) would otherwise be unwritable to it. The configs holding secrets are made
    readable by that user alone."""
    for directory, subdirectories, files in os.walk(run_dir):
        os.lchown(directory, uid, gid)
        for name in subdirectories + files:
            os.lchown(os.path.join(directory, name), uid, gid)
    for name in SECRET_CONFIGS:
        path = run_dir / "etc" / name
        if path.exists():
            path.chmod(0o600)


def _render_name_service(system_dir: Path, config: AsteriskConfig) -> None:
    """The root's /etc/hosts, resolv.conf and nsswitch.conf, mounted over the root's own at start.

    Asterisk resolves its own host name (and, failing that, a root server's) whenever it looks for "our
    address"; with the name in the hosts file and "files" first those answers never leave the process, so a
    dead or slow resolver cannot stall SIP processing."""
    system_dir.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname()
    names = " ".join(dict.fromkeys(n for n in ("localhost", host, host.split(".", 1)[0]) if n))
    (system_dir / "hosts").write_text(
        f"127.0.0.1\t{names}\n::1\t{names} ip6-localhost ip6-loopback\n", encoding="ascii"
    )
    if config.nameservers:
        resolv = "".join(f"nameserver {ns}\n" for ns in config.nameservers)
    else:
        try:
            resolv = Path("/etc/resolv.conf").read_text(encoding="utf-8", errors="replace")
        except OSError:
            resolv = ""
    (system_dir / "resolv.conf").write_text(resolv, encoding="utf-8")
    (system_dir / "nsswitch.conf").write_text(
        "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n"
        "protocols: files\nservices: files\n",
        encoding="ascii",
    )


class Asterisk:
    """One Asterisk instance bound to a run directory."""

    def __init__(self, root: Path, run_dir: Path) -> None:
        self.root = root
        self.run_dir = run_dir.resolve()

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "asterisk.pid"

    @property
    def console_log(self) -> Path:
        return self.run_dir / "log" / "console.log"

    def _in_root(self, command: str, *, with_proc: bool = False) -> list[str]:
        mounts = [f"mount --bind {shlex.quote(str(self.run_dir))} {shlex.quote(str(self.root))}{MOUNT_POINT}"]
        system = self.run_dir / "system"
        for name in SYSTEM_FILES:
            if (system / name).is_file():
                mounts.append(
                    f"mount --bind {shlex.quote(str(system / name))} {shlex.quote(str(self.root))}/etc/{name}"
                )
        if with_proc:
            sounds = self.run_dir / "sounds" / "id"
            if sounds.is_dir():
                mounts.append(
                    f"mount --bind {shlex.quote(str(sounds))} {shlex.quote(str(self.root))}/{LANGUAGE_SOUNDS}"
                )
            mounts += [
                f"mount --bind /proc {shlex.quote(str(self.root))}/proc",
                f"mount --bind /dev {shlex.quote(str(self.root))}/dev",
            ]
        script = " && ".join([*mounts, f"exec chroot {shlex.quote(str(self.root))} {command}"])
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]

    def check_installed(self) -> None:
        if not (self.root / "usr/sbin/asterisk").exists():
            raise AsteriskError(f"Asterisk is not installed in {self.root}; run scripts/install-asterisk.sh")
        (self.root / MOUNT_POINT.lstrip("/")).mkdir(parents=True, exist_ok=True)
        for name in SYSTEM_FILES:  # mount points for the run directory's own copies
            (self.root / "etc" / name).touch(exist_ok=True)
        (self.root / LANGUAGE_SOUNDS).mkdir(parents=True, exist_ok=True)

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def start(self, timeout_s: float = 30.0) -> int:
        """Start in the background and wait until fully booted; returns the pid."""
        self.check_installed()
        if self.pid() is not None:
            raise AsteriskError(f"Asterisk already runs from {self.run_dir} (pid {self.pid()})")
        self.console_log.parent.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # (only root can start it: the mounts need it)
            hand_over(self.run_dir, *run_user_ids(self.root))
        with self.console_log.open("ab") as out:
            process = subprocess.Popen(
                # The user to run as comes from asterisk.conf (runuser/rungroup): see RUN_USER.
                self._in_root(f"/usr/sbin/asterisk -C {ASTERISK_CONF} -f -n", with_proc=True),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{process.pid}\n")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AsteriskError(f"Asterisk exited with {process.returncode}; see {self.console_log}")
            try:
                self.cli("core waitfullybooted", timeout_s=5)
                log.info("Asterisk is up (pid %d, run dir %s)", process.pid, self.run_dir)
                return process.pid
            except AsteriskError:
                time.sleep(0.3)
        self.stop()
        raise AsteriskError(f"Asterisk did not boot within {timeout_s:.0f} s; see {self.console_log}")

    def cli(self, command: str, timeout_s: float = 10.0) -> str:
        """Run one CLI command through the remote console (`asterisk -rx`)."""
        argv = self._in_root(f"/usr/sbin/asterisk -C {ASTERISK_CONF} -rx {shlex.quote(command)}")
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise AsteriskError(f"CLI {command!r} timed out") from exc
        if done.returncode != 0 or "Unable to connect to remote asterisk" in done.stdout:
            raise AsteriskError(f"CLI {command!r} failed: {(done.stdout + done.stderr).strip()[:300]}")
        return done.stdout

    def stop(self, timeout_s: float = 10.0) -> None:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        try:
            self.cli("core stop now", timeout_s=5)
        except AsteriskError as exc:
            log.warning("graceful stop failed (%s); sending SIGTERM", exc)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.1)
        if alive(pid):
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        log.info("Asterisk stopped (pid %d)", pid)

    def registered_endpoints(self) -> set[str]:
        """Endpoints with a live contact, from `pjsip show contacts`.

        The table's header line also starts `Contact:` (`Contact:  <Aor/ContactUri…>`): a `<` marks it, and
        no endpoint name starts with one, so it is skipped rather than counted as an endpoint `<Aor`."""
        found = set()
        for line in self.cli("pjsip show contacts").splitlines():
            parts = line.split()
            if len(parts) < 2 or parts[0] != "Contact:" or parts[1].startswith("<"):
                continue
            if "/" in parts[1]:
                found.add(parts[1].split("/", 1)[0])
        return found
