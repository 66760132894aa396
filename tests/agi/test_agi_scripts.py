from __future__ import annotations

import pytest

from agi.protocol import AgiSession
from agi.scripts import ScriptTable


def _noop(session: AgiSession) -> None:
    return None


def test_register_and_lookup() -> None:
    scripts = ScriptTable()
    assert scripts.register("route", _noop) is _noop
    assert scripts.get("route") is _noop
    assert "route" in scripts
    assert scripts.names() == ["route"]
    assert len(scripts) == 1


def test_decorator_registers_and_returns_the_function() -> None:
    scripts = ScriptTable()

    @scripts.register("lookup")
    def lookup(session: AgiSession) -> None:
        return None

    assert scripts.get("lookup") is lookup


def test_duplicate_registration_is_refused() -> None:
    scripts = ScriptTable()
    scripts.register("route", _noop)
    with pytest.raises(ValueError, match=r"^AGI script 'route' is already registered$"):
        scripts.register("route", _noop)
    with pytest.raises(ValueError, match="already registered"):
        scripts.register("route")(_noop)


def test_unknown_script_is_none() -> None:
    assert ScriptTable().get("route") is None


@pytest.mark.parametrize("name", ["", "route/sub", "route?x=1", "has space", "-dash-first", "x" * 65])
def test_odd_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid AGI script name"):
        ScriptTable().register(name, _noop)


def test_handler_must_be_callable() -> None:
    with pytest.raises(TypeError):
        ScriptTable().register("route", "not a function")  # type: ignore[call-overload]
