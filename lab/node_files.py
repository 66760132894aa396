"""The files a real machine needs, in hand (`siaga node render`, issue 13 point 6): the systemd units of one
Asterisk node (engine, console, Asterisk), its Asterisk configuration from the renderer `siaga asterisk
start` uses (lab/pbx.py), and Kamailio's kamailio.cfg and dispatcher.list from lab/kamailio.py's.

The checks and the unit texts are pure (arguments in, text out); `write_node_files` is the one edge: it
asks the database for the phones and desks, as `siaga asterisk start` does, and writes everything into a
fresh folder next to the target first, so a refusal halfway leaves nothing behind.

Asterisk runs as `siaga-asterisk.service`, not as Debian's `asterisk.service`: Debian 12 has no Asterisk
package, so a node runs it from the same sid root the project installs (scripts/install-asterisk.sh), and
systemd gives it the private mounts `lab.asterisk.Asterisk` makes with unshare (RootDirectory= and
BindPaths=). The generated config is then byte for byte the one the tests boot, /srv/siaga paths included.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kernel.messages import Message
from kernel.settings import Settings, SettingsError
from lab.asterisk import LANGUAGE_SOUNDS, MOUNT_POINT, SECRET_CONFIGS
from lab.kamailio import MODULE_DIRS, KamailioConfig, KamailioError, module_dir
from lab.kamailio import render_config as render_kamailio
from lab.pbx import NodePlace, render_asterisk

UNITS = ("siaga-engine.service", "siaga-web.service", "siaga-asterisk.service")
ETC_ASTERISK = PurePosixPath("/etc/asterisk")
# The root's hosts, resolv.conf and nsswitch.conf (lab.asterisk._render_name_service): no call waits on DNS.
ASTERISK_SYSTEM = PurePosixPath("/etc/siaga/asterisk-system")
ETC_KAMAILIO = PurePosixPath("/etc/kamailio")
KAMAILIO_CTL = "/run/kamailio/kamailio_ctl"  # Debian's unit makes /run/kamailio; kamcmd's default socket
SYSTEMD = PurePosixPath("/etc/systemd/system")
SYSTEM_FILES = ("hosts", "resolv.conf", "nsswitch.conf")


@dataclass(frozen=True)
class NodeLayout:
    """One node of a deployment and the paths its services use on the machine (all absolute)."""

    node: str  # this node's IPv4 address: SIP, media and its engine listen there
    nodes: tuple[str, ...]  # every node's address, this one included; one: a single node
    kamailio: str  # Kamailio's address, empty without one
    trunk: str  # where the callers' calls come from (pjsip identify match): Kamailio, or a carrier
    install_prefix: PurePosixPath  # siaga's checkout with its .venv
    data_dir: PurePosixPath
    config: PurePosixPath
    asterisk_root: PurePosixPath
    sip_port: int = 5060
    agi_port: int = 4573
    agi_workers: int = 4
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_workers: int = 1

    @property
    def index(self) -> int:
        return self.nodes.index(self.node)

    @property
    def system_name(self) -> str:
        """siaga1, siaga2 … behind Kamailio (each prefixes its call ids), as `siaga up --nodes` names them."""
        return f"siaga{self.index + 1}" if len(self.nodes) > 1 else "siaga"

    @property
    def agi_next(self) -> str:
        """The next node's engine in a ring (n1 → n2 → … → n1), asked when this node's own is gone."""
        if len(self.nodes) < 2:
            return ""
        return f"{self.nodes[(self.index + 1) % len(self.nodes)]}:{self.agi_port}"

    @property
    def asterisk_run_dir(self) -> PurePosixPath:
        """Where Asterisk writes (astdb, logs, spool, complaint recordings): the same folder as on one
        machine, because the engine and the console find its manager secret and recordings there."""
        return self.data_dir / "run" / "asterisk"

    @property
    def siaga(self) -> PurePosixPath:
        return self.install_prefix / ".venv" / "bin" / "siaga"


# -- checking the options, pure ----------------------------------------------------------------------------


def ipv4(option: str, raw: str) -> str:
    """`raw` as a plain IPv4 address, or a refusal naming `option` (the renderers take IPv4 only)."""
    try:
        return str(ipaddress.IPv4Address(raw.strip()))
    except ValueError:
        raise SettingsError(
            Message(
                "{option}: {value} is not an IPv4 address (e.g. 10.1.2.11)", option=option, value=repr(raw)
            )
        ) from None


def address_list(option: str, raw: str) -> tuple[str, ...]:
    """A comma-separated list of IPv4 addresses, each once."""
    addresses = tuple(ipv4(option, part) for part in raw.split(",") if part.strip())
    if not addresses:
        raise SettingsError(Message("{option}: give at least one address", option=option))
    twice = sorted({a for a in addresses if addresses.count(a) > 1})
    if twice:
        raise SettingsError(
            Message("{option}: {addresses} named more than once", option=option, addresses=", ".join(twice))
        )
    return addresses


def absolute(option: str, raw: Path | str) -> PurePosixPath:
    """A path as the units will name it: made absolute from here (the render runs on the node itself)."""
    path = PurePosixPath(os.path.abspath(str(raw)))
    if any(c.isspace() or c in "\"'\\%$" for c in str(path)):
        raise SettingsError(
            Message(
                "{option}: {value} must be an absolute path without spaces or quotes",
                option=option,
                value=repr(str(raw)),
            )
        )
    return path


def plan_layout(
    settings: Settings,
    *,
    node: str,
    nodes: str = "",
    kamailio: str = "",
    trunk: str = "",
    install_prefix: Path | str,
    config: Path | str,
) -> NodeLayout:
    """Every option checked before anything is written; the first problem is refused naming its option."""
    own = ipv4("--node-address", node)
    every = address_list("--nodes", nodes) if nodes else (own,)
    if own not in every:
        raise SettingsError(
            Message("--nodes: {addresses} does not name --node-address {node}", addresses=nodes, node=own)
        )
    proxy = ipv4("--kamailio", kamailio) if kamailio else ""
    if proxy in every:
        raise SettingsError(
            Message(
                "--kamailio: {address} is a node's address; Kamailio and Asterisk both listen on the "
                "SIP port",
                address=proxy,
            )
        )
    if trunk:
        try:
            caller_trunk = str(ipaddress.IPv4Network(trunk.strip(), strict=False))
        except ValueError:
            raise SettingsError(
                Message("--trunk: {value} is not an IPv4 address or network", value=repr(trunk))
            ) from None
        caller_trunk = caller_trunk.removesuffix("/32")
    elif proxy:
        caller_trunk = proxy
    else:
        raise SettingsError(
            Message("--trunk: give the address the carrier's calls come from (or --kamailio)")
        )
    return NodeLayout(
        node=own,
        nodes=every,
        kamailio=proxy,
        trunk=caller_trunk,
        install_prefix=absolute("--install-prefix", install_prefix),
        data_dir=absolute("--data-dir", settings.data_dir),
        config=absolute("--config", config),
        asterisk_root=absolute("asterisk_root", settings.asterisk_root),
        sip_port=settings.sip_port,
        agi_port=settings.agi_port,
        agi_workers=settings.agi_workers,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_workers=settings.web_workers,
    )


def missing_peers(allowed: tuple[str, ...], layout: NodeLayout) -> list[str]:
    """The nodes' addresses the engine would refuse (agi_allowed_peers): its own Asterisk connects from the
    node's address, the other nodes' dialplans from theirs (this engine is their SIAGA_AGI_NEXT)."""
    return [a for a in layout.nodes if a not in allowed]


# -- the unit texts, pure ----------------------------------------------------------------------------------


def _environment(layout: NodeLayout) -> str:
    return f"Environment=SIAGA_CONFIG={layout.config}\nEnvironment=SIAGA_DATA_DIR={layout.data_dir}\n"


def engine_unit(layout: NodeLayout) -> str:
    return (
        "# Generated by `siaga node render`: the engine and its helpers (record writer, AstDB report\n"
        "# collector, desk-member sync, callback placer, crew alerter, roster scheduler) are one process\n"
        "# tree; `siaga serve` restarts any helper that dies, systemd restarts the whole.\n"
        "[Unit]\n"
        "Description=siaga FastAGI engine (routing, call records, desks, callbacks, crew alerts)\n"
        "After=network-online.target\n"
        "Wants=network-online.target\n"
        "\n[Service]\n"
        "User=siaga\n"
        f"{_environment(layout)}"
        "# Refuses to start on a database behind the code: run `siaga db upgrade` once, after a backup.\n"
        f"ExecStartPre={layout.siaga} db current\n"
        f"ExecStart={layout.siaga} serve --host {layout.node} --port {layout.agi_port} "
        f"--workers {layout.agi_workers}\n"
        "KillMode=control-group\n"
        "TimeoutStopSec=20\n"
        "Restart=always\n"
        "RestartSec=1\n"
        "\n[Install]\n"
        "WantedBy=multi-user.target\n"
    )


def web_unit(layout: NodeLayout) -> str:
    return (
        "# Generated by `siaga node render`: the console; put a TLS proxy such as nginx in front of it.\n"
        "[Unit]\n"
        "Description=siaga console (rosters, coverage, calls, incidents, complaints, wallboard)\n"
        "After=network-online.target\n"
        "Wants=network-online.target\n"
        "\n[Service]\n"
        "User=siaga\n"
        f"{_environment(layout)}"
        f"ExecStart={layout.siaga} web --host {layout.web_host} --port {layout.web_port} "
        f"--workers {layout.web_workers}\n"
        "Restart=always\n"
        "RestartSec=1\n"
        "\n[Install]\n"
        "WantedBy=multi-user.target\n"
    )


def asterisk_unit(layout: NodeLayout) -> str:
    """Asterisk in the sid root with the mounts `lab.asterisk.Asterisk` makes with unshare: the run
    directory at /srv/siaga (writable), the configuration read-only over its etc/, the name-service files
    over the root's, the Indonesian number prompts over the root's sounds/id."""
    conf = f"{MOUNT_POINT}/etc/asterisk.conf"
    run_dir = layout.asterisk_run_dir
    system = "".join(f"BindReadOnlyPaths={ASTERISK_SYSTEM / name}:/etc/{name}\n" for name in SYSTEM_FILES)
    return (
        "# Generated by `siaga node render`. Debian 12 has no Asterisk package: Asterisk 22 runs from the\n"
        "# Debian sid root scripts/install-asterisk.sh makes, with the configuration siaga generates.\n"
        "[Unit]\n"
        f"Description=Asterisk 22 for siaga ({layout.system_name}, SIP on {layout.node}:{layout.sip_port})\n"
        "After=network-online.target\n"
        "Wants=network-online.target\n"
        "\n[Service]\n"
        "Type=simple\n"
        f"RootDirectory={layout.asterisk_root}\n"
        "MountAPIVFS=yes\n"
        f"BindPaths={run_dir}:{MOUNT_POINT}\n"
        f"BindReadOnlyPaths={ETC_ASTERISK}:{MOUNT_POINT}/etc\n"
        f"{system}"
        f"BindReadOnlyPaths={run_dir}/sounds/id:/{LANGUAGE_SOUNDS}\n"
        "# Starts as root in the root, then drops to the root's own `asterisk` user (asterisk.conf).\n"
        f"ExecStart=/usr/sbin/asterisk -C {conf} -f -n\n"
        f'ExecReload=/usr/sbin/asterisk -C {conf} -rx "core reload"\n'
        "Restart=always\n"
        "RestartSec=2\n"
        "TimeoutStopSec=20\n"
        "LimitNOFILE=65536\n"
        "\n[Install]\n"
        "WantedBy=multi-user.target\n"
    )


def readme(layout: NodeLayout, *, kamailio: bool, missing: list[str]) -> str:
    """What goes where and the commands that put it there, for the person installing the machines."""
    data, run_dir, root = layout.data_dir, layout.asterisk_run_dir, layout.asterisk_root
    role = f"{layout.system_name}, node {layout.index + 1} of {len(layout.nodes)}"
    lines = [
        f"siaga node render: the files of the Asterisk node {layout.node} ({role}).",
        "",
        "This folder is mode 0700; asterisk/etc/pjsip.conf (every phone's SIP secret),",
        "asterisk/etc/manager.conf (the engine's manager login) and asterisk/etc/keys/server.key",
        "(browser phones only) are 0600.",
        "Keep them so on the machine: they are the keys to every operator's phone.",
        "",
        "What goes where (on this node, as root):",
        "",
    ]
    table = [
        ("systemd/siaga-engine.service", f"{SYSTEMD}/siaga-engine.service"),
        ("systemd/siaga-web.service", f"{SYSTEMD}/siaga-web.service"),
        ("systemd/siaga-asterisk.service", f"{SYSTEMD}/siaga-asterisk.service"),
        ("asterisk/etc/", f"{ETC_ASTERISK}/  (mounted read-only at {MOUNT_POINT}/etc in Asterisk's root)"),
        ("asterisk/system/", f"{ASTERISK_SYSTEM}/  (the root's hosts, resolv.conf, nsswitch.conf)"),
        ("asterisk/{run,log,spool,db,cache,sounds}/", f"{run_dir}/  (Asterisk writes here)"),
    ]
    if kamailio:
        table += [
            (
                "kamailio/kamailio.cfg",
                f"{ETC_KAMAILIO}/kamailio.cfg  (on the Kamailio machine {layout.kamailio})",
            ),
            ("kamailio/dispatcher.list", f"{ETC_KAMAILIO}/dispatcher.list  (same machine)"),
        ]
    width = max(len(a) for a, _ in table)
    lines += [f"  {a.ljust(width)}  {b}" for a, b in table]
    lines += [
        "",
        "Commands, in this folder, on the node:",
        "",
        f"  id siaga || useradd --system --home-dir {data} --shell /usr/sbin/nologin siaga",
        f"  AST_UID=$(chroot {root} id -u asterisk); AST_GID=$(chroot {root} id -g asterisk)",
        f"  install -m 0644 systemd/*.service {SYSTEMD}/",
        f"  mkdir -p {ETC_ASTERISK} {ASTERISK_SYSTEM} {run_dir}/etc",
        f"  cp -a asterisk/etc/. {ETC_ASTERISK}/",
        f'  chown -R "$AST_UID:$AST_GID" {ETC_ASTERISK}   # Asterisk reads pjsip.conf after dropping root',
        f"  install -m 0644 asterisk/system/* {ASTERISK_SYSTEM}/",
        f"  for d in run log spool db cache sounds; do cp -a asterisk/$d {run_dir}/; done",
        f"  chown -R siaga:siaga {data}",
        f'  for d in run log spool db cache sounds; do chown -R "$AST_UID:siaga" {run_dir}/$d; done',
        f'  chown "$AST_UID:siaga" {run_dir}; chmod 0770 {run_dir}',
        "  systemctl daemon-reload",
        "  systemctl enable --now siaga-asterisk.service siaga-engine.service siaga-web.service",
        "  systemctl status siaga-asterisk siaga-engine siaga-web; journalctl -u siaga-asterisk",
        "",
        f"The engine listens on {layout.node}:{layout.agi_port}; this node's Asterisk asks it first"
        + (
            f" and the engine at {layout.agi_next} (SIAGA_AGI_NEXT) when it is gone."
            if layout.agi_next
            else "."
        ),
        f"The caller trunk (pjsip.conf identify) is {layout.trunk}: calls from elsewhere are not callers'.",
    ]
    if missing:
        lines += [
            "",
            f"WARNING: agi_allowed_peers in {layout.config} lacks {', '.join(missing)}:",
            "the engine would refuse those nodes' Asterisk. Add them before starting siaga-engine.",
        ]
    lines += [
        "",
        "After a staff or unit import adds phones: run `siaga node render` again with the same options, copy",
        f"asterisk/etc/ to {ETC_ASTERISK}/ as above, then `systemctl reload siaga-asterisk` (core reload).",
    ]
    if len(layout.nodes) > 1:
        lines += [
            "Every node renders its own folder (its own --node-address, the same --nodes). Before",
            f"rendering on the other nodes, copy {data}/secrets/sip.json from this node to theirs",
            "(mode 0600, owner siaga), so a phone has one password on every node.",
        ]
    if kamailio:
        lines += [
            "",
            f"On the Kamailio machine ({layout.kamailio}), as root (Debian 12: apt-get install -y kamailio):",
            "",
            f"  install -m 0644 kamailio/kamailio.cfg kamailio/dispatcher.list {ETC_KAMAILIO}/",
            f"  kamailio -c -f {ETC_KAMAILIO}/kamailio.cfg      # Kamailio's own check of the file",
            "  systemctl enable kamailio && systemctl restart kamailio",
            "  kamcmd dispatcher.list                          # each node's flags: AP in, IP out",
        ]
    return "\n".join(lines) + "\n"


# -- writing the folder (the edge) -------------------------------------------------------------------------


def _kamailio_modules() -> str:
    try:
        return module_dir()
    except KamailioError:  # rendered on a node without Kamailio: Debian 12's path on amd64
        return MODULE_DIRS[0]


def _settle_modes(folder: Path) -> None:
    """Folders 0755 and files 0644 inside, whatever the umask; the secrets 0600; the folder itself 0700."""
    for directory, subdirectories, files in os.walk(folder):
        for name in subdirectories:
            os.chmod(os.path.join(directory, name), 0o755)
        for name in files:
            os.chmod(os.path.join(directory, name), 0o644)
    for name in SECRET_CONFIGS:
        path = folder / "asterisk" / "etc" / name
        if path.exists():
            path.chmod(0o600)
    folder.chmod(0o700)


def write_node_files(out: Path, layout: NodeLayout, settings: Settings) -> list[Path]:
    """Render everything into a new folder beside `out`, then put it in `out`'s place (which must be
    missing or empty), so a failure leaves no half-written folder. Returns the files written."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SettingsError(Message("--out: {folder} exists and is not an empty folder", folder=str(out)))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        units = staging / "systemd"
        units.mkdir()
        for name, text in zip(
            UNITS, (engine_unit(layout), web_unit(layout), asterisk_unit(layout)), strict=True
        ):
            (units / name).write_text(text, encoding="utf-8")
        node_settings = dataclasses.replace(settings, agi_host=layout.node)
        place = NodePlace(
            sip_host=layout.node,
            system_name=layout.system_name,
            agi_next=layout.agi_next,
            trunk_match=layout.trunk,
        )
        render_asterisk(node_settings, staging / "asterisk", place=place)
        if layout.kamailio:
            render_kamailio(
                staging / "kamailio",
                KamailioConfig(
                    address=layout.kamailio,
                    port=layout.sip_port,
                    nodes=tuple(f"{n}:{layout.sip_port}" for n in layout.nodes),
                ),
                installed_in=Path(str(ETC_KAMAILIO)),
                ctl_socket=KAMAILIO_CTL,
                modules=_kamailio_modules(),
            )
        missing = missing_peers(settings.agi_allowed_peers, layout)
        (staging / "README.txt").write_text(
            readme(layout, kamailio=bool(layout.kamailio), missing=missing), encoding="utf-8"
        )
        _settle_modes(staging)
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(p for p in out.rglob("*") if p.is_file())
