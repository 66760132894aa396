"""The consultation line's topic menu: skills, topic queues and their members, the plan's topic stop, the
AGI argument and refused skills — pure decisions, checked without Asterisk."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from agi.route import context_from_env
from desks.config import load_desks
from desks.members import Member, wanted_members
from desks.skills import check_topics, read_skills, skills_from_staff_csv, write_skills
from desks.topics import ALL_SKILLS, desk_of_queue, format_skills, parse_skills, topic_queue, uncovered_topics
from geo.facilities import Facility
from kernel.dataerrors import DataError
from kernel.db import make_engine
from routing.plan import CallContext, LocationFacts
from routing.router import Router, RoutingPolicy
from shifts.roster import Duty, build_snapshot
from shifts.roster_csv import ParsedRoster, StaffRow
from shifts.store import write_roster
from tests.routing.builders import FACILITIES, toy_tables
from tests.unit.builders import FixedRoster, at, duty, toy_region

KONTER = Facility("konter", "Konter", "consultation", -7.0, 110.41, "33.74.02", "Asia/Jakarta")
NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)


def test_skills_parse_and_print_in_menu_order() -> None:
    assert parse_skills("") == ALL_SKILLS
    assert parse_skills(" apotek | penyakit ") == {"apotek", "penyakit"}
    assert format_skills(frozenset({"apotek", "penyakit"})) == "penyakit|apotek"
    assert format_skills(ALL_SKILLS) == "", "every topic is stored as no list"
    with pytest.raises(ValueError, match="'apotik'"):
        parse_skills("penyakit|apotik")


def test_a_topic_queue_belongs_to_its_desk() -> None:
    assert topic_queue("konter-semarang", "apotek") == "konter-semarang--apotek"
    assert desk_of_queue("konter-semarang--apotek") == "konter-semarang"
    assert desk_of_queue("konter-semarang") == "konter-semarang"
    assert desk_of_queue("odd--name") == "odd--name", "only a known topic makes a topic queue"


def _doctor(staff: str) -> Duty:
    return Duty(
        staff,
        staff.title(),
        "doctor",
        staff,
        "konter",
        "pagi",
        NOW - timedelta(hours=1),
        NOW + timedelta(hours=2),
    )


def test_topic_queues_hold_the_skilled_doctors_on_duty_and_the_desk_queue_everyone() -> None:
    snapshot = build_snapshot([_doctor("dr1"), _doctor("dr2"), _doctor("dr3")], NOW, NOW + timedelta(days=1))
    desks = load_desks([KONTER], None).desks.values()
    skills = {"dr1": frozenset({"penyakit"}), "dr2": frozenset({"apotek", "tarif"})}  # dr3: every topic
    wanted = wanted_members(snapshot, desks, skills)
    assert {m.interface for m in wanted["konter"]} == {"PJSIP/dr1", "PJSIP/dr2", "PJSIP/dr3"}
    assert {m.interface for m in wanted["konter--penyakit"]} == {"PJSIP/dr1", "PJSIP/dr3"}
    assert {m.interface for m in wanted["konter--apotek"]} == {"PJSIP/dr2", "PJSIP/dr3"}
    assert wanted["konter--dokter"] == {Member("PJSIP/dr3", "Dr3")}
    assert len(wanted) == 6, "the desk and its five topics"


def test_a_topic_nobody_has_is_refused_naming_desk_and_topic() -> None:
    skills = {"dr1": frozenset({"penyakit"}), "dr2": frozenset({"apotek"})}
    errors = uncovered_topics({"konter": ["dr1", "dr2"]}, skills, "staff.csv")
    assert [e.message.split(":")[0] for e in errors] == ["desk konter"] * 3
    assert {e.message.split("'")[1] for e in errors} == {"faskes", "dokter", "tarif"}
    assert uncovered_topics({"konter": ["dr1", "dr2", "dr3"]}, skills, "x") == [], "dr3 answers every topic"


def _router() -> Router:
    duties = [duty("konter", "malam", "2026-11-22", staff="konter-dr1", role="doctor")]
    return Router(
        toy_region([*FACILITIES, KONTER]), FixedRoster(duties), RoutingPolicy("dispatch-desk"), toy_tables()
    )


def _call(topic: str) -> CallContext:
    return CallContext("c1", "081299999999", "1500132", "consultation", at("2026-11-23T02:00+07:00"),
                       LocationFacts(), None, topic)  # fmt: skip


def test_a_topic_digit_puts_its_queue_before_the_desk_and_anything_else_the_desk_alone() -> None:
    plan = _router().decide(_call("4"))
    assert [(d.desk, d.max_wait_s) for d in plan.desks] == [("konter--apotek", 60), ("konter", 0)]
    assert "apotek" in plan.desks[0].why
    for digit in ("", "9", "0"):
        plan = _router().decide(_call(digit))
        assert [d.desk for d in plan.desks] == ["konter"]
        assert any("consultation menu" in n for n in plan.notes)
    emergency = _router().decide(dataclasses.replace(_call("4"), service="emergency"))
    assert all("--" not in d.desk for d in emergency.desks), "only the consultation line has topics"


def test_the_topic_argument_takes_one_digit_or_nothing() -> None:
    env = {"agi_callerid": "081234", "agi_dnid": "1500132"}
    args = ["consultation", "-", "1795398067.123"]
    assert context_from_env(env, [*args, "topic:4"], "u1", NOW).topic == "4"
    assert context_from_env(env, [*args, "topic:"], "u1", NOW).topic == ""
    assert context_from_env(env, [*args, "-"], "u1", NOW).topic == ""
    assert context_from_env(env, args, "u1", NOW).topic == ""
    assert context_from_env(env, [*args, "topic:45"], "u1", NOW).topic == ""
    assert context_from_env(env, [*args, "topic:;x"], "u1", NOW).topic == ""


def test_staff_csv_skills_are_checked_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(
        "staff_id,staff_name,role,facility_code,endpoint,skills\n"
        "dr1,A,doctor,konter,dr1,penyakit|apotek\n"
        "dr2,B,doctor,konter,dr2,\n"
        "dr3,C,doctor,konter,dr3,gigi\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as refused:
        skills_from_staff_csv(path)
    assert [(e.line, e.field) for e in refused.value.errors] == [(4, "skills")]
    assert "dr3" in str(refused.value) and "'gigi'" in str(refused.value)
    path.write_text("staff_id,staff_name,role,facility_code,endpoint\ndr1,A,doctor,konter,dr1\n", "utf-8")
    assert skills_from_staff_csv(path) == {}, "no column: every doctor answers every topic"


def test_stored_skills_and_the_start_check(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    staff = [StaffRow(s, s, "doctor", s, "konter") for s in ("dr1", "dr2")]
    with Session(engine) as session, session.begin():
        write_roster(session, ParsedRoster(staff, []))
        write_skills(session, {"dr1": frozenset({"penyakit"}), "dr2": ALL_SKILLS})
        check_topics(session, ["konter"])  # dr2 answers everything
        assert read_skills(session) == {"dr1": frozenset({"penyakit"})}
        write_skills(session, {"dr2": frozenset({"apotek"})})
        with pytest.raises(DataError, match="desk konter: no staff member has the skill 'faskes'"):
            check_topics(session, ["konter"])
