"""The real-chain scenarios in tests/scenarios/{routing,presence}/ (the driver: tests/scenarios/driver.py)."""

from __future__ import annotations

import pytest

from tests.scenarios.driver import LabPool, run_scenario, scenarios_of
from tests.scenarios.driver import labs as labs  # the fixture: this module's own pool of stacks
from tests.scenarios.spec import Scenario

pytestmark = pytest.mark.telephony

FAMILIES = (
    "routing",
    "presence",
)


@pytest.mark.parametrize(**scenarios_of(*FAMILIES))
def test_scenario(scenario: Scenario, labs: LabPool) -> None:
    run_scenario(scenario, labs)
