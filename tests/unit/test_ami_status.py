"""The wallboard's reading of the manager interface's answers, on recorded-like events (no Asterisk)."""

from __future__ import annotations

from ami.client import Message
from ami.status import endpoint_of_channel, status_from_events


def _m(**headers: str) -> Message:
    return Message(tuple(headers.items()))


QUEUE = [
    _m(Event="QueueParams", Queue="psc119-semarang", Calls="2"),
    _m(Event="QueueMember", Queue="psc119-semarang", Name="PJSIP/psc119-dispatch", Status="1"),
    _m(Event="QueueEntry", Queue="psc119-semarang", Position="2", Wait="12"),
    _m(Event="QueueEntry", Queue="psc119-semarang", Position="1", Wait="30"),
    _m(Event="QueueEntry", Queue="psc119-semarang", Position="3", Wait="soon"),  # malformed: skipped
    _m(Event="QueueParams", Queue="konter-semarang", Calls="0"),
]
DEVICES = [
    _m(Event="DeviceStateChange", Device="PJSIP/pkm-a-op1", State="NOT_INUSE"),
    _m(Event="DeviceStateChange", Device="PJSIP/pkm-b-op1", State="UNAVAILABLE"),
    _m(Event="DeviceStateChange", Device="PJSIP/pkm-c-op1", State="NOT_INUSE"),
    _m(Event="DeviceStateChange", Device="Custom:siaga-away-pkm-a-op1", State="INUSE"),
    _m(Event="DeviceStateChange", Device="Custom:siaga-away-pkm-b-op1", State="NOT_INUSE"),
    _m(Event="DeviceStateChange", Device="Queue:psc119-semarang_avail", State="INUSE"),
]
CHANNELS = [
    _m(Event="CoreShowChannel", Channel="PJSIP/pkm-c-op1-0000002a", ChannelState="5"),
    _m(Event="CoreShowChannel", Channel="PJSIP/pkm-c-op1-0000002b", ChannelState="6"),  # on a call too
    _m(Event="CoreShowChannel", Channel="PJSIP/caller-trunk-00000029", ChannelState="6"),
    _m(Event="CoreShowChannel", Channel="Local/x@y-00000001;1", ChannelState="6"),
]


def test_waits_in_line_order_and_empty_queues_kept() -> None:
    report = status_from_events(QUEUE, [])
    assert report.queues == {"psc119-semarang": [30.0, 12.0], "konter-semarang": []}


def test_device_states_away_and_live_channels() -> None:
    report = status_from_events([], DEVICES, CHANNELS)
    assert report.devices["pkm-a-op1"] == "NOT_INUSE"
    assert report.devices["pkm-b-op1"] == "UNAVAILABLE"
    assert report.devices["pkm-c-op1"] == "INUSE"  # up beats ringing
    assert report.devices["caller-trunk"] == "INUSE"
    assert report.away == frozenset({"pkm-a-op1"})
    assert "Queue:psc119-semarang_avail" not in report.devices


def test_channel_names() -> None:
    assert endpoint_of_channel("PJSIP/pkm-a-op1-0000002a") == "pkm-a-op1"
    assert endpoint_of_channel("Local/x@y-00000001;1") is None
    assert endpoint_of_channel("PJSIP/") is None
