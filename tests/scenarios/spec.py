"""A real-chain scenario as its folder says it: `scenario.toml` read into plain objects, checked whole.

Pure: reads the folder, imports nothing of the lab. A mistake in a scenario file is reported with the file
and the field (`calls[2].expect.record: unknown key 'outcom'`) when the driver collects the scenarios, not
as a puzzling failure on the real chain. The format is described in tests/scenarios/README.md.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from kernel.settings import REPO_ROOT, Settings

SCENARIO_FILE = "scenario.toml"
DIALPLAN_FILE = "dialplan.conf"
STEPS_FILE = "steps.py"
DEFAULT_SIPP = "uac_caller.xml"

# Where each kind of location goes out: the SIPp scenario (sipp/) and how many injection fields it reads.
LOCATION_SIPP = {
    "pidf_point": ("uac_pidf_point.xml", 2),  # lat, lon
    "pidf_circle": ("uac_pidf_circle.xml", 3),  # lat, lon, radius in metres
    "carrier_header": ("uac_carrier_header.xml", 4),  # header name, lat, lon, accuracy in metres
}
KEYS_SIPP = {"info": "uac_dtmf_info.xml", "rfc4733": "uac_dtmf_rfc4733.xml"}

# Call-record fields a scenario may compare (routing.records via tests.telephony.conftest.CallSummary).
RECORD_TEXT = (
    "caller",
    "dialled",
    "service",
    "route_status",
    "location_source",
    "location_label",
    "area_code",
    "outcome",
    "answered_by",
    "desk",
    "overflow_path",
)
RECORD_NUMBERS = ("accuracy_m", "answered_attempt", "time_to_answer_s", "queue_wait_s", "queue_position")
RECORD_FLAGS = ("abandoned_in_queue",)
BOUND_SUFFIXES = ("_at_least", "_at_most", "_below")
_SETTING_PLUS = re.compile(r"^\s*([a-z_]+)\s*\+\s*(\d+(?:\.\d+)?)\s*$")


class ScenarioError(ValueError):
    """A scenario folder that cannot be run as written; the message names the file and the field."""


@dataclass(frozen=True)
class Bounds:
    at_least: float | None = None
    at_most: float | None = None
    below: float | None = None

    def problem(self, value: float | None) -> str | None:
        """Why `value` is out of bounds (None is always out: a bound says the value exists), or None."""
        if value is None:
            return "expected a value, got None"
        if self.at_least is not None and value < self.at_least:
            return f"expected >= {self.at_least:g}, got {value:g}"
        if self.at_most is not None and value > self.at_most:
            return f"expected <= {self.at_most:g}, got {value:g}"
        if self.below is not None and value >= self.below:
            return f"expected < {self.below:g}, got {value:g}"
        return None


@dataclass(frozen=True)
class AttemptExpect:
    endpoint: str | None = None
    endpoint_in: tuple[str, ...] = ()
    outcome: str | None = None
    ring_s: Bounds | None = None


@dataclass(frozen=True)
class RecordExpect:
    """What the call record must say. `caller` and `route_status` also choose the record: the latest
    finished one of this scenario from that caller ("" = any caller) with that route status."""

    caller: str | None = None
    route_status: str | None = None
    equal: Mapping[str, Any] = field(default_factory=dict)
    contains: Mapping[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
    bounds: Mapping[str, Bounds] = field(default_factory=dict)
    targets: tuple[str, ...] | None = None
    desks: tuple[str | tuple[str, int], ...] | None = None
    first_desk: str | None = None
    ask_digits: bool | None = None
    notes_contain: tuple[str, ...] = ()
    skip_reasons: Mapping[str, str] = field(default_factory=dict)
    skipped_include: tuple[str, ...] = ()
    attempts: tuple[AttemptExpect, ...] | None = None
    calls_show_contains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expect:
    answered: tuple[str, ...] | None = None
    answered_one_of: tuple[str, ...] | None = None
    rang: tuple[str, ...] = ()
    not_rang: tuple[str, ...] = ()
    sipp_exit: int | None = None
    took_below_s: str | None = None  # seconds, or "<setting> + <seconds>"
    record: RecordExpect | None = None
    screen_pop: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    caller: str
    dialled: str
    sipp: str  # a scenario in sipp/, or an absolute path to the folder's own
    fields: tuple[str, ...] = ()
    rfc4733_keys: str = ""  # typed as RTP telephone-events (written to dtmf.pcap for the scenario)
    seen_as: str = ""  # how the phones see the caller (fnmatch, case-insensitive); default the caller
    around: str = ""  # a context manager of steps.py the call is placed inside
    away: tuple[str, ...] = ()  # the scenario's own phones that type "away" before the call
    back: tuple[str, ...] = ()  # … and "back"
    expect: Expect = Expect()

    @property
    def seen_pattern(self) -> str:
        return (self.seen_as or self.caller).lower()


@dataclass(frozen=True)
class Given:
    on_duty: tuple[str, ...] = ()
    ended: tuple[str, ...] = ()  # on a shift that ended a minute ago
    unregistered: tuple[str, ...] = ()  # checked, not made: no phone of the lab registers them
    phones: tuple[str, ...] = ()  # the scenario's own softphones (siaga softphone's code), for away/back


@dataclass(frozen=True)
class Scenario:
    name: str  # the folder's path under tests/scenarios, e.g. "routing/nearest_off_shift"
    folder: Path
    summary: str
    settings: tuple[tuple[str, Any], ...]  # overrides of the lab's settings, sorted: stacks are shared by it
    given: Given
    calls: tuple[Call, ...]
    dialplan: Path | None
    steps: Path | None

    def step(self, name: str) -> Callable[..., Any]:
        module = load_steps(self)
        if module is None or not callable(getattr(module, name, None)):
            raise ScenarioError(f"{self.folder / STEPS_FILE}: no step {name!r}")
        return getattr(module, name)  # type: ignore[no-any-return]


def load_steps(scenario: Scenario) -> ModuleType | None:
    if scenario.steps is None:
        return None
    module_name = "scenario_steps_" + re.sub(r"\W", "_", scenario.name)
    spec = importlib.util.spec_from_file_location(module_name, scenario.steps)
    if spec is None or spec.loader is None:
        raise ScenarioError(f"{scenario.steps}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Table:
    """One TOML table being read: every key must be taken, and each mistake names where it is."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ScenarioError(f"{where}: expected a table, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.where = where
        self.taken: set[str] = set()

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str) -> Any:
        self.taken.add(key)
        return self.data.get(key)

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise ScenarioError(f"{self.where}.{key}: expected text, got {value!r}")
        return value

    def names(self, key: str) -> tuple[str, ...]:
        value = self.raw(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ScenarioError(f"{self.where}.{key}: expected a list of text, got {value!r}")
        return tuple(value)

    def maybe_names(self, key: str) -> tuple[str, ...] | None:
        return self.names(key) if self.has(key) else None

    def number(self, key: str) -> float | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{self.where}.{key}: expected a number, got {value!r}")
        return float(value)

    def flag(self, key: str) -> bool | None:
        value = self.raw(key)
        if value is not None and not isinstance(value, bool):
            raise ScenarioError(f"{self.where}.{key}: expected true or false, got {value!r}")
        return value

    def table(self, key: str) -> _Table | None:
        value = self.raw(key)
        return None if value is None else _Table(value, f"{self.where}.{key}")

    def text_map(self, key: str) -> dict[str, str]:
        sub = self.table(key)
        if sub is None:
            return {}
        return {k: str(sub.text(k)) for k in list(sub.data)}

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.taken)
        if unknown:
            raise ScenarioError(f"{self.where}: unknown key {unknown[0]!r}")


def _field_text(value: Any, where: str) -> str:
    """A SIPp injection field as given: text as written ("-6.99180" keeps its zeros), numbers printed."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ScenarioError(f"{where}: expected text or a number, got {value!r}")
    return value if isinstance(value, str) else str(value)


def _bounds(table: _Table, name: str) -> Bounds | None:
    values = {s: table.number(name + s) for s in BOUND_SUFFIXES if table.has(name + s)}
    if not values:
        return None
    return Bounds(values.get("_at_least"), values.get("_at_most"), values.get("_below"))


def _record(table: _Table) -> RecordExpect:
    equal: dict[str, Any] = {}
    contains: dict[str, str] = {}
    bounds: dict[str, Bounds] = {}
    for name in RECORD_TEXT:
        if table.has(name) and name not in ("caller", "route_status"):
            equal[name] = table.text(name)
        if table.has(f"{name}_contains"):
            contains[name] = str(table.text(f"{name}_contains"))
    for name in RECORD_NUMBERS:
        if table.has(name):
            equal[name] = table.number(name)
        if (found := _bounds(table, name)) is not None:
            bounds[name] = found
    for name in RECORD_FLAGS:
        if table.has(name):
            equal[name] = table.flag(name)
    unset = table.names("unset")
    for name in unset:
        if name not in RECORD_TEXT + RECORD_NUMBERS:
            raise ScenarioError(f"{table.where}.unset: {name!r} is not a record field")
    desks: tuple[str | tuple[str, int], ...] | None = None
    if table.has("desks"):
        raw = table.raw("desks")
        if not isinstance(raw, list):
            raise ScenarioError(f"{table.where}.desks: expected a list, got {raw!r}")
        items: list[str | tuple[str, int]] = []
        for item in raw:
            if isinstance(item, str):
                items.append(item)
            elif (
                isinstance(item, list)
                and len(item) == 2
                and isinstance(item[0], str)
                and isinstance(item[1], int)
            ):
                items.append((item[0], item[1]))
            else:
                raise ScenarioError(
                    f"{table.where}.desks: {item!r} is neither a desk nor [desk, max wait seconds]"
                )
        desks = tuple(items)
    attempts: tuple[AttemptExpect, ...] | None = None
    if table.has("attempts"):
        raw = table.raw("attempts")
        if not isinstance(raw, list):
            raise ScenarioError(f"{table.where}.attempts: expected a list of tables, got {raw!r}")
        found_attempts = []
        for n, item in enumerate(raw, 1):
            sub = _Table(item, f"{table.where}.attempts[{n}]")
            found_attempts.append(
                AttemptExpect(
                    sub.text("endpoint"),
                    sub.names("endpoint_in"),
                    sub.text("outcome"),
                    _bounds(sub, "ring_s"),
                )
            )
            sub.done()
        attempts = tuple(found_attempts)
    expect = RecordExpect(
        caller=table.text("caller"),
        route_status=table.text("route_status"),
        equal=equal,
        contains=contains,
        unset=unset,
        bounds=bounds,
        targets=table.maybe_names("targets"),
        desks=desks,
        first_desk=table.text("first_desk"),
        ask_digits=table.flag("ask_digits"),
        notes_contain=table.names("notes_contain"),
        skip_reasons=table.text_map("skip_reasons"),
        skipped_include=table.names("skipped_include"),
        attempts=attempts,
        calls_show_contains=table.names("calls_show_contains"),
    )
    table.done()
    return expect


def _expect(table: _Table | None) -> Expect:
    if table is None:
        return Expect()
    record = table.table("record")
    screen_pop = table.table("screen_pop")
    took = table.raw("took_below_s")
    if took is not None:
        if isinstance(took, int | float) and not isinstance(took, bool):
            took = f"{took:g}"
        elif not (isinstance(took, str) and _SETTING_PLUS.match(took)):
            raise ScenarioError(f"{table.where}.took_below_s: expected seconds or '<setting> + <seconds>'")
        else:
            setting = _SETTING_PLUS.match(took).group(1)  # type: ignore[union-attr]
            if setting not in {f.name for f in dataclasses.fields(Settings)}:
                raise ScenarioError(f"{table.where}.took_below_s: {setting!r} is not a setting")
    sipp_exit = table.number("sipp_exit")
    expect = Expect(
        answered=table.maybe_names("answered"),
        answered_one_of=table.maybe_names("answered_one_of"),
        rang=table.names("rang"),
        not_rang=table.names("not_rang"),
        sipp_exit=None if sipp_exit is None else int(sipp_exit),
        took_below_s=took,
        record=None if record is None else _record(record),
        screen_pop={} if screen_pop is None else {a: screen_pop.text_map(a) for a in list(screen_pop.data)},
    )
    if screen_pop is not None:
        screen_pop.done()
    table.done()
    return expect


def _call(table: _Table, folder: Path, phones: tuple[str, ...]) -> Call:
    caller = table.text("caller")
    if not caller:
        raise ScenarioError(f"{table.where}.caller: every call needs a caller number")
    sipp = table.text("sipp")
    fields: tuple[str, ...] = ()
    rfc4733 = ""
    default_sipp = DEFAULT_SIPP
    location = table.table("location")
    if location is not None:
        kinds = [k for k in location.data if k in LOCATION_SIPP]
        if len(kinds) != 1 or len(location.data) != 1:
            raise ScenarioError(f"{location.where}: give exactly one of {', '.join(LOCATION_SIPP)}")
        default_sipp, count = LOCATION_SIPP[kinds[0]]
        raw = location.raw(kinds[0])
        if not isinstance(raw, list) or len(raw) != count:
            raise ScenarioError(f"{location.where}.{kinds[0]}: expected a list of {count} values")
        fields = tuple(_field_text(v, f"{location.where}.{kinds[0]}") for v in raw)
    keys = table.text("keys")
    keys_by = table.text("keys_by", "info")
    if keys_by not in KEYS_SIPP:
        raise ScenarioError(f"{table.where}.keys_by: {keys_by!r} is not one of {', '.join(KEYS_SIPP)}")
    if keys is not None:
        if location is not None:
            raise ScenarioError(f"{table.where}: a call types keys or sends a location, not both")
        if not keys or not all(c in "0123456789*#" for c in keys):
            raise ScenarioError(f"{table.where}.keys: {keys!r} is not a string of DTMF keys")
        default_sipp = KEYS_SIPP[keys_by]
        if keys_by == "rfc4733":
            rfc4733 = keys
        else:
            fields = tuple(keys)
    if table.has("fields"):
        if fields:
            raise ScenarioError(f"{table.where}.fields: not with a location or keys, which make the fields")
        fields = table.names("fields")
    if sipp is None:
        sipp = default_sipp
    elif (folder / sipp).is_file():
        sipp = str((folder / sipp).resolve())
    elif not (REPO_ROOT / "sipp" / sipp).is_file():
        raise ScenarioError(f"{table.where}.sipp: {sipp!r} is neither in sipp/ nor in the folder")
    for name in ("away", "back"):
        for phone in table.names(name) if table.has(name) else ():
            if phone not in phones:
                raise ScenarioError(f"{table.where}.{name}: {phone!r} is not one of given.phones")
    around = table.text("around", "")
    call = Call(
        caller=caller,
        dialled=table.text("dialled", "119") or "119",
        sipp=sipp,
        fields=fields,
        rfc4733_keys=rfc4733,
        seen_as=table.text("seen_as", "") or "",
        around=around or "",
        away=table.names("away"),
        back=table.names("back"),
        expect=_expect(table.table("expect")),
    )
    table.done()
    return call


def _settings(table: _Table | None) -> tuple[tuple[str, Any], ...]:
    if table is None:
        return ()
    known = {f.name: f for f in dataclasses.fields(Settings)}
    defaults = Settings()
    found = []
    for key in sorted(table.data):
        value = table.raw(key)
        default = getattr(defaults, key, None) if key in known else None
        if key not in known or not isinstance(default, bool | int | float | str):
            raise ScenarioError(f"{table.where}.{key}: not a setting a scenario may change")
        if type(value) is not type(default) and not (isinstance(default, float) and isinstance(value, int)):
            raise ScenarioError(f"{table.where}.{key}: expected {type(default).__name__}, got {value!r}")
        found.append((key, value))
    return tuple(found)


def load_scenario(folder: Path, root: Path) -> Scenario:
    """The scenario in `folder` (named by its path under `root`), or ScenarioError naming what is wrong."""
    path = folder / SCENARIO_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc
    top = _Table(data, str(path))
    summary = top.text("summary")
    if not summary:
        raise ScenarioError(f"{path}: summary: say in one line what the scenario shows")
    top.text("description")  # for the reader only
    given_table = top.table("given") or _Table({}, f"{path}: given")
    given = Given(
        on_duty=given_table.names("on_duty"),
        ended=given_table.names("ended"),
        unregistered=given_table.names("unregistered"),
        phones=given_table.names("phones"),
    )
    given_table.done()
    raw_calls = top.raw("calls")
    if not isinstance(raw_calls, list) or not raw_calls:
        raise ScenarioError(f"{path}: calls: a scenario places at least one call ([[calls]])")
    calls = tuple(
        _call(_Table(c, f"{path}: calls[{n}]"), folder, given.phones) for n, c in enumerate(raw_calls, 1)
    )
    settings = _settings(top.table("settings"))
    top.done()
    dialplan = folder / DIALPLAN_FILE
    steps = folder / STEPS_FILE
    scenario = Scenario(
        name=folder.relative_to(root).as_posix(),
        folder=folder,
        summary=summary,
        settings=settings,
        given=given,
        calls=calls,
        dialplan=dialplan if dialplan.is_file() else None,
        steps=steps if steps.is_file() else None,
    )
    for n, call in enumerate(calls, 1):
        if call.around:
            try:
                scenario.step(call.around)
            except ScenarioError as exc:
                raise ScenarioError(f"{path}: calls[{n}].around: {exc}") from exc
    return scenario


_CONTEXT = re.compile(r"^\s*\[([^\]]+)\]\s*(\(\+\))?", re.MULTILINE)


def load_scenarios(root: Path) -> list[Scenario]:
    """Every scenario under `root`, sorted by name; callers and overlay contexts must not collide, since
    scenarios share a stack (its bots' events are told apart by the caller's number)."""
    scenarios = [load_scenario(p.parent, root) for p in sorted(root.rglob(SCENARIO_FILE))]
    callers: dict[str, str] = {}
    contexts: dict[str, str] = {}
    for scenario in scenarios:
        for call in scenario.calls:
            other = callers.setdefault(call.seen_pattern, scenario.name)
            if other != scenario.name:
                raise ScenarioError(
                    f"{scenario.name}: caller {call.caller} is also {other}'s: give each scenario its own"
                )
        if scenario.dialplan is not None:
            for match in _CONTEXT.finditer(scenario.dialplan.read_text(encoding="utf-8")):
                if match.group(2):  # [context](+) adds to a context, which may be anyone's
                    continue
                other = contexts.setdefault(match.group(1), scenario.name)
                if other != scenario.name:
                    raise ScenarioError(
                        f"{scenario.dialplan}: context [{match.group(1)}] is also defined by {other}"
                    )
    return scenarios


def took_limit(expr: str, settings: Settings) -> float:
    """`took_below_s` in seconds: a number, or a setting plus seconds ("agi_timeout_s + 10")."""
    match = _SETTING_PLUS.match(expr)
    if match is None:
        return float(expr)
    return float(getattr(settings, match.group(1))) + float(match.group(2))
