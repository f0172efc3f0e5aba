"""Transformation to SAP: codes, units, posting dates, master-data gaps."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from contracts import MasterData, ScanRecorded, make_event
from gateway import PermanentError
from gateway.routing import destinations_for
from gateway.sap_mapping import SapMapping, odata_date
from tests.gateway.conftest import BERLIN, EventFactory

JUST_AFTER_MIDNIGHT = datetime(2026, 12, 3, 0, 30, tzinfo=BERLIN)


def item(body: dict[str, object]) -> dict[str, str]:
    items = body["to_MaterialDocumentItem"]
    assert isinstance(items, dict)
    result: dict[str, str] = items["results"][0]
    return result


def test_consumption_in_boxes_posts_261_in_base_pieces_with_sap_codes(
    master: MasterData, consumption: EventFactory
) -> None:
    posting = SapMapping(master).posting(consumption(1, quantity="2", unit="BOX"))

    assert posting is not None
    assert posting.entity_set == "A_MaterialDocumentHeader"
    assert posting.body["GoodsMovementCode"] == "03"
    assert {
        key: item(posting.body)[key]
        for key in ("Material", "Plant", "StorageLocation", "GoodsMovementType",
                    "EntryUnit", "QuantityInEntryUnit", "ManufacturingOrder")
    } == {
        "Material": "RM-BOLT-M8",
        "Plant": "1010",
        "StorageLocation": "0002",
        "GoodsMovementType": "261",
        "EntryUnit": "PC",
        "QuantityInEntryUnit": "200",
        "ManufacturingOrder": "1000001",
    }


def test_ignoring_unit_conversion_posts_the_plant_number_in_base_units(
    master: MasterData, consumption: EventFactory
) -> None:
    mapping = SapMapping(master, ignore_unit_conversion=True)

    posting = mapping.posting(consumption(1, quantity="2", unit="BOX"))

    assert posting is not None
    assert item(posting.body)["QuantityInEntryUnit"] == "2"
    assert item(posting.body)["EntryUnit"] == "PC"


def test_the_posting_date_is_the_plants_local_day(
    master: MasterData, confirmation: EventFactory
) -> None:
    event = confirmation(1, when=JUST_AFTER_MIDNIGHT)

    local = SapMapping(master).posting(event)
    utc = SapMapping(master, utc_posting_date=True).posting(event)

    assert local is not None and utc is not None
    assert local.body["PostingDate"] == odata_date(JUST_AFTER_MIDNIGHT.date())
    assert local.body["PostingDate"] == "/Date(1796256000000)/"
    assert utc.body["PostingDate"] == "/Date(1796169600000)/"


def test_a_confirmation_names_order_operation_and_event(
    master: MasterData, confirmation: EventFactory
) -> None:
    event = confirmation(1, yield_qty="7.5")

    posting = SapMapping(master).posting(event)

    assert posting is not None
    assert posting.entity_set == "ProdnOrdConf2"
    assert posting.body["OrderID"] == "1000001"
    assert posting.body["OrderOperation"] == "0010"
    assert posting.body["ConfirmationYieldQuantity"] == "7.5"
    assert posting.body["ConfirmationUnit"] == "PC"
    assert posting.body["ConfirmationText"] == event.id


def test_a_missing_conversion_is_a_permanent_master_data_error(
    master: MasterData, consumption: EventFactory
) -> None:
    with pytest.raises(PermanentError) as caught:
        SapMapping(master).posting(consumption(1, unit="BOX", component="GREASE"))

    assert caught.value.code == "MASTER_DATA"
    assert "'GREASE' has no conversion from 'BOX'" in caught.value.message


def test_a_scan_between_sap_storage_locations_posts_311(
    master: MasterData,
) -> None:
    scan = ScanRecorded(
        barcode="B1", handling_unit="HU1", material="CAST-100", lot="L1",
        from_location="RAW", to_location="STG", quantity=Decimal(3), unit="PC",
    )
    event = make_event(
        scan, id="scan-1", source="plant/P100/scanner", time=JUST_AFTER_MIDNIGHT,
        subject="hu/HU1", sequence=1, plant="P100",
    )

    posting = SapMapping(master).posting(event)

    assert posting is not None
    assert item(posting.body)["GoodsMovementType"] == "311"
    assert item(posting.body)["IssuingOrReceivingStorageLoc"] == "0002"


def test_routing_follows_the_authority_table() -> None:
    prefix = "io.planttwin."

    assert destinations_for(prefix + "operation.confirmed.v1", ["sap", "odoo"]) == (
        "sap",
    )
    assert destinations_for(prefix + "scan.recorded.v1", ["sap", "odoo"]) == (
        "sap",
        "odoo",
    )
    assert destinations_for(prefix + "downtime.started.v1", ["sap", "odoo"]) == (
        "odoo",
    )
    assert destinations_for(prefix + "order.started.v1", ["sap", "odoo"]) == ()
