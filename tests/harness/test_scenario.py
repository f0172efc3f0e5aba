"""Scenario files: every committed one loads; bad ones name the YAML path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from harness.scenario import ScenarioError, discover, load_scenario, parse_duration

SCENARIOS = Path(__file__).parents[2] / "scenarios"


@pytest.mark.parametrize("path", discover([SCENARIOS]), ids=lambda p: p.stem)
def test_committed_scenarios_load(path: Path) -> None:
    scenario = load_scenario(path)

    assert scenario.name == path.stem
    assert scenario.plant.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h30m", timedelta(minutes=90)),
        ("7d", timedelta(days=7)),
        ("45s", timedelta(seconds=45)),
        (90, timedelta(90 / 86400)),
    ],
)
def test_durations(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "wan-outage.yaml"
    path.write_text(body)
    return path


def test_bad_fault_duration_names_path_value_and_rule(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
name: wan-outage
plant: plants/sample.yaml
duration: 1 shift
faults:
  - {kind: sap_outage, at: 1h, duration: 10m}
  - {kind: wan_partition, at: 2h, duration: 30 minutes}
""",
    )

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)

    assert str(caught.value) == (
        "scenario 'wan-outage': faults[1].duration: '30 minutes' is not a "
        "duration; use e.g. '30m' or '2h'"
    )


def test_unknown_fault_kind_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
name: wan-outage
plant: plants/sample.yaml
duration: 8h
faults:
  - {kind: meteor, at: 1h}
""",
    )

    with pytest.raises(
        ScenarioError, match=r"faults\[0\].kind: 'meteor' must be one of"
    ):
        load_scenario(path)


def test_missing_and_unknown_keys_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "name: wan-outage\nduration: 1 shift\nsede: 3\n")

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)

    assert "scenario 'wan-outage': plant: is required" in str(caught.value)
    assert "sede: '3' is not a known field" in str(caught.value)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file or folder"):
        discover([tmp_path / "nowhere"])


def test_editor_schema_is_committed_and_accepts_every_scenario() -> None:
    import json

    import jsonschema
    import yaml

    from contracts.export import render
    from harness.scenario import scenario_schema

    committed = SCENARIOS.parent / "contracts" / "schemas" / "scenario.schema.json"
    assert committed.read_text() == render(scenario_schema()), (
        "run `plantwin schemas` and commit contracts/schemas/scenario.schema.json"
    )
    schema = json.loads(committed.read_text())
    for path in [
        *discover([SCENARIOS]),
        SCENARIOS / "examples" / "external-gateway.yaml",
    ]:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"name": "x", "plant": "p.yaml", "duration": "soon"}, schema
        )
