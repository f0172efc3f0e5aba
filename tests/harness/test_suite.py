"""The shipped scenario suite, end to end, and the honesty matrix.

Every scenario in ``scenarios/`` runs as ``plantwin run`` runs it: the twin,
the SAP (and Odoo) mock and the reference gateway as real processes on
loopback, faults on the plant clock, the oracle at the end. The reference
gateway must pass all of them.

The honesty matrix breaks the gateway one defect at a time and holds that a
scenario catches each defect with the right kind of finding: a harness that
cannot fail proves nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from harness.report import RunResult
from harness.runner import run_scenario
from harness.scenario import Scenario, discover, load_scenario, parse_duration

SCENARIOS = Path(__file__).parents[2] / "scenarios"

# The multi-plant week is a load scenario (minutes of wall time); the suite
# runs its first day, which has the same plants, time zones and faults.
SHORTENED = {"multi-plant-week": "1d"}


def _scenario(name: str) -> Scenario:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    if name in SHORTENED:
        duration = parse_duration(SHORTENED[name])
        scenario = scenario.model_copy(
            update={
                "duration": scenario.duration.model_copy(
                    update={"span": duration, "shifts": None}
                )
            }
        )
    return scenario


def _run(scenario: Scenario, tmp_path: Path) -> RunResult:
    tmp_path.mkdir(parents=True, exist_ok=True)
    console = Console(file=(tmp_path / "console.txt").open("w"), width=120)
    return run_scenario(scenario, tmp_path / scenario.name, console)


def _explain(result: RunResult) -> str:
    lines = [f"{check.name}: {check.detail}" for check in result.checks]
    lines += [
        f"{f.kind} {f.workflow} {f.reference}: {f.detail}"
        for f in result.verdict.findings[:20]
    ]
    return "\n".join(lines)


@pytest.mark.parametrize("name", [path.stem for path in discover([SCENARIOS])], ids=str)
def test_reference_gateway_passes_scenario(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a relative report folder, as `make demo` gives it
    monkeypatch.chdir(tmp_path)
    result = _run(_scenario(name), Path("reports"))

    assert result.passed, _explain(result)
    assert result.delivered > 0
    assert result.verdict.matched > 0


# defect → (scenario that must catch it, the finding kinds that name it)
HONESTY = {
    "no_dedup": ("duplicate-storm", ("duplicated",)),
    "no_ordering": ("reordering", ("misordered",)),
    # without retries an outage's postings are dropped or parked as dead
    "no_retries": ("sap-outage-shift-change", ("lost", "stuck")),
    "retries_without_idempotency": ("sap-lost-acks", ("duplicated",)),
    "utc_posting_date": ("night-shift", ("divergent",)),
    "ignore_unit_conversion": ("baseline-shift", ("divergent",)),
}


@pytest.mark.parametrize(("defect", "case"), sorted(HONESTY.items()), ids=str)
def test_each_gateway_defect_is_caught(
    defect: str, case: tuple[str, tuple[str, ...]], tmp_path: Path
) -> None:
    name, kinds = case
    scenario = _scenario(name)
    broken = scenario.model_copy(
        update={"gateway": scenario.gateway.model_copy(update={"defects": [defect]})}
    )

    result = _run(broken, tmp_path)

    found = [f for f in result.verdict.findings if f.kind in kinds]
    assert not result.passed
    assert found, f"{defect} went unnoticed:\n{_explain(result)}"
    assert all(f.reference for f in found)
