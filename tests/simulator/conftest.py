"""Fixtures of the plant-twin tests: the sample plant and short runs of it."""

from __future__ import annotations

from pathlib import Path

import pytest

import simulator
from simulator import PlantModel, TwinRun

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "scenarios" / "plants" / "sample.yaml"
MULTI = ROOT / "scenarios" / "plants" / "multi.yaml"
SAMPLE_MASTER = ROOT / "scenarios" / "masterdata" / "sample.yaml"


@pytest.fixture(scope="session")
def plant() -> PlantModel:
    return simulator.load_plant_model(SAMPLE)


@pytest.fixture(scope="session")
def day_run(plant: PlantModel) -> TwinRun:
    """Three shifts of the pump plant, seed 42."""
    return simulator.simulate(plant, shifts=3, seed=42)


def write_plant(tmp_path: Path, body: str) -> Path:
    """A one-plant model file next to a copy-free reference to sample data."""
    path = tmp_path / "plant.yaml"
    path.write_text(f"master_data: {SAMPLE_MASTER}\n{body}", encoding="utf-8")
    return path
