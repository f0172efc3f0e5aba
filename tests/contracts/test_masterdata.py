"""Master data: the one file every part loads, with path-precise errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from contracts import ContractError, UnknownMasterData, load_master_data

SAMPLE = Path(__file__).parents[2] / "scenarios" / "masterdata" / "sample.yaml"


@pytest.fixture(scope="module")
def master() -> object:
    return load_master_data(SAMPLE)


def test_sample_master_data_loads_the_pump_plant() -> None:
    master = load_master_data(SAMPLE)

    assert master.plant("P100").sap_plant == "1010"
    assert master.material("PUMP-100").batch_managed
    assert master.storage_location("P100", "STG").sap == "0002"
    assert master.work_center("P100", "FINAL").sap == "ASSY01"


def test_grams_convert_to_the_kilogram_base_unit_exactly() -> None:
    master = load_master_data(SAMPLE)

    assert master.to_base("GREASE", Decimal("250"), "G") == Decimal("0.250")
    assert master.to_base("BOLT-M8", Decimal("2"), "BOX") == Decimal("200")
    assert master.to_base("GREASE", Decimal("1.5"), "KG") == Decimal("1.5")


def test_a_unit_without_conversion_is_a_master_data_gap() -> None:
    master = load_master_data(SAMPLE)

    with pytest.raises(UnknownMasterData, match="no conversion from 'BOX'"):
        master.to_base("GREASE", Decimal("1"), "BOX")


def test_rounding_follows_the_units_precision() -> None:
    master = load_master_data(SAMPLE)

    assert master.round_for("PC", Decimal("2.5")) == Decimal("3")
    assert master.round_for("KG", Decimal("0.0004")) == Decimal("0.000")


def test_bad_master_data_names_the_yaml_path(tmp_path: Path) -> None:
    text = SAMPLE.read_text().replace('rounding: "0.001"}', 'rounding: "0"}', 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)

    with pytest.raises(ContractError) as caught:
        load_master_data(bad)

    assert f"{bad}: units[1].rounding: '0' must be > 0" in str(caught.value)


def test_unreadable_and_malformed_files_are_clear_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("plants: [\n")

    with pytest.raises(ContractError, match="not valid YAML"):
        load_master_data(broken)
    with pytest.raises(ContractError, match="cannot read"):
        load_master_data(tmp_path / "missing.yaml")
