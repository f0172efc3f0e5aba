"""``plantwin serve gateway --config FILE``: a bad file is one clear message
naming the field and exit code 2, never a traceback; ``plantwin gateway
openapi --check`` finds no drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.gateway.conftest import ROOT


def plantwin(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harness", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_a_config_breaking_a_rule_names_the_field_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "master_data": str(ROOT / "scenarios/masterdata/sample.yaml"),
                "plants": {"P100": {"key": "short"}},
                "operator_key": "operator-key-test",
                "defects": ["no_brakes"],
            }
        )
    )

    result = plantwin("serve", "gateway", "--config", str(config))

    assert result.returncode == 2
    assert "plants.P100.key" in result.stderr
    assert "defects[0]: 'no_brakes' must be one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = plantwin("serve", "gateway", "--config", str(tmp_path / "none.yaml"))

    assert result.returncode == 2
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_committed_openapi_document_has_not_drifted() -> None:
    result = plantwin("gateway", "openapi", "--check")

    assert result.returncode == 0, result.stderr
