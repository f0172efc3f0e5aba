"""Every business rule of the SAP mock, each showing SAP's message."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests

from mocks.sap import create_app
from tests.mocks.sap.conftest import (
    ROOT,
    Running,
    logged_on,
    pump_plant,
    pyodata_client,
    stock_of,
)

CONF = "API_PROD_ORDER_CONFIRMATION_2_SRV"
MATDOC = "API_MATERIAL_DOCUMENT_SRV"
ORDERS = "API_PRODUCTION_ORDER_2_SRV"


def confirm(sap: Running, **fields: Any) -> requests.Response:
    body = {"OrderID": "1000001", "OrderOperation": "0010",
            "ConfirmationUnit": "PC", "ConfirmationYieldQuantity": "1", **fields}
    return logged_on(sap.url, CONF).post(f"{sap.url}{ROOT}/{CONF}/ProdnOrdConf2",
                                        json=body, timeout=10)


def post_items(
    sap: Running, *items: dict[str, Any], **header: Any
) -> requests.Response:
    body = {"GoodsMovementCode": "04", **header,
            "to_MaterialDocumentItem": {"results": list(items)}}
    return logged_on(sap.url, MATDOC).post(
        f"{sap.url}{ROOT}/{MATDOC}/A_MaterialDocumentHeader", json=body, timeout=10)


def item(**fields: Any) -> dict[str, Any]:
    return {"Material": "RM-BOLT-M8", "Plant": "1010", "StorageLocation": "0002",
            "GoodsMovementType": "551", "EntryUnit": "PC",
            "QuantityInEntryUnit": "1", **fields}


def function(sap: Running, service: str, name: str, **params: str) -> requests.Response:
    quoted = {key: f"'{value}'" for key, value in params.items()}
    return logged_on(sap.url, service).post(f"{sap.url}{ROOT}/{service}/{name}",
                                            params=quoted, timeout=10)


def error_of(response: requests.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]["value"]


def test_order_status_runs_crtd_rel_pcnf_cnf_teco(sap: Running) -> None:
    orders = pyodata_client(sap, ORDERS)
    number = orders.entity_sets.A_ProductionOrder_2.create_entity().set(
        Material="FG-PUMP-100", ProductionPlant="1010", TotalQuantity="4",
        ProductionUnit="PC").execute().ManufacturingOrder

    def status() -> list[str]:
        rows = orders.entity_sets.A_ProductionOrderStatus_2.get_entities().filter(
            f"ManufacturingOrder eq '{number}'").execute()
        return [row.StatusShortName for row in rows]

    def confirm_op(operation: str, final: str = "", qty: str = "2") -> Any:
        return confirm(sap, OrderID=number, OrderOperation=operation,
                       ConfirmationYieldQuantity=qty, FinalConfirmationType=final)

    seen = [status()]
    not_released = error_of(confirm_op("0010"))
    function(sap, ORDERS, "ReleaseOrder", ManufacturingOrder=number)
    seen.append(status())
    confirm_op("0010").raise_for_status()
    seen.append(status())
    confirm_op("0010", final="1").raise_for_status()
    confirm_op("0020", final="1", qty="4").raise_for_status()
    seen.append(status())
    confirmed = error_of(confirm_op("0020"))
    function(sap, ORDERS, "TechlyCmpltOrder", ManufacturingOrder=number)
    seen.append(status())
    completed = error_of(confirm_op("0020"))
    release_again = error_of(function(sap, ORDERS, "ReleaseOrder",
                                      ManufacturingOrder=number))

    assert seen == [["CRTD"], ["REL"], ["REL", "PCNF"], ["REL", "CNF"],
                    ["REL", "CNF", "TECO"]]
    assert not_released[:2] == (400, "RU/155")
    assert f"Order {number} is not released" in not_released[2]
    assert confirmed[:2] == (400, "RU/153") and "finally confirmed" in confirmed[2]
    assert completed[:2] == (400, "RU/157")
    assert "technically completed" in completed[2]
    assert release_again[:2] == (400, "RU/157")


def test_created_order_takes_the_routing_and_bom_of_its_material(
    sap: Running,
) -> None:
    orders = pyodata_client(sap, ORDERS)

    created = orders.entity_sets.A_ProductionOrder_2.create_entity().set(
        Material="FG-PUMP-100", ProductionPlant="1010", TotalQuantity="4").execute()

    read = orders.entity_sets.A_ProductionOrder_2.get_entity(
        created.ManufacturingOrder).expand(
        "to_ProductionOrderOperation,to_ProductionOrderComponent").execute()
    assert created.ManufacturingOrder not in ("", "1000001")
    assert created.OrderIsReleased == ""
    assert [op.ManufacturingOrderOperation for op in
            read.to_ProductionOrderOperation] == ["0010", "0020"]
    assert {(c.Material, Decimal(c.RequiredQuantity))
            for c in read.to_ProductionOrderComponent} == {
        ("RM-BOLT-M8", Decimal(32)), ("RM-GREASE", Decimal("0.2")),
        ("SF-HSG-100", Decimal(4)), ("RM-MOTOR-1K5", Decimal(4))}


def test_technically_completed_order_refuses_confirmations(sap: Running) -> None:
    function(sap, ORDERS, "TechlyCmpltOrder", ManufacturingOrder="1000001")

    status, code, text = error_of(confirm(sap))

    assert (status, code) == (400, "RU/157")
    assert "TECO" in text


def test_over_confirmation_beyond_tolerance_is_refused(sap: Running) -> None:
    within = confirm(sap, ConfirmationYieldQuantity="11")  # 10 + 10 %

    status, code, text = error_of(confirm(sap, ConfirmationYieldQuantity="0.001"))

    assert within.status_code == 201
    assert (status, code) == (400, "RU/011")
    assert "tolerance" in text


def test_confirmations_are_numbered_by_group_and_counter(sap: Running) -> None:
    rows = [confirm(sap, OrderOperation=op).json()["d"]
            for op in ("0010", "0010", "0020")]

    numbers = [(row["ConfirmationGroup"], row["ConfirmationCount"]) for row in rows]

    assert numbers == [("0000000001", "00000001"), ("0000000001", "00000002"),
                       ("0000000002", "00000001")]


def test_final_confirmations_move_status_to_pcnf_then_cnf(sap: Running) -> None:
    confirm(sap, FinalConfirmationType="1")
    partly = sap.state()["orders"][0]["OrderStatus"]
    confirm(sap, OrderOperation="0020", FinalConfirmationType="1")

    assert partly == "PCNF"
    assert sap.state()["orders"][0]["OrderStatus"] == "CNF"


def test_last_operation_backflushes_components_fifo_over_batches(sap: Running) -> None:
    response = confirm(sap, OrderOperation="0020", ConfirmationYieldQuantity="4",
                       ConfirmationScrapQuantity="1")

    state = sap.state()
    assert response.status_code == 201
    issued = {(i["Material"], i["Batch"]): Decimal(i["QuantityInBaseUnit"])
              for d in state["material_documents"] for i in d["items"]}
    assert issued == {("RM-BOLT-M8", ""): Decimal(40),      # 8 PC x 5
                      ("RM-GREASE", ""): Decimal("0.25"),   # 50 G x 5 in KG
                      ("SF-HSG-100", "H-OLD"): Decimal(3),  # oldest batch first
                      ("SF-HSG-100", "H-NEW"): Decimal(2)}
    assert state["material_documents"][0]["origin"] == "confirmation"


def test_failing_backflush_parks_in_cogi_and_reprocessing_posts_it(
    sap: Running,
) -> None:
    # 10 pumps need 0.5 KG grease; 2 KG on hand, so the grease posts,
    # but 25 housings are needed and only 23 are in stock.
    response = confirm(sap, OrderOperation="0020", ConfirmationYieldQuantity="11",
                       ConfirmationScrapQuantity="14")

    parked = sap.state()["post_processing"]
    assert response.status_code == 201
    assert "COGI" in response.headers["sap-message"]
    assert [(p["Material"], p["Quantity"]) for p in parked] == [("SF-HSG-100", "25")]
    assert parked[0]["message"].startswith("M7/021 Deficit")

    post_items(sap, item(Material="SF-HSG-100", Batch="H-3", GoodsMovementType="101",
                         QuantityInEntryUnit="2", ManufacturingOrder="1000001"))
    outcome = requests.post(f"{sap.url}/_mock/post-processing/reprocess",
                            timeout=10).json()

    state = sap.state()
    assert outcome == {"posted": 1, "open": 0}
    assert state["post_processing"] == []
    assert state["material_documents"][-1]["origin"] == "post_processing"
    assert stock_of(state, "SF-HSG-100", "0002", "H-NEW") == 0


def test_inline_goods_movements_post_instead_of_backflush(sap: Running) -> None:
    confirm(sap, OrderOperation="0020", to_ProdnOrdConfMatlDocItm={"results": [
        {"Material": "RM-MOTOR-1K5", "Plant": "1010", "StorageLocation": "0001",
         "Batch": "M-1", "GoodsMovementType": "261", "EntryUnit": "PC",
         "QuantityInEntryUnit": "1"}]})

    state = sap.state()
    assert [i["Material"] for d in state["material_documents"] for i in d["items"]] \
        == ["RM-MOTOR-1K5"]
    assert state["material_documents"][0]["items"][0]["ManufacturingOrder"] == \
        "1000001"


def test_cancel_confirmation_reverses_quantities_and_backflush(sap: Running) -> None:
    confirm(sap, OrderOperation="0020", ConfirmationYieldQuantity="1")

    cancelled = function(sap, CONF, "CancelProdnOrdConf",
                         ConfirmationGroup="0000000001", ConfirmationCount="00000001")

    state = sap.state()
    assert cancelled.status_code == 200
    assert cancelled.json()["d"]["IsReversal"] is True
    assert state["confirmations"][0]["IsReversed"] is True
    assert stock_of(state, "RM-BOLT-M8", "0002") == 200
    assert state["orders"][0]["OrderStatus"] == "REL"


@pytest.mark.parametrize(
    ("movement", "extra"),
    [
        ("261", {"ManufacturingOrder": "1000001"}),             # goods issue
        ("311", {"IssuingOrReceivingStorageLoc": "0002"}),      # transfer
        ("551", {}),                                            # scrapping
    ],
)
def test_deficit_names_material_plant_location_batch_and_shortfall(
    sap: Running, movement: str, extra: dict[str, str]
) -> None:
    response = post_items(sap, item(Material="RM-MOTOR-1K5", StorageLocation="0001",
                                    Batch="M-1", QuantityInEntryUnit="7",
                                    GoodsMovementType=movement, **extra))

    status, code, text = error_of(response)
    assert (status, code) == (400, "M7/021")
    assert text == "Deficit of BA Unrestricted-use 2 PC : RM-MOTOR-1K5 1010 0001 M-1"
    assert stock_of(sap.state(), "RM-MOTOR-1K5", "0001", "M-1") == 5
    assert sap.state()["material_documents"] == []


def test_batch_managed_material_needs_a_batch(sap: Running) -> None:
    status, code, text = error_of(post_items(sap, item(Material="SF-HSG-100")))

    assert (status, code) == (400, "M7/018")
    assert "SF-HSG-100" in text


def test_entry_units_convert_and_unknown_units_are_refused(sap: Running) -> None:
    boxes = post_items(sap, item(GoodsMovementType="311", EntryUnit="BOX",
                                 IssuingOrReceivingStorageLoc="0001"))
    unknown = post_items(sap, item(EntryUnit="KG"))

    state = sap.state()
    assert boxes.status_code == 201
    assert stock_of(state, "RM-BOLT-M8", "0001") == 100
    assert error_of(unknown)[:2] == (400, "M7/042")
    assert "KG" in error_of(unknown)[2]


def test_closed_posting_period_is_refused() -> None:
    closed = create_app(pump_plant(), closed_before=date(2025, 1, 1),
                        reprocess_interval=None)
    with Running(closed) as sap:
        late_document = post_items(sap, item(), PostingDate="/Date(1735603200000)/")
        late_confirmation = confirm(sap, PostingDate="/Date(1735603200000)/")
        open_period = post_items(sap, item(), PostingDate="/Date(1735776000000)/")

        state = sap.state()

    for refused in (late_document, late_confirmation):
        status, code, text = error_of(refused)
        assert (status, code) == (400, "M7/053")
        assert "2024/12 is closed" in text
    assert open_period.status_code == 201
    assert state["confirmations"] == []
    assert len(state["material_documents"]) == 1


def test_confirmation_in_an_unknown_unit_is_refused(sap: Running) -> None:
    status, code, text = error_of(confirm(sap, ConfirmationUnit="KG"))

    assert (status, code) == (400, "M7/042")
    assert text == "Unit of measure KG is not defined for material FG-PUMP-100"


def test_variance_reason_must_be_defined_for_the_plant(sap: Running) -> None:
    unknown = confirm(sap, ConfirmationScrapQuantity="1", VarianceReasonCode="0042")
    leak = confirm(sap, ConfirmationScrapQuantity="1", VarianceReasonCode="0005")

    assert error_of(unknown) == (
        400, "RU/354", "Reason for variance 0042 is not defined for plant 1010")
    assert leak.status_code == 201


def test_failing_inline_movement_parks_and_stays_open_until_stock_arrives(
    sap: Running,
) -> None:
    motors = {"Material": "RM-MOTOR-1K5", "Plant": "1010", "StorageLocation": "0001",
              "Batch": "M-1", "GoodsMovementType": "261", "EntryUnit": "PC",
              "QuantityInEntryUnit": "7"}

    accepted = confirm(sap, to_ProdnOrdConfMatlDocItm=[motors])
    still_short = requests.post(f"{sap.url}/_mock/post-processing/reprocess",
                                timeout=10).json()
    listed = requests.get(f"{sap.url}/_mock/post-processing", timeout=10).json()
    post_items(sap, item(Material="RM-MOTOR-1K5", StorageLocation="0001", Batch="M-1",
                         GoodsMovementType="101", QuantityInEntryUnit="2"))
    worked_off = requests.post(f"{sap.url}/_mock/post-processing/reprocess",
                               timeout=10).json()

    state = sap.state()
    assert accepted.status_code == 201
    assert "parked for post-processing (COGI)" in accepted.headers["sap-message"]
    assert still_short == {"posted": 0, "open": 1}
    assert [(p["Material"], p["Batch"], p["Quantity"]) for p in listed] == [
        ("RM-MOTOR-1K5", "M-1", "7")]
    assert listed[0]["message"] == (
        "M7/021 Deficit of BA Unrestricted-use 2 PC : RM-MOTOR-1K5 1010 0001 M-1")
    assert worked_off == {"posted": 1, "open": 0}
    assert stock_of(state, "RM-MOTOR-1K5", "0001", "M-1") == 0
    assert len(state["confirmations"]) == 1


def test_quality_moves_101_321_350_and_scrapping_551(sap: Running) -> None:
    common = {"Material": "FG-PUMP-100", "StorageLocation": "0004", "Batch": "P-1"}
    receipt = post_items(sap, item(**common, GoodsMovementType="101",
                                   InventoryStockType="02", QuantityInEntryUnit="5",
                                   ManufacturingOrder="1000001"))
    post_items(sap, item(**common, GoodsMovementType="321", QuantityInEntryUnit="3"))
    post_items(sap, item(**common, GoodsMovementType="350", QuantityInEntryUnit="2"))
    scrapped = post_items(sap, item(**common, QuantityInEntryUnit="3"))

    state = sap.state()
    by_type = {row["InventoryStockType"]: Decimal(row["Quantity"])
               for row in state["stock"] if row["Material"] == "FG-PUMP-100"}
    assert receipt.status_code == scrapped.status_code == 201
    assert by_type == {"02": 0, "01": 0, "07": 2}
    assert state["inspection_lots"][0]["Batch"] == "P-1"


def test_cancelling_a_material_document_reverses_its_stock(sap: Running) -> None:
    posted = post_items(sap, item(QuantityInEntryUnit="10")).json()["d"]

    cancel = function(sap, MATDOC, "Cancel",
                      MaterialDocumentYear=posted["MaterialDocumentYear"],
                      MaterialDocument=posted["MaterialDocument"])
    again = function(sap, MATDOC, "Cancel",
                     MaterialDocumentYear=posted["MaterialDocumentYear"],
                     MaterialDocument=posted["MaterialDocument"])

    state = sap.state()
    assert cancel.status_code == 200
    assert stock_of(state, "RM-BOLT-M8", "0002") == 200
    assert state["material_documents"][0]["items"][0]["GoodsMovementIsCancelled"]
    assert error_of(again)[:2] == (400, "RU/422")


def test_maintenance_notification_and_usage_decision(sap: Running) -> None:
    notif = logged_on(sap.url, "API_MAINTNOTIFICATION").post(
        f"{sap.url}{ROOT}/API_MAINTNOTIFICATION/MaintenanceNotification",
        json={"NotificationText": "CNC-01 spindle noise", "TechnicalObject": "CNC-01"},
        timeout=10)
    post_items(sap, item(Material="FG-PUMP-100", StorageLocation="0004", Batch="P-9",
                         GoodsMovementType="101", QuantityInEntryUnit="2"))
    lot = sap.state()["inspection_lots"][0]["InspectionLot"]
    decision = logged_on(sap.url, "API_INSPECTIONLOT_SRV").post(
        f"{sap.url}{ROOT}/API_INSPECTIONLOT_SRV/A_InspLotUsageDecision",
        json={"InspectionLot": lot, "InspectionLotUsageDecisionCode": "A"}, timeout=10)

    state = sap.state()
    assert notif.status_code == 201
    assert state["notifications"][0]["NotificationText"] == "CNC-01 spindle noise"
    assert decision.status_code == 201
    assert state["inspection_lots"][0]["InspectionLotHasUsageDecision"] is True


def test_unknown_order_and_operation_are_refused(sap: Running) -> None:
    no_order = error_of(confirm(sap, OrderID="4711"))
    no_operation = error_of(confirm(sap, OrderOperation="0990"))
    receipt = error_of(post_items(sap, item(GoodsMovementType="261",
                                            ManufacturingOrder="4711")))

    assert no_order[:2] == (400, "RU/101") and "4711" in no_order[2]
    assert no_operation[:2] == (400, "RU/102") and "0990" in no_operation[2]
    assert receipt[:2] == (400, "RU/101")
