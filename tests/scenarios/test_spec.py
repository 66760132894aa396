"""The scenario format without the chain: what a folder says, and the mistakes refused with their place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kernel.settings import Settings
from tests.scenarios import test_faults, test_location, test_routing, test_services
from tests.scenarios.checks import record_problems
from tests.scenarios.spec import (
    Bounds,
    RecordExpect,
    ScenarioError,
    load_scenario,
    load_scenarios,
    took_limit,
)
from tests.telephony.conftest import CallSummary

ROOT = Path(__file__).parent


def _folder(root: Path, name: str, text: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "scenario.toml").write_text(text, encoding="utf-8")
    return folder


def test_every_scenario_in_the_repo_loads() -> None:
    scenarios = load_scenarios(ROOT)
    assert len(scenarios) >= 30
    names = {s.name for s in scenarios}
    assert "routing/nearest_staffed_puskesmas_answers" in names
    assert all(s.calls and s.summary for s in scenarios)


def test_a_call_is_read_with_its_location_and_expectations(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        "location/point",
        """
summary = "s"
[given]
on_duty = ["pkm-gayamsari-op1"]
[[calls]]
caller = "081210000001"
location = { pidf_point = ["-6.99180", 110.4449] }
[calls.expect]
answered = []
[calls.expect.record]
accuracy_m = 850
location_label_contains = "Point"
time_to_answer_s_below = 5
desks = [["psc119-semarang", 60], "psc119-jateng"]
attempts = [{ endpoint = "x", ring_s_at_least = 3.5 }]
""",
    )
    scenario = load_scenario(folder, tmp_path)
    assert scenario.name == "location/point"
    (call,) = scenario.calls
    assert (call.sipp, call.fields, call.dialled) == ("uac_pidf_point.xml", ("-6.99180", "110.4449"), "119")
    assert call.expect.answered == ()
    record = call.expect.record
    assert record is not None
    assert record.equal == {"accuracy_m": 850.0}
    assert record.contains == {"location_label": "Point"}
    assert record.bounds == {"time_to_answer_s": Bounds(below=5.0)}
    assert record.desks == (("psc119-semarang", 60), "psc119-jateng")
    assert record.attempts is not None and record.attempts[0].ring_s == Bounds(at_least=3.5)


def test_keys_go_out_one_field_each_by_info_or_as_rtp_events(tmp_path: Path) -> None:
    text = 'summary = "s"\n[[calls]]\ncaller = "1"\nkeys = "50161#"\n'
    info = load_scenario(_folder(tmp_path, "a", text), tmp_path).calls[0]
    assert (info.sipp, info.fields) == ("uac_dtmf_info.xml", ("5", "0", "1", "6", "1", "#"))
    rtp = load_scenario(_folder(tmp_path, "b", text + 'keys_by = "rfc4733"\n'), tmp_path).calls[0]
    assert (rtp.sipp, rtp.fields, rtp.rfc4733_keys) == ("uac_dtmf_rfc4733.xml", (), "50161#")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[calls]]\ncaller = "1"\n', "summary"),
        ('summary = "s"\n', "calls: a scenario places at least one call"),
        (
            'summary = "s"\n[[calls]]\ncaller = "1"\n[calls.expect.record]\noutcom = "x"\n',
            "unknown key 'outcom'",
        ),
        ('summary = "s"\n[[calls]]\ncaller = "1"\nsipp = "nope.xml"\n', "calls[1].sipp"),
        ('summary = "s"\n[[calls]]\ncaller = "1"\nkeys = "12a"\n', "calls[1].keys"),
        ('summary = "s"\n[[calls]]\ncaller = "1"\naround = "nothing"\n', "calls[1].around"),
        ('summary = "s"\n[[calls]]\ncaller = "1"\naway = ["op"]\n', "not one of given.phones"),
        ('summary = "s"\n[[calls]]\ncaller = "1"\nlocation = { pidf_point = ["1"] }\n', "list of 2"),
        (
            'summary = "s"\n[settings]\nring_timeout_s = "4"\n[[calls]]\ncaller = "1"\n',
            "settings.ring_timeout_s",
        ),
        ('summary = "s"\n[settings]\ndata_dir = "x"\n[[calls]]\ncaller = "1"\n', "may change"),
        ('summary = "s"\n[[calls]]\ncaller = "1"\n[calls.expect]\ntook_below_s = "x + 1"\n', "not a setting"),
        (
            'summary = "s"\n[[calls]]\ncaller = "1"\n[calls.expect.record]\nunset = ["plan"]\n',
            "not a record field",
        ),
    ],
)
def test_mistakes_are_refused_with_their_place(tmp_path: Path, body: str, message: str) -> None:
    folder = _folder(tmp_path, "bad", body)
    with pytest.raises(ScenarioError, match=r"scenario\.toml") as raised:
        load_scenario(folder, tmp_path)
    assert message in str(raised.value)


def test_two_scenarios_may_not_share_a_caller_or_a_context(tmp_path: Path) -> None:
    call = 'summary = "s"\n[[calls]]\ncaller = "0247000001"\n'
    _folder(tmp_path, "a", call)
    _folder(tmp_path, "b", call)
    with pytest.raises(ScenarioError, match="caller 0247000001 is also a's"):
        load_scenarios(tmp_path)
    (tmp_path / "b" / "scenario.toml").write_text(call.replace("01", "02"), encoding="utf-8")
    for name in ("a", "b"):
        (tmp_path / name / "dialplan.conf").write_text("[siaga-inbound](+)\n[lab-probe]\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"context \[lab-probe\] is also defined by a"):
        load_scenarios(tmp_path)


def test_a_time_limit_may_name_a_setting() -> None:
    settings = Settings()
    assert took_limit("agi_timeout_s + 10", settings) == settings.agi_timeout_s + 10
    assert took_limit("7.5", settings) == 7.5


def _summary(**changes: Any) -> CallSummary:
    fields: dict[str, Any] = {
        "call_id": "c1",
        "caller": "0247000003",
        "dialled": "119",
        "service": "emergency",
        "route_status": "ok",
        "location_source": "directory",
        "location_label": "test house 3",
        "accuracy_m": None,
        "area_code": "33.74.04",
        "outcome": "answered",
        "answered_by": "pkm-lamper-tengah-op1",
        "answered_attempt": 2,
        "time_to_answer_s": 8.0,
        "ended": True,
        "plan": {
            "targets": [{"endpoint": "pkm-halmahera-op2"}, {"endpoint": "pkm-lamper-tengah-op1"}],
            "desks": [{"desk": "psc119-semarang", "max_wait_s": 60}],
            "notes": ["no one near"],
            "skipped": [{"facility": "pkm-gayamsari", "reason": "no one on duty (off shift)"}],
            "ask_digits": False,
        },
        "attempts": [("pkm-halmahera-op2", "no answer", 4.1), ("pkm-lamper-tengah-op1", "answered", 1.0)],
    }
    return CallSummary(**{**fields, **changes})


def _expect(body: str, tmp_path: Path) -> RecordExpect:
    text = f'summary = "s"\n[[calls]]\ncaller = "1"\n[calls.expect.record]\n{body}'
    record = load_scenario(_folder(tmp_path, "x", text), tmp_path).calls[0].expect.record
    assert record is not None
    return record


def test_a_record_that_holds_gives_no_problem(tmp_path: Path) -> None:
    expect = _expect(
        """
outcome = "answered"
answered_attempt = 2
location_label_contains = "house"
unset = ["accuracy_m"]
time_to_answer_s_at_least = 4
targets = ["pkm-halmahera-op2", "pkm-lamper-tengah-op1"]
desks = [["psc119-semarang", 60]]
first_desk = "psc119-semarang"
ask_digits = false
notes_contain = ["near"]
skip_reasons = { "pkm-gayamsari" = "no one on duty (off shift)" }
skipped_include = ["pkm-gayamsari"]
attempts = [
    { endpoint = "pkm-halmahera-op2", outcome = "no answer", ring_s_at_least = 3.5, ring_s_at_most = 6 },
    { endpoint_in = ["pkm-lamper-tengah-op1", "x"], outcome = "answered" },
]
""",
        tmp_path,
    )
    assert record_problems(_summary(), expect) == []


def test_each_expectation_that_fails_is_named(tmp_path: Path) -> None:
    expect = _expect(
        """
outcome = "abandoned"
location_label_contains = "Point"
unset = ["location_source"]
time_to_answer_s_below = 5
desks = ["psc119-jateng"]
ask_digits = true
notes_contain = ["typed nothing"]
skip_reasons = { "pkm-gayamsari" = "softphone not registered" }
attempts = [{ endpoint = "pkm-halmahera-op2", ring_s_below = 3 }, { outcome = "no answer" }]
""",
        tmp_path,
    )
    named = [p.split(":", 1)[0] for p in record_problems(_summary(), expect)]
    assert named == [
        "outcome",
        "location_label_contains",
        "unset",
        "time_to_answer_s",
        "desks",
        "ask_digits",
        "notes_contain",
        "skip_reasons[pkm-gayamsari]",
        "attempts[1].ring_s",
        "attempts[2].outcome",
    ]
    assert record_problems(_summary(attempts=[]), _expect_attempts_only(tmp_path)) == [
        "attempts: expected 1, got []"
    ]


def _expect_attempts_only(tmp_path: Path) -> RecordExpect:
    folder = _folder(
        tmp_path, "y", 'summary = "s"\n[[calls]]\ncaller = "1"\n[calls.expect.record]\nattempts = [{}]\n'
    )
    record = load_scenario(folder, tmp_path).calls[0].expect.record
    assert record is not None
    return record


def test_every_scenario_folder_is_run_by_one_test_module() -> None:
    """The scenarios run from one module per group of folders (for several workers): a new folder that no
    module names would silently never run."""
    modules = (test_faults, test_location, test_routing, test_services)
    named = [family for module in modules for family in module.FAMILIES]
    assert len(named) == len(set(named)), f"a folder is run by two modules: {named}"
    found = {s.name.split("/", 1)[0] for s in load_scenarios(ROOT)}
    assert found == set(named), f"folders with scenarios {sorted(found)}, run by the modules {sorted(named)}"
