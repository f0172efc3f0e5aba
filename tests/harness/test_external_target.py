"""The documented external-target example: PlantTwin pointed at an
integration path it did not start (the reference gateway and the SAP mock as
separate ``plantwin serve`` processes, as a team would run its own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from harness.runner import run_scenario
from harness.scenario import load_scenario
from harness.services import Service, free_port

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "scenarios" / "examples" / "external-gateway.yaml"
GATEWAY_CONFIG = ROOT / "scenarios" / "gateway" / "local.yaml"


@pytest.fixture
def separate_path(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The SAP mock and the gateway of scenarios/gateway/local.yaml, on free
    ports, each in its own process."""
    sap_port, gateway_port = free_port(), free_port()
    sap = Service(
        "sap",
        [
            "sap",
            "--port",
            str(sap_port),
            "--master-data",
            str(ROOT / "scenarios" / "masterdata" / "sample.yaml"),
        ],
        sap_port,
        tmp_path,
        ready_path="/_mock/state",
    )
    config = yaml.safe_load(GATEWAY_CONFIG.read_text())
    config["listen"]["port"] = gateway_port
    config["store"]["path"] = str(tmp_path / "gateway.sqlite")
    config["master_data"] = str(ROOT / "scenarios" / "masterdata" / "sample.yaml")
    config["destinations"]["sap"]["base_url"] = f"http://127.0.0.1:{sap_port}"
    config_file = tmp_path / "gateway.yaml"
    config_file.write_text(yaml.safe_dump(config))
    gateway = Service(
        "gateway",
        ["gateway", "--config", str(config_file)],
        gateway_port,
        tmp_path,
        ready_path="/healthz",
    )
    sap.start()
    try:
        gateway.start()
        try:
            yield gateway.url, sap.url
        finally:
            gateway.stop()
    finally:
        sap.stop()


def test_example_runs_against_a_separately_started_gateway(
    separate_path: tuple[str, str], tmp_path: Path
) -> None:
    gateway_url, sap_url = separate_path
    example = load_scenario(EXAMPLE)
    scenario = example.model_copy(
        update={
            "target": example.target.model_copy(
                update={"gateway_url": gateway_url, "sap_url": sap_url}
            )
        }
    )
    console = Console(file=(tmp_path / "console.txt").open("w"), width=120)

    result = run_scenario(scenario, tmp_path / "report", console)

    assert result.passed, [c.detail for c in result.checks if not c.passed]
    assert result.delivered == result.verdict.expected > 0
    assert (tmp_path / "report" / "report.html").exists()
