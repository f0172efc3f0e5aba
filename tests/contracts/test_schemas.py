"""Committed JSON Schemas must match the models, so interface changes show."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts import OperationConfirmed, export
from contracts.export import SCHEMA_DIR, build_schemas, schema_drift, write_schemas
from harness.cli import app


def test_committed_schemas_match_the_models() -> None:
    assert schema_drift() == [], "run `plantwin schemas` and commit the result"


def test_a_changed_model_shows_as_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_schemas(tmp_path)

    class WiderConfirmation(OperationConfirmed):
        shift: str | None = None

    changed = tuple(
        WiderConfirmation if model is OperationConfirmed else model
        for model in export.PAYLOAD_TYPES
    )
    monkeypatch.setattr(export, "PAYLOAD_TYPES", changed)

    assert schema_drift(tmp_path) == ["operation.confirmed.v1.schema.json"]


def test_schema_command_checks_drift(tmp_path: Path) -> None:
    runner = CliRunner()

    written = runner.invoke(app, ["schemas", "--out", str(tmp_path)])
    clean = runner.invoke(app, ["schemas", "--out", str(tmp_path), "--check"])
    (tmp_path / "envelope.schema.json").write_text("{}\n")
    drifted = runner.invoke(app, ["schemas", "--out", str(tmp_path), "--check"])

    assert written.exit_code == 0
    assert clean.exit_code == 0
    assert drifted.exit_code == 1
    assert "envelope.schema.json" in drifted.output


def test_every_payload_has_a_schema_file() -> None:
    names = set(build_schemas())
    assert "envelope.schema.json" in names
    # scenario.schema.json sits beside them, written by the harness
    assert {path.name for path in SCHEMA_DIR.glob("*.json")} == names | {
        "scenario.schema.json"
    }
