"""Desks, their overflow chains and their members: pure decisions, checked without Asterisk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desks.config import Desk, load_desks, parse_desks_csv
from desks.members import Member, member_changes, wanted_members
from geo.facilities import Facility
from kernel.dataerrors import DataError
from shifts.roster import Duty, build_snapshot

FACILITIES = [
    Facility("psc-kota", "PSC 119 Kota", "dispatch", -6.99, 110.41, "33.74.07", "Asia/Jakarta", ("33.74",)),
    Facility("psc-prov", "PSC 119 Provinsi", "dispatch", -6.99, 110.41, "33.74.07", "Asia/Jakarta", ("33",)),
    Facility("ncc", "National 119", "dispatch", -6.2, 106.8, "31.71.01", "Asia/Jakarta"),
    Facility("konter", "Konter", "consultation", -6.99, 110.41, "33.74.07", "Asia/Jakarta"),
    Facility("pkm-a", "Puskesmas A", "puskesmas", -6.98, 110.40, "33.74.07", "Asia/Jakarta"),
]


def test_every_desk_facility_is_a_desk_and_the_file_adds_chains_and_waits() -> None:
    table = parse_desks_csv(
        "desk,overflow,max_wait_s\npsc-kota,psc-prov|ncc,45\npsc-prov,ncc,\n", "desks.csv", FACILITIES
    )
    assert sorted(table.desks) == ["konter", "ncc", "psc-kota", "psc-prov"]
    assert [d.code for d in table.chain("psc-kota")] == ["psc-kota", "psc-prov", "ncc"]
    assert table.desks["psc-kota"].max_wait_s == 45
    assert table.desks["psc-prov"].max_wait_s == 60, "the default wait"
    assert table.chain("konter") == [Desk("konter", "Konter", "consultation")]
    assert table.chain("pkm-a") == []


def test_no_file_means_desks_without_overflow(tmp_path: object) -> None:
    table = load_desks(FACILITIES, None)
    assert [d.code for d in table.of_kind("dispatch")] == ["ncc", "psc-kota", "psc-prov"]
    assert all(not d.overflow for d in table.desks.values())


def test_bad_lines_are_all_named_and_nothing_is_applied() -> None:
    text = (
        "desk,overflow,max_wait_s\n"
        "pkm-a,psc-kota,30\n"  # a puskesmas is not a desk
        "psc-kota,nowhere,30\n"  # unknown overflow desk
        "psc-prov,ncc,2\n"  # too short a wait
        "ncc,ncc,30\n"  # itself
        "konter,,x\n"  # not a number
    )
    with pytest.raises(DataError) as caught:
        parse_desks_csv(text, "desks.csv", FACILITIES)
    lines = {(e.line, e.field) for e in caught.value.errors}
    assert {(2, "desk"), (3, "overflow"), (4, "max_wait_s"), (5, "overflow"), (6, "max_wait_s")} <= lines
    assert "desks.csv" in str(caught.value)


def test_an_overflow_cycle_across_lines_is_refused() -> None:
    with pytest.raises(DataError, match="overflow cycle: psc-kota"):
        parse_desks_csv("desk,overflow\npsc-kota,psc-prov\npsc-prov,psc-kota\n", "desks.csv", FACILITIES)


def test_a_repeated_desk_and_unknown_columns_are_refused() -> None:
    with pytest.raises(DataError, match="configured twice"):
        parse_desks_csv("desk,overflow\nncc,\nncc,\n", "desks.csv", FACILITIES)
    with pytest.raises(DataError, match="unknown column"):
        parse_desks_csv("desk,overflow,wait\nncc,,\n", "desks.csv", FACILITIES)
    assert len(parse_desks_csv("\ufeffdesk,overflow\nncc,\n", "desks.csv", FACILITIES)) == 4, "a BOM is fine"


def _duty(staff: str, facility: str, now: datetime) -> Duty:
    return Duty(
        staff,
        staff.title(),
        "dispatcher",
        f"{staff}-ep",
        facility,
        "pagi",
        now - timedelta(hours=1),
        now + timedelta(hours=2),
    )


def test_queue_members_follow_the_roster() -> None:
    now = datetime(2026, 11, 30, 8, tzinfo=UTC)
    snapshot = build_snapshot(
        [_duty("ani", "psc-kota", now), _duty("budi", "psc-kota", now), _duty("eko", "pkm-a", now)],
        now,
        now + timedelta(days=1),
    )
    desks = load_desks(FACILITIES, None).desks.values()
    wanted = wanted_members(snapshot, desks)
    assert wanted["psc-kota"] == {Member("PJSIP/ani-ep", "Ani"), Member("PJSIP/budi-ep", "Budi")}
    assert wanted["ncc"] == set()
    actual = {"psc-kota": {"PJSIP/budi-ep", "PJSIP/gone-ep"}, "ncc": set(), "old-queue": {"PJSIP/x"}}
    changes = member_changes(wanted, actual)
    assert changes.add == (("psc-kota", Member("PJSIP/ani-ep", "Ani")),)
    assert changes.remove == (("psc-kota", "PJSIP/gone-ep"), ("old-queue", "PJSIP/x"))
    assert not member_changes(wanted, {"psc-kota": {"PJSIP/ani-ep", "PJSIP/budi-ep"}, "ncc": set()})
