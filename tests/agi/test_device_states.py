"""Device states of a call's candidates: as few GET FULL VARIABLE commands as Asterisk's 2047-byte command
line allows, every endpoint answered, an away operator reported as AWAY."""

from __future__ import annotations

from agi import variables as v
from agi.facts import read_device_states
from agi.protocol import MAX_COMMAND_BYTES, quote_argument


class Channel:
    """Evaluates `${DEVICE_STATE(…)}` lists as Asterisk would, refusing a line it would split in two."""

    def __init__(self, states: dict[str, str]) -> None:
        self.states = states
        self.lines: list[str] = []

    def get_full_variable(self, expr: str) -> str | None:
        line = f"GET FULL VARIABLE {quote_argument(expr)}\n"
        assert len(line.encode()) <= MAX_COMMAND_BYTES, f"{len(line)} bytes: Asterisk would split it"
        self.lines.append(line)
        return ",".join(self.states.get(part[2:-1], "UNKNOWN") for part in expr.split(","))


def test_a_usual_call_asks_once() -> None:
    endpoints = [f"pkm-kecamatan-{n:02d}-op{n % 3 + 1}" for n in range(15)]
    channel = Channel({v.device_state(e): "NOT_INUSE" for e in endpoints})
    states = read_device_states(channel, endpoints + endpoints[:3])  # repeats asked once
    assert len(channel.lines) == 1
    assert states == dict.fromkeys(endpoints, "NOT_INUSE")


def test_long_names_take_as_many_commands_as_the_line_needs_and_none_is_lost() -> None:
    endpoints = [f"op-{n:03d}-" + "x" * 57 for n in range(60)]  # 64 characters, the longest allowed
    states_in = {
        v.device_state(e): ("UNAVAILABLE" if n % 4 == 0 else "NOT_INUSE") for n, e in enumerate(endpoints)
    }
    states_in[v.away_state(endpoints[1])] = "INUSE"  # paused with *46
    channel = Channel(states_in)
    states = read_device_states(channel, endpoints)
    assert 3 <= len(channel.lines) <= 6
    assert states[endpoints[0]] == "UNAVAILABLE"
    assert states[endpoints[1]] == v.AWAY
    assert states[endpoints[2]] == "NOT_INUSE"
    assert set(states) == set(endpoints)


def test_an_unreadable_answer_skips_nobody_on_a_guess() -> None:
    class Garbled(Channel):
        def get_full_variable(self, expr: str) -> str | None:
            super().get_full_variable(expr)
            return "NOT_INUSE, ,"  # too few answers for the question

    states = read_device_states(Garbled({}), ["a-op", "b-op", "c-op"])
    assert states == {}
    odd = read_device_states(
        Channel({v.device_state("a-op"): " not_inuse", v.device_state("b-op"): ""}), ["a-op", "b-op"]
    )
    assert odd == {}  # neither is a plain state: unknown, so both can still ring
