"""One place that decides every setting: defaults, then `siaga.toml`, then `SIAGA_*` variables, then options.

Every command builds its `Settings` through `load()`, so an operator can reason about where a value came
from in exactly one order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_REGION = REPO_ROOT / "config" / "sample" / "semarang"
# The national landline area-code table: the engine reads it while the database holds none of its own.
SHIPPED_AREA_CODES = REPO_ROOT / "config" / "area_codes.csv"


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the setting and where it came from."""


# The password every operator endpoint used to share: published in this repository, so SIP scanners try it.
KNOWN_OPERATOR_PASSWORD = "siaga-operator"
OPERATOR_PASSWORD_MIN = 16


def operator_password_problem(password: str) -> str | None:
    """Why `password` cannot be the (deprecated) shared operator password, or None if it can.

    Checked when settings are loaded and again when Asterisk is configured, so a weak shared password
    never reaches pjsip.conf however the settings were built."""
    if not password:
        return None
    if password == KNOWN_OPERATOR_PASSWORD or len(password) < OPERATOR_PASSWORD_MIN:
        weak = (
            "is siaga's published default"
            if password == KNOWN_OPERATOR_PASSWORD
            else f"is shorter than {OPERATOR_PASSWORD_MIN} characters"
        )
        return (
            f"setting 'operator_password' {weak}: a SIP scanner guesses it and registers as any operator. "
            "Remove it (from siaga.toml or $SIAGA_OPERATOR_PASSWORD): every endpoint then gets its own "
            "secret in <data_dir>/secrets/sip.json at the next start; configure each softphone with "
            "`siaga secrets show ENDPOINT` (`siaga softphone` reads the file itself)"
        )
    return None


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    db: str = ""  # SQLAlchemy URL; empty means an SQLite file in data_dir
    region_dir: Path = SAMPLE_REGION
    areas_file: Path | None = None
    facilities_file: Path | None = None
    callers_file: Path | None = None
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    agi_workers: int = 4
    agi_allowed_peers: tuple[str, ...] = ("127.0.0.1", "::1")
    sip_port: int = 5060
    rtp_start: int = 10000  # Asterisk's media ports (two per call leg); instances on one host need their own
    rtp_end: int = 19999
    asterisk_root: Path = Path("/var/cache/siaga/asterisk-root")
    # Resolvers for Asterisk's root (empty: the host's). Calls never wait on them (see lab.asterisk).
    asterisk_nameservers: tuple[str, ...] = ()
    ami_port: int = 5038  # Asterisk's manager interface on 127.0.0.1; its secret: run_dir/asterisk/ami.secret
    pending_drain_s: float = 5.0  # how often the engine collects call reports Asterisk kept in AstDB
    # Deprecated: the one phone every unplanned call used to ring. Calls now go to desks (queues of the
    # staff on duty at facilities of kind dispatch/consultation); a value here is used only where no desk
    # exists at all, with a warning at start (see `deprecations`).
    dispatcher_endpoint: str = ""
    # -- desks (Asterisk queues staffed from the roster) ---------------------------------------------
    # Deprecated: the desks' overflow chains are region data in the database now (`siaga import desks
    # FILE.csv`); a file set here is still read at start instead of the table, with a warning.
    desks_file: Path | None = None
    default_desk: str = (
        ""  # where the dialplan sends a call it has no plan for (default: first dispatch desk)
    )
    desk_wrapup_s: int = 10  # a desk member is not rung again this long after a call
    desk_sync_s: float = 1.0  # how often queue members are brought in line with the roster
    # Callbacks at consultation desks (desks/callbacks.py): a caller whose expected wait is over
    # `callback_offer_wait_s` may press 1 to be called back, keeping their place. `callback_dial` is the Dial
    # string Asterisk calls the caller on, `{number}` the caller's national number, e.g.
    # "PJSIP/caller-trunk/sip:{number}@sip.carrier.example"; empty: no callback is offered (nothing to dial
    # through). Up to `callback_tries` tries, `callback_retry_s` apart, each ringing `callback_ring_s`.
    callback_offer_wait_s: int = 120
    callback_dial: str = ""
    callback_tries: int = 3
    callback_retry_s: float = 120.0
    callback_ring_s: int = 30
    callback_poll_s: float = 1.0  # how often the callback helper looks for a free member
    # Deprecated: one SIP password shared by every operator endpoint. Empty (the default) gives each
    # endpoint its own secret in `sip_secrets_path`; a value is still honoured for sites whose softphones
    # were all set up with one strong password, with a warning (see `deprecations`). The old default
    # "siaga-operator", or anything under OPERATOR_PASSWORD_MIN characters, is refused at load.
    operator_password: str = ""
    ring_timeout_s: int = 20
    dispatcher_timeout_s: int = 60
    max_targets: int = 3
    roster_refresh_s: float = 2.0
    # How often each engine worker asks whether areas, facilities, callers, the DID/kode-pos/area-code
    # tables or the desks were re-imported (kernel/revisions.py); a change is routed on within this plus
    # the time to read the places again.
    places_refresh_s: float = 2.0
    # -- where a caller is, the ring budget, the AGI guard and call records (routing issue) -----------
    location_precedence: tuple[str, ...] = (
        "pidf-lo",
        "carrier-header",
        "directory",
        "trunk",
        "ivr",
        "area-code",
    )
    carrier_location_header: str = "X-Caller-Location"  # a carrier's "lat,lon[;accuracy]" header
    # Deprecated: the DID, kode pos and area-code tables are region data in the database now (`siaga
    # import did|kode-pos|area-codes FILE.csv`). A file set here is still read at start instead of its
    # table, with a warning (see `deprecations`), so an upgraded site keeps its numbers until imported.
    did_file: Path | None = None
    kode_pos_file: Path | None = None
    area_codes_file: Path | None = None
    ring_budget_s: int = 45  # the dispatcher rings at most this long after the call arrived
    min_ring_s: int = 8
    ivr_attempts: int = 2  # prompts for a kode pos when nothing better is known; 0 turns the IVR off
    ivr_digit_timeout_s: int = 4  # wait after each prompt; two attempts stay within ~15 s
    agi_timeout_s: int = 3  # the dialplan gives up on an engine that has not answered by then
    device_state_check: int = 1  # ask Asterisk whether each candidate's softphone is registered (0: off)
    prompts_dir: Path = Path("/var/cache/siaga/prompts")  # IVR prompts made by scripts/setup.sh
    records_retry_s: float = 1.0  # first retry delay when the call-record database is locked or down
    # -- the supervisors' console (web issue) --------------------------------------------------------
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_workers: int = 1
    # The session cookie's Secure flag: "auto" sets it unless web_host is a loopback address (plain http
    # on this machine); "true" behind a TLS proxy on this machine; "false" only on a trusted lab network.
    web_secure_cookie: str = "auto"
    # -- the browser phone (issue 16, point 4: web/phone) -------------------------------------------
    # Staff endpoints whose phone is the console's "Telepon" page (WebRTC) instead of a SIP softphone; the
    # console user of the same name answers there. Empty: no browser phone, and Asterisk keeps its
    # https/wss server and ICE off.
    browser_phones: tuple[str, ...] = ()
    wss_port: int = 8089  # Asterisk's SIP over secure WebSocket, on the SIP address (path /ws)
    # The address the page's phone connects to; empty: wss://<the console's own host name>:<wss_port>/ws.
    browser_phone_ws_url: str = ""
    # The certificate of wss and DTLS-SRTP (lab/tls.py: server.crt, server.key, the lab's ca.crt); made
    # at set-up when missing, a site's own kept. Default: <data_dir>/tls.
    tls_dir: Path | None = None
    # -- rosters and their scheduled jobs (shifts issue) ---------------------------------------------
    scheduler: bool = True  # `siaga serve` runs the roster jobs (boundary, coverage, summary)
    coverage_warn_hours: float = 12.0  # warn this far ahead of a facility or kecamatan with no one on duty
    coverage_check_minutes: float = 60.0  # how often the coverage check looks ahead
    roster_summary_at: str = "06:00+07:00"  # daily roster summary, wall clock with its UTC offset
    max_shift_hours: float = 16.0  # a longer shift in an import is refused (at most 36)
    # -- ambulances and hospital beds (issue 11, dispatch/) ------------------------------------------
    beds_stale_hours: float = 6.0  # a bed report older than this is shown as stale and not routed to
    # ETA until a road router fills it: straight-line distance x road factor / average speed
    dispatch_road_factor: float = 1.4
    dispatch_speed_kmh: float = 40.0
    dispatch_choices: int = 5  # units and hospitals recommended at most (each list)
    # -- the complaints desk (issue 12, complaints/) ---------------------------------------------------
    complaint_categories: tuple[str, ...] = ("pelayanan", "petugas", "fasilitas", "obat", "biaya", "lainnya")
    complaint_first_response_hours: float = 8.0  # wall-clock hours to the first response
    complaint_resolution_days: int = 5  # working days (Mon-Fri less Indonesia's public holidays) to done
    # Per-category overrides, `category:first_response_hours:working_days`, e.g. "obat:4:3".
    complaint_sla: tuple[str, ...] = ()
    complaint_warn_hours: float = 2.0  # the review warns this long before a deadline
    complaint_review_hours: float = 8.0  # the scheduled review of new and overdue complaints
    complaint_zone: str = "Asia/Jakarta"  # for complaints not about a facility (a facility's own zone wins)
    # The complaints line's DID (the sample's is in its did.csv); its DID area is the desk of a complaint
    # that names no facility.
    complaint_number: str = "0246717100"
    # The desk whose officers the line's option 0 reaches; empty: the first desk of kind `complaints`, else
    # the default desk.
    complaint_desk: str = ""
    # How soon a dispatched unit's crew is messaged and rung (dispatch/crew_alerts.py).
    crew_alert_poll_s: float = 1.0
    # Where the phone's complaint recordings are (Asterisk's spool, as this host sees it); the console
    # plays only files inside it. Default: <data_dir>/run/asterisk/spool/recordings/aduan.
    complaint_recordings_dir: Path | None = None
    # Incident categories an operator may choose (`siaga incidents open --category`), in menu order
    incident_categories: tuple[str, ...] = (
        "kecelakaan",
        "persalinan",
        "henti_jantung",
        "sesak_napas",
        "lainnya",
    )

    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{self.data_dir / 'siaga.db'}"

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def areas_path(self) -> Path:
        return self.areas_file or self.region_dir / "areas.geojson"

    @property
    def facilities_path(self) -> Path:
        return self.facilities_file or self.region_dir / "facilities.csv"

    @property
    def callers_path(self) -> Path:
        return self.callers_file or self.region_dir / "callers.csv"

    @property
    def deprecations(self) -> list[str]:
        """Settings still read but on their way out, each with what to do instead."""
        notes = []
        if self.dispatcher_endpoint:
            notes.append(
                "setting 'dispatcher_endpoint' is deprecated: calls without a plan now wait in the default "
                "desk's queue (the staff on duty at a facility of kind 'dispatch'); it is used only when no "
                "desk exists. Roster dispatchers at a dispatch facility and set 'default_desk' instead."
            )
        if self.operator_password:
            notes.append(
                "setting 'operator_password' is deprecated: one password for every operator endpoint means "
                "one leaked softphone opens them all. Remove it; each endpoint then gets its own secret in "
                f"{self.sip_secrets_path} (`siaga secrets show ENDPOINT` for a softphone's configuration)."
            )
        tables = (
            ("did_file", "did"),
            ("kode_pos_file", "kode-pos"),
            ("area_codes_file", "area-codes"),
            ("desks_file", "desks"),
        )
        for name, verb in tables:
            path = getattr(self, name)
            if path is not None:
                notes.append(
                    f"setting {name!r} is deprecated: the table is region data in the database now. Until "
                    f"it is removed the engine reads {path} at start instead of the database's table; run "
                    f"`siaga import {verb} {path}` (all or nothing, every bad line named), then remove it."
                )
        return notes

    @property
    def tls_path(self) -> Path:
        return self.tls_dir or self.data_dir / "tls"

    @property
    def sip_secrets_path(self) -> Path:
        """One SIP secret per operator endpoint (shifts.sipsecrets), made at first start. Outside run_dir,
        which is mounted into Asterisk's root: Asterisk sees only the pjsip.conf made from it."""
        return self.data_dir / "secrets" / "sip.json"

    @property
    def records_spool(self) -> Path:
        """Call records wait here (one JSON-lines file per engine worker) until the database takes them.

        One folder per database: records left in a spool when the engine stopped belong to the database
        they were made for, and an engine started on another database must not write them there."""
        digest = hashlib.sha256(self.db_url.encode("utf-8")).hexdigest()[:12]
        return self.run_dir / "engine" / "records" / digest

    @property
    def complaint_recordings_path(self) -> Path:
        """Where complaint recordings live; the console plays only files inside it."""
        return self.complaint_recordings_dir or self.run_dir / "asterisk" / "spool" / "recordings" / "aduan"

    @property
    def decision_log(self) -> Path:
        return self.run_dir / "engine" / "decisions.jsonl"


def _convert(name: str, raw: Any, source: str) -> Any:
    """Turn a raw value (TOML or a string from the environment) into the field's type."""
    target = {f.name: f for f in fields(Settings)}[name]
    kind = str(target.type)
    try:
        if "tuple" in kind:
            items = raw if isinstance(raw, list | tuple) else [p.strip() for p in str(raw).split(",")]
            return tuple(str(p) for p in items if p)
        if "Path" in kind:
            return Path(str(raw)) if raw not in (None, "") else None
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            flag = str(raw).strip().lower()
            if flag not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise ValueError("expected true or false")
            return flag in ("true", "1", "yes", "on")
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {name!r} from {source}: cannot use {raw!r} ({exc})") from exc


def load(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge defaults, the config file, SIAGA_* variables and command-line overrides, in that order."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    known = {f.name for f in fields(Settings)}

    path = config_file or Path(environ.get("SIAGA_CONFIG", "siaga.toml"))
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
        for key, raw in data.items():
            if key not in known:
                raise SettingsError(f"{path}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
            values[key] = _convert(key, raw, str(path))
    elif config_file is not None:
        raise SettingsError(f"config file {config_file} does not exist")

    for key in known:
        env_key = f"SIAGA_{key.upper()}"
        if env_key in environ:
            values[key] = _convert(key, environ[env_key], f"${env_key}")

    for key, raw in (overrides or {}).items():
        if raw is not None:
            values[key] = _convert(key, raw, f"option --{key.replace('_', '-')}")

    settings = dataclasses.replace(Settings(), **values)
    problem = operator_password_problem(settings.operator_password)
    if problem is not None:
        raise SettingsError(problem)
    return settings
