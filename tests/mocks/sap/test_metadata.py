"""$metadata agrees with SAP's published API descriptions on every entity set,
key, property name, type and length the mock models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyodata.v2.model import MetadataBuilder

from mocks.sap.build_catalogue import CATALOGUE, build
from mocks.sap.catalogue import services
from mocks.sap.metadata import metadata

REFERENCE = Path(__file__).parents[4] / "shared" / "reference" / "sap"


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"{REFERENCE} is not there")
def test_catalogue_is_what_sap_publishes() -> None:
    committed = json.loads(CATALOGUE.read_text(encoding="utf-8"))

    assert build(REFERENCE) == committed


@pytest.mark.parametrize("service", sorted(services()))
def test_metadata_carries_every_catalogued_property(service: str) -> None:
    schema = MetadataBuilder(metadata(service).encode()).build()

    for entity_set in services()[service].entity_sets.values():
        entity_type = schema.entity_set(entity_set.name).entity_type
        keys = [prop.name for prop in entity_type.key_proprties]
        assert keys == list(entity_set.keys)
        for prop in entity_set.properties.values():
            parsed = entity_type.proprty(prop.name)
            assert parsed.typ.name == prop.type, prop.name
            if prop.max_length is not None:
                assert parsed.max_length == prop.max_length, prop.name


def test_confirmation_properties_match_sap_names() -> None:
    confirmation = services()["API_PROD_ORDER_CONFIRMATION_2_SRV"].entity_sets[
        "ProdnOrdConf2"]

    for name in ("OrderID", "OrderOperation", "ConfirmationUnit",
                 "ConfirmationYieldQuantity", "ConfirmationScrapQuantity",
                 "ConfirmationReworkQuantity", "FinalConfirmationType",
                 "VarianceReasonCode", "PostingDate", "ConfirmationText"):
        assert name in confirmation.properties
    assert confirmation.properties["ConfirmationText"].max_length == 40
