"""The SAP mock speaks OData V2 as S/4HANA does: SAP's pyodata client, unchanged,
reads metadata, filters, expands, pages, creates, updates and runs a $batch."""

from __future__ import annotations

import re
from decimal import Decimal

import pyodata
import pytest
import requests
from pyodata.exceptions import HttpError
from pyodata.v2.model import MetadataBuilder
from pyodata.vendor.SAP import BusinessGatewayError

from mocks.sap import create_app
from mocks.sap.metadata import metadata
from tests.mocks.sap.conftest import (
    AUTH,
    ROOT,
    Running,
    logged_on,
    pump_plant,
    pyodata_client,
)

SERVICES = [
    "API_PRODUCTION_ORDER_2_SRV",
    "API_PROD_ORDER_CONFIRMATION_2_SRV",
    "API_MATERIAL_DOCUMENT_SRV",
    "API_MATERIAL_STOCK_SRV",
    "API_INSPECTIONLOT_SRV",
    "API_MAINTNOTIFICATION",
]
SCRAP_BOLTS = {"Material": "RM-BOLT-M8", "Plant": "1010", "StorageLocation": "0002",
               "GoodsMovementType": "551", "EntryUnit": "PC",
               "QuantityInEntryUnit": "5"}


@pytest.mark.parametrize("service", SERVICES)
def test_pyodata_loads_every_services_metadata(sap: Running, service: str) -> None:
    odata = pyodata_client(sap, service)

    names = {entity_set.name for entity_set in odata.schema.entity_sets}

    assert names, f"{service} has no entity sets"


def test_metadata_agrees_with_sap_on_keys_types_and_lengths(sap: Running) -> None:
    odata = pyodata_client(sap, "API_PROD_ORDER_CONFIRMATION_2_SRV")

    confirmation = odata.schema.entity_type("ProdnOrdConf2Type")
    keys = [prop.name for prop in confirmation.key_proprties]

    assert keys == ["ConfirmationGroup", "ConfirmationCount"]
    assert confirmation.proprty("ConfirmationText").max_length == 40
    assert confirmation.proprty("ConfirmationYieldQuantity").typ.name == "Edm.Decimal"
    assert confirmation.proprty("PostingDate").typ.name == "Edm.DateTime"


def test_filtered_expanded_read_of_released_orders(sap: Running) -> None:
    odata = pyodata_client(sap, "API_PRODUCTION_ORDER_2_SRV")

    orders = (
        odata.entity_sets.A_ProductionOrder_2.get_entities()
        .filter("ProductionPlant eq '1010' and Material eq 'FG-PUMP-100'")
        .expand("to_ProductionOrderOperation,to_ProductionOrderComponent")
        .execute()
    )

    assert [order.ManufacturingOrder for order in orders] == ["1000001"]
    order = orders[0]
    assert Decimal(order.TotalQuantity) == Decimal(10)
    assert [op.WorkCenter for op in order.to_ProductionOrderOperation] == [
        "ASSY01", "ASSY01"]
    backflushed = {c.Material for c in order.to_ProductionOrderComponent
                   if c.MatlCompIsMarkedForBackflush}
    assert backflushed == {"RM-BOLT-M8", "RM-GREASE", "SF-HSG-100"}


def test_pyodata_selects_orders_skips_and_counts_inline(sap: Running) -> None:
    odata = pyodata_client(sap, "API_PRODUCTION_ORDER_2_SRV")

    components = (
        odata.entity_sets.A_ProductionOrderComponent_2.get_entities()
        .select("Material,RequiredQuantity").order_by("Material desc")
        .skip(1).top(2).count(inline=True).execute()
    )

    assert components.total_count == 4
    assert [(c.Material, Decimal(c.RequiredQuantity)) for c in components] == [
        ("RM-MOTOR-1K5", Decimal(10)), ("RM-GREASE", Decimal("0.5"))]


def test_pyodata_follows_server_paging_to_the_end() -> None:
    with Running(create_app(pump_plant(), page_size=4,
                            reprocess_interval=None)) as small_pages:
        stock = pyodata_client(small_pages, "API_MATERIAL_STOCK_SRV"
                               ).entity_sets.A_MaterialStock
        page = stock.get_entities().execute()
        seen = [row.Material for row in page]
        while page.next_url:
            page = stock.get_entities().next_url(page.next_url).execute()
            seen += [row.Material for row in page]
        count = stock.get_entities().count().execute()

    assert len(seen) == len(set(seen)) == count == 10


def test_pyodata_creates_a_confirmation_with_its_csrf_session(sap: Running) -> None:
    odata = pyodata_client(sap, "API_PROD_ORDER_CONFIRMATION_2_SRV")

    created = odata.entity_sets.ProdnOrdConf2.create_entity().set(
        OrderID="1000001", OrderOperation="0010", ConfirmationUnit="PC",
        ConfirmationYieldQuantity="3", ConfirmationText="evt-0001",
    ).execute()

    assert created.ConfirmationGroup == "0000000001"
    assert created.ConfirmationCount == "00000001"
    assert created.etag
    read = odata.entity_sets.ProdnOrdConf2.get_entity(
        ConfirmationGroup="0000000001", ConfirmationCount="00000001").execute()
    assert Decimal(read.ConfirmationYieldQuantity) == Decimal(3)
    assert read.etag == created.etag


def test_pyodata_creates_a_material_document_with_items(sap: Running) -> None:
    odata = pyodata_client(sap, "API_MATERIAL_DOCUMENT_SRV")

    created = odata.entity_sets.A_MaterialDocumentHeader.create_entity().set(
        GoodsMovementCode="04", MaterialDocumentHeaderText="scan-1",
        to_MaterialDocumentItem=[{
            "Material": "RM-BOLT-M8", "Plant": "1010", "StorageLocation": "0002",
            "GoodsMovementType": "311", "IssuingOrReceivingStorageLoc": "0001",
            "EntryUnit": "BOX", "QuantityInEntryUnit": "1",
        }],
    ).execute()

    items = odata.entity_sets.A_MaterialDocumentItem.get_entities().filter(
        f"MaterialDocument eq '{created.MaterialDocument}'").execute()
    assert [(i.GoodsMovementType, Decimal(i.QuantityInBaseUnit)) for i in items] == [
        ("311", Decimal(100))]


def test_business_errors_parse_with_pyodatas_sap_error_reader(
    sap: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(HttpError, "VendorType", BusinessGatewayError)
    odata = pyodata_client(sap, "API_MATERIAL_DOCUMENT_SRV")

    with pytest.raises(BusinessGatewayError) as refused:
        odata.entity_sets.A_MaterialDocumentHeader.create_entity().set(
            GoodsMovementCode="03",
            to_MaterialDocumentItem=[dict(SCRAP_BOLTS, QuantityInEntryUnit="250")],
        ).execute()

    assert refused.value.response.status_code == 400
    assert str(refused.value).startswith("Deficit of SL Unrestricted-use 50 PC")
    assert refused.value.errordetails == [str(refused.value)]


def test_batch_changeset_is_atomic_and_answers_202(sap: Running) -> None:
    odata = pyodata_client(sap, "API_MATERIAL_DOCUMENT_SRV")
    too_much = dict(SCRAP_BOLTS, QuantityInEntryUnit="5000")

    batch = odata.create_batch()
    batch.add_request(odata.entity_sets.A_MaterialDocumentHeader.get_entities())
    changeset = odata.create_changeset()
    changeset.add_request(odata.entity_sets.A_MaterialDocumentHeader.create_entity()
                          .set(GoodsMovementCode="03",
                               to_MaterialDocumentItem=[SCRAP_BOLTS]))
    changeset.add_request(odata.entity_sets.A_MaterialDocumentHeader.create_entity()
                          .set(GoodsMovementCode="03",
                               to_MaterialDocumentItem=[too_much]))
    batch.add_request(changeset)

    with pytest.raises(pyodata.exceptions.HttpError) as refused:
        batch.execute()

    assert "M7/021" in refused.value.response.content.decode()
    assert sap.state()["material_documents"] == []


def test_batch_with_two_creates_posts_both(sap: Running) -> None:
    odata = pyodata_client(sap, "API_MATERIAL_DOCUMENT_SRV")
    batch = odata.create_batch()
    changeset = odata.create_changeset()
    for _ in range(2):
        changeset.add_request(odata.entity_sets.A_MaterialDocumentHeader
                              .create_entity().set(GoodsMovementCode="03",
                                                   to_MaterialDocumentItem=[
                                                       SCRAP_BOLTS]))
    batch.add_request(changeset)

    results = batch.execute()

    assert len(results[0]) == 2
    assert len(sap.state()["material_documents"]) == 2


def test_write_without_csrf_token_is_refused(sap: Running) -> None:
    session = requests.Session()
    session.auth = AUTH

    response = session.post(
        f"{sap.url}{ROOT}/API_MAINTNOTIFICATION/MaintenanceNotification",
        json={"NotificationText": "pump leaks"}, timeout=10)

    assert response.status_code == 403
    assert response.headers["x-csrf-token"] == "Required"


def test_csrf_token_is_bound_to_its_session_cookie(sap: Running) -> None:
    first = logged_on(sap.url, "API_MAINTNOTIFICATION")
    second = logged_on(sap.url, "API_MAINTNOTIFICATION")
    url = f"{sap.url}{ROOT}/API_MAINTNOTIFICATION/MaintenanceNotification"

    crossed = second.post(url, json={"NotificationText": "x"}, timeout=10,
                          headers={"x-csrf-token": first.headers["x-csrf-token"]})
    own = second.post(url, json={"NotificationText": "x"}, timeout=10)

    assert crossed.status_code == 403
    assert crossed.headers["x-csrf-token"] == "Required"
    assert own.status_code == 201


def test_csrf_fetch_with_head_on_an_entity_set_path(sap: Running) -> None:
    # SAP's Cloud SDK asks the resource path itself, with a trailing slash.
    session = requests.Session()
    session.auth = AUTH
    url = f"{sap.url}{ROOT}/API_MAINTNOTIFICATION/MaintenanceNotification"

    head = session.head(f"{url}/", headers={"x-csrf-token": "Fetch"}, timeout=10)
    session.headers["x-csrf-token"] = head.headers["x-csrf-token"]
    created = session.post(url, json={"NotificationText": "x"}, timeout=10)

    assert head.status_code == 200
    assert created.status_code == 201


def test_wrong_password_is_401_and_sap_client_is_optional(sap: Running) -> None:
    url = f"{sap.url}{ROOT}/API_MATERIAL_STOCK_SRV/A_MaterialStock"
    session = logged_on(sap.url, "API_MAINTNOTIFICATION")

    denied = requests.get(url, auth=("PLANTTWIN", "wrong"), timeout=10)
    anonymous = requests.get(url, timeout=10)
    with_client = requests.get(url, params={"sap-client": "100"}, auth=AUTH, timeout=10)
    without = requests.get(url, auth=AUTH, timeout=10)
    write = session.post(
        f"{sap.url}{ROOT}/API_MAINTNOTIFICATION/MaintenanceNotification",
        params={"sap-client": "100"}, json={"NotificationText": "x"}, timeout=10)

    assert denied.status_code == anonymous.status_code == 401
    assert "Basic" in denied.headers["www-authenticate"]
    assert with_client.status_code == without.status_code == 200
    assert write.status_code == 201


def test_payloads_as_sap_sends_them(sap: Running) -> None:
    session = logged_on(sap.url, "API_PROD_ORDER_CONFIRMATION_2_SRV")
    base = f"{sap.url}{ROOT}/API_PROD_ORDER_CONFIRMATION_2_SRV/ProdnOrdConf2"

    created = session.post(base, json={
        "OrderID": "1000001", "OrderOperation": "0010", "ConfirmationUnit": "PC",
        "ConfirmationYieldQuantity": "2.5", "PostingDate": "/Date(1764720000000)/",
    }, timeout=10)
    listed = session.get(base, params={"$inlinecount": "allpages"}, timeout=10)

    row = created.json()["d"]
    assert session.get(row["__metadata"]["uri"], timeout=10).json()["d"] == row
    assert created.status_code == 201
    assert created.headers["location"] == row["__metadata"]["uri"]
    assert created.headers["etag"] == row["__metadata"]["etag"]
    assert row["ConfirmationYieldQuantity"] == "2.5"
    assert row["PostingDate"] == "/Date(1764720000000)/"
    assert re.fullmatch(r"/Date\(\d+\)/", row["ConfirmationEntryDate"])
    assert re.fullmatch(r"PT\d\dH\d\dM\d\dS", row["ConfirmationEntryTime"])
    assert row["to_ProdnOrdConfMatlDocItm"] == {"__deferred": {
        "uri": row["__metadata"]["uri"] + "/to_ProdnOrdConfMatlDocItm"}}
    assert listed.json()["d"]["__count"] == "1"


def test_oracle_fields_never_travel_in_odata_payloads(sap: Running) -> None:
    conf = logged_on(sap.url, "API_PROD_ORDER_CONFIRMATION_2_SRV")
    conf.post(f"{sap.url}{ROOT}/API_PROD_ORDER_CONFIRMATION_2_SRV/ProdnOrdConf2",
              json={"OrderID": "1000001", "OrderOperation": "0020",
                    "ConfirmationYieldQuantity": "1"}, timeout=10).raise_for_status()
    logged_on(sap.url, "API_MAINTNOTIFICATION").post(
        f"{sap.url}{ROOT}/API_MAINTNOTIFICATION/MaintenanceNotification",
        json={"NotificationText": "x"}, timeout=10).raise_for_status()
    state = sap.state()
    reads = {
        "API_PROD_ORDER_CONFIRMATION_2_SRV": ["ProdnOrdConf2",
                                              "ProdnOrdConfMatlDocItm"],
        "API_MATERIAL_DOCUMENT_SRV": ["A_MaterialDocumentHeader",
                                      "A_MaterialDocumentItem"],
        "API_MAINTNOTIFICATION": ["MaintenanceNotification"],
        "API_PRODUCTION_ORDER_2_SRV": ["A_ProductionOrder_2"],
    }

    for service, entity_sets in reads.items():
        schema = MetadataBuilder(metadata(service).encode()).build()
        for name in entity_sets:
            entity_type = schema.entity_set(name).entity_type
            allowed = {p.name for p in entity_type.proprties()} | {
                n.name for n in entity_type.nav_proprties} | {"__metadata"}
            answer = requests.get(f"{sap.url}{ROOT}/{service}/{name}", auth=AUTH,
                                  timeout=10)
            rows = answer.json()["d"]["results"]
            assert rows, name
            for row in rows:
                assert set(row) <= allowed, set(row) - allowed
            assert "journal_seq" not in answer.text
    assert state["confirmations"][0]["journal_seq"] == 1
    assert state["material_documents"][0]["journal_seq"] == 2
    assert state["notifications"][0]["journal_seq"] == 3


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("API_MAINTNOTIFICATION/MaintenanceNotification",
         b'{"NotificationText": "x"', "(body)"),
        ("API_MAINTNOTIFICATION/MaintenanceNotification", b"[1, 2]",
         "MaintenanceNotification"),
        ("API_MAINTNOTIFICATION/MaintenanceNotification",
         b'{"NotificationText": "x", "Colour": "red"}', "Colour"),
        ("API_MAINTNOTIFICATION/MaintenanceNotification",
         b'{"NotificationText": 42}', "NotificationText"),
        ("API_MAINTNOTIFICATION/MaintenanceNotification",
         b'{"NotificationText": "' + b"x" * 41 + b'"}', "NotificationText"),
        ("API_MAINTNOTIFICATION/MaintenanceNotification",
         b'{"NotificationText": "x", "MaintPriority": "12"}', "MaintPriority"),
        ("API_PROD_ORDER_CONFIRMATION_2_SRV/ProdnOrdConf2",
         b'{"OrderOperation": "0010"}', "OrderID"),
        ("API_PROD_ORDER_CONFIRMATION_2_SRV/ProdnOrdConf2",
         b'{"OrderID": "1000001", "OrderOperation": "0010", '
         b'"ConfirmationYieldQuantity": "a lot"}', "ConfirmationYieldQuantity"),
        ("API_PROD_ORDER_CONFIRMATION_2_SRV/ProdnOrdConf2",
         b'{"OrderID": "1000001", "OrderOperation": "0010", '
         b'"ConfirmationYieldQuantity": "1.0001"}', "ConfirmationYieldQuantity"),
        ("API_PROD_ORDER_CONFIRMATION_2_SRV/ProdnOrdConf2",
         b'{"OrderID": "1000001", "OrderOperation": "0010", '
         b'"ConfirmationYieldQuantity": "-1"}', "ConfirmationYieldQuantity"),
        ("API_PROD_ORDER_CONFIRMATION_2_SRV/ProdnOrdConf2",
         b'{"OrderID": "1000001", "OrderOperation": "0010", '
         b'"PostingDate": "yesterday"}', "PostingDate"),
        ("API_PROD_ORDER_CONFIRMATION_2_SRV/ProdnOrdConf2",
         b'{"OrderID": "1000001", "OrderOperation": "0010", '
         b'"ConfirmationEntryTime": "PT25H00M00S"}', "ConfirmationEntryTime"),
        ("API_PROD_ORDER_CONFIRMATION_2_SRV/ProdnOrdConf2",
         b'{"OrderID": "1000001", "OrderOperation": "0010", '
         b'"IsFinalConfirmation": "yes"}', "IsFinalConfirmation"),
        ("API_PROD_ORDER_CONFIRMATION_2_SRV/ProdnOrdConf2",
         b'{"OrderID": "1000001", "OrderOperation": "0010", '
         b'"to_ProdnOrdConfMatlDocItm": {"results": [{"Plant": "1010"}]}}',
         "to_ProdnOrdConfMatlDocItm[0].GoodsMovementType"),
        ("API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader",
         b'{"to_MaterialDocumentItem": 5}', "to_MaterialDocumentItem"),
        ("API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader",
         b'{"to_MaterialDocumentItem": ["x"]}', "to_MaterialDocumentItem[0]"),
        ("API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader",
         b'{"to_MaterialDocumentItem": [{"GoodsMovementType": "551", '
         b'"Material": "RM-BOLT-M8", "Plant": "1010"}]}',
         "to_MaterialDocumentItem[0].StorageLocation"),
        ("API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader",
         b'{"to_MaterialDocumentItem": [{"Batch": "' + b"B" * 11 + b'"}]}',
         "to_MaterialDocumentItem[0].Batch"),
        ("API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader",
         b'{"to_MaterialDocumentItem": []}', "to_MaterialDocumentItem"),
        ("API_PRODUCTION_ORDER_2_SRV/A_ProductionOrder_2",
         b'{"Material": "FG-PUMP-100", "ProductionPlant": "1010"}', "TotalQuantity"),
    ],
)
def test_bad_input_is_400_naming_the_property(
    sap: Running, path: str, body: bytes, named: str
) -> None:
    session = logged_on(sap.url, path.split("/")[0])

    response = session.post(f"{sap.url}{ROOT}/{path}", data=body,
                            headers={"content-type": "application/json"}, timeout=10)

    assert response.status_code == 400
    error = response.json()["error"]
    assert f"'{named}'" in error["message"]["value"]
    assert error["innererror"]["errordetails"][0]["target"] == named
    assert error["innererror"]["errordetails"][0]["code"] == error["code"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("$top=ten", "$top"),
        ("$skip=-1", "$skip"),
        ("$filter=Material eq", "$filter"),
        ("$filter=Colour eq 'red'", "$filter"),
        ("$filter=TotalQuantity gt 'many'", "$filter"),
        ("$orderby=Material sideways", "$orderby"),
        ("$expand=to_Nowhere", "$expand"),
        ("$select=Colour", "$select"),
        ("$inlinecount=some", "$inlinecount"),
    ],
)
def test_bad_query_options_are_400_naming_the_option(
    sap: Running, query: str, named: str
) -> None:
    url = f"{sap.url}{ROOT}/API_PRODUCTION_ORDER_2_SRV/A_ProductionOrder_2?{query}"

    response = requests.get(url, auth=AUTH, timeout=10)

    assert response.status_code == 400
    assert named in response.json()["error"]["message"]["value"]


def test_update_needs_a_matching_if_match_and_answers_a_new_etag(
    sap: Running,
) -> None:
    odata = pyodata_client(sap, "API_MAINTNOTIFICATION")
    notifications = odata.entity_sets.MaintenanceNotification
    created = notifications.create_entity().set(NotificationText="pump leaks").execute()
    key = created.MaintenanceNotification

    blind = notifications.update_entity(key).set(MaintPriority="1")
    stale = notifications.update_entity(key).set(MaintPriority="2")
    stale.add_headers({"If-Match": 'W/"\'0000000000000000\'"'})
    matched = notifications.update_entity(key).set(MaintPriority="1")
    matched.add_headers({"If-Match": created.etag})

    for refused in (blind, stale):
        with pytest.raises(HttpError) as precondition:
            refused.execute()
        assert precondition.value.response.status_code == 412
    matched.execute()
    read = notifications.get_entity(key).execute()
    assert read.MaintPriority == "1"
    assert read.etag != created.etag


def test_pyodata_calls_function_imports(sap: Running) -> None:
    odata = pyodata_client(sap, "API_PRODUCTION_ORDER_2_SRV")

    answer = odata.functions.TechlyCmpltOrder.parameter(
        "ManufacturingOrder", "1000001").execute()

    assert answer["TechlyCmpltOrder"]["SystemMessageType"] == "S"
    assert sap.state()["orders"][0]["OrderStatus"] == "TECO"


def test_pyodata_reads_stock_by_plant_location_batch_and_stock_type(
    sap: Running,
) -> None:
    stock = pyodata_client(sap, "API_MATERIAL_STOCK_SRV").entity_sets.A_MaterialStock

    housings = stock.get_entity("SF-HSG-100").nav("to_MatlStkInAcctMod")
    rows = housings.get_entities().execute()

    assert sorted((r.Plant, r.StorageLocation, r.Batch, r.InventoryStockType,
                   Decimal(r.MatlWrhsStkQtyInMatlBaseUnit), r.MaterialBaseUnit)
                  for r in rows) == [
        ("1010", "0002", "H-NEW", "01", Decimal(20), "PC"),
        ("1010", "0002", "H-OLD", "01", Decimal(3), "PC")]


def test_pyodata_records_and_reads_inspection_results(sap: Running) -> None:
    logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV").post(
        f"{sap.url}{ROOT}/API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader",
        json={"GoodsMovementCode": "02", "to_MaterialDocumentItem": [{
            "Material": "FG-PUMP-100", "Plant": "1010", "StorageLocation": "0004",
            "Batch": "P-7", "GoodsMovementType": "101", "InventoryStockType": "02",
            "EntryUnit": "PC", "QuantityInEntryUnit": "3",
            "ManufacturingOrder": "1000001"}]}, timeout=10).raise_for_status()
    lots = pyodata_client(sap, "API_INSPECTIONLOT_SRV").entity_sets

    lot = lots.A_InspectionLot.get_entities().filter(
        "Material eq 'FG-PUMP-100' and Batch eq 'P-7'").execute()[0]
    lots.A_InspectionResult.create_entity().set(
        InspectionLot=lot.InspectionLot, InspPlanOperationInternalID="00000001",
        InspectionCharacteristic="0010", InspectionValuationResult="A",
        InspectionResultMeanValue=4.2).execute()
    results = lots.A_InspectionResult.get_entities().filter(
        f"InspectionLot eq '{lot.InspectionLot}'").execute()

    assert Decimal(lot.InspectionLotQuantity) == 3
    assert lot.ManufacturingOrder == "1000001"
    assert [(r.InspectionCharacteristic, r.InspectionValuationResult,
             r.InspectionResultMeanValue) for r in results] == [("0010", "A", 4.2)]
