"""Idempotency as SAP Gateway offers it, seeded faults, and stock that never
loses an update under concurrent postings."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest
import requests

from mocks.sap import FaultRule
from mocks.sap.faults import Faults
from tests.mocks.sap.conftest import AUTH, ROOT, Running, logged_on, stock_of

URL = f"{ROOT}/API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader"
SCRAP_ONE = {"GoodsMovementCode": "03", "to_MaterialDocumentItem": {"results": [{
    "Material": "RM-BOLT-M8", "Plant": "1010", "StorageLocation": "0002",
    "GoodsMovementType": "551", "EntryUnit": "PC", "QuantityInEntryUnit": "1"}]}}


def repeatable(request_id: str) -> dict[str, str]:
    return {"RequestID": request_id,
            "RepeatabilityCreation": "Thu, 03 Dec 2026 10:00:00 GMT"}


def handshake(session: requests.Session) -> tuple[dict[str, str], dict[str, str]]:
    """The session cookie and headers (CSRF token) of a logged-on session."""
    headers = {name: str(value) for name, value in session.headers.items()}
    return session.cookies.get_dict(), headers


def pooled(cookies: dict[str, str]) -> httpx.Client:
    """One client shared by 8 threads, each on its own pooled connection."""
    return httpx.Client(auth=AUTH, cookies=cookies, timeout=30,
                        limits=httpx.Limits(max_connections=8))


def add_fault(sap: Running, **rule: Any) -> str:
    response = requests.post(f"{sap.url}/_mock/faults", json=rule, timeout=10)
    response.raise_for_status()
    return str(response.json()["id"])


def test_repeated_request_id_posts_once_and_answers_accepted(sap: Running) -> None:
    session = logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV")
    headers = repeatable("A1" * 16)

    first = session.post(sap.url + URL, json=SCRAP_ONE, headers=headers, timeout=10)
    second = session.post(sap.url + URL, json=SCRAP_ONE, headers=headers, timeout=10)

    assert first.status_code == second.status_code == 201
    assert "RepeatabilityResult" not in first.headers
    assert second.headers["RepeatabilityResult"] == "accepted"
    assert second.json() == first.json()
    assert stock_of(sap.state(), "RM-BOLT-M8", "0002") == 199
    journal = requests.get(f"{sap.url}/_mock/journal", timeout=10).json()
    assert [entry["replayed"] for entry in journal] == [False, True]
    assert journal[0]["headers"] == {
        "RequestID": "A1" * 16, "RepeatabilityCreation": headers[
            "RepeatabilityCreation"]}
    assert journal[0]["user"] == "PLANTTWIN"
    assert journal[0]["body"] == SCRAP_ONE
    assert journal[1]["result"] == journal[0]["result"]


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"RequestID": "not-a-guid",
          "RepeatabilityCreation": "Thu, 03 Dec 2026 10:00:00 GMT"}, "RequestID"),
        ({"RequestID": "C3" * 16, "RepeatabilityCreation": "yesterday"},
         "RepeatabilityCreation"),
        ({"RequestID": "C3" * 16}, "RepeatabilityCreation"),
        ({"RepeatabilityCreation": "Thu, 03 Dec 2026 10:00:00 GMT"}, "RequestID"),
    ],
)
def test_malformed_repeatability_headers_are_400_and_post_nothing(
    sap: Running, headers: dict[str, str], named: str
) -> None:
    session = logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV")

    response = session.post(sap.url + URL, json=SCRAP_ONE, headers=headers, timeout=10)

    assert response.status_code == 400
    assert f"Header '{named}'" in response.json()["error"]["message"]["value"]
    assert stock_of(sap.state(), "RM-BOLT-M8", "0002") == 200


def test_a_refused_request_runs_again_when_repeated(sap: Running) -> None:
    session = logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV")
    headers = repeatable("D4" * 16)
    seals = {"Material": "RM-SEAL-KIT", "Plant": "1010", "StorageLocation": "0002",
             "GoodsMovementType": "551", "EntryUnit": "PC", "QuantityInEntryUnit": "1"}
    issue = {"GoodsMovementCode": "03", "to_MaterialDocumentItem": [seals]}
    receipt = {"GoodsMovementCode": "02",
               "to_MaterialDocumentItem": [dict(seals, GoodsMovementType="101")]}

    refused = session.post(sap.url + URL, json=issue, headers=headers, timeout=10)
    session.post(sap.url + URL, json=receipt, timeout=10).raise_for_status()
    repeated = session.post(sap.url + URL, json=issue, headers=headers, timeout=10)

    assert refused.json()["error"]["code"] == "M7/021"
    assert repeated.status_code == 201
    assert "RepeatabilityResult" not in repeated.headers
    assert stock_of(sap.state(), "RM-SEAL-KIT", "0002") == 0


def test_concurrent_repeats_of_one_request_post_once(sap: Running) -> None:
    session = logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV")
    cookies, headers = handshake(session)
    headers |= repeatable("E5" * 16)

    def send(_: int) -> tuple[int, str]:
        answer = client.post(sap.url + URL, json=SCRAP_ONE, headers=headers)
        return answer.status_code, answer.headers.get("RepeatabilityResult", "")

    with pooled(cookies) as client, ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(send, range(24)))

    assert sorted(outcomes) == [(201, "")] + [(201, "accepted")] * 23
    assert stock_of(sap.state(), "RM-BOLT-M8", "0002") == 199


def test_post_without_repeatability_headers_runs_again(sap: Running) -> None:
    session = logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV")

    for _ in range(2):
        session.post(sap.url + URL, json=SCRAP_ONE, timeout=10).raise_for_status()

    assert stock_of(sap.state(), "RM-BOLT-M8", "0002") == 198


def test_lost_ack_posts_but_never_answers_and_retry_is_accepted(sap: Running) -> None:
    session = logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV")
    rule = add_fault(sap, kind="lost_ack", service="API_MATERIAL_DOCUMENT_SRV")
    headers = repeatable("B2" * 16)

    with pytest.raises(requests.exceptions.ConnectionError):
        session.post(sap.url + URL, json=SCRAP_ONE, headers=headers, timeout=10)
    requests.delete(f"{sap.url}/_mock/faults/{rule}", timeout=10).raise_for_status()
    retry = session.post(sap.url + URL, json=SCRAP_ONE, headers=headers, timeout=10)

    assert retry.status_code == 201
    assert retry.headers["RepeatabilityResult"] == "accepted"
    assert stock_of(sap.state(), "RM-BOLT-M8", "0002") == 199


def test_outage_and_reset_do_nothing(sap: Running) -> None:
    session = logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV")
    outage = add_fault(sap, kind="outage")

    down = session.post(sap.url + URL, json=SCRAP_ONE, timeout=10)
    requests.delete(f"{sap.url}/_mock/faults/{outage}", timeout=10)
    add_fault(sap, kind="reset")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{sap.url}{ROOT}/API_MATERIAL_STOCK_SRV/A_MaterialStock",
                  auth=AUTH, timeout=10)

    assert down.status_code == 503
    assert stock_of(sap.state(), "RM-BOLT-M8", "0002") == 200


def test_error_rate_is_seeded_and_repeats(sap: Running) -> None:
    outcomes = []
    for _ in range(2):
        requests.post(f"{sap.url}/_mock/reset", timeout=10)
        add_fault(sap, kind="error", status=502, rate=0.5, seed=7)
        outcomes.append([
            requests.get(f"{sap.url}{ROOT}/API_MATERIAL_STOCK_SRV/A_MaterialStock",
                         auth=AUTH, timeout=10).status_code
            for _ in range(12)
        ])

    assert outcomes[0] == outcomes[1]
    assert set(outcomes[0]) == {200, 502}


def test_locked_material_is_refused_with_m3_897_only_for_it(sap: Running) -> None:
    session = logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV")
    add_fault(sap, kind="locked", material="RM-GREASE", user="JSMITH")
    grease = {"GoodsMovementCode": "03", "to_MaterialDocumentItem": [{
        "Material": "RM-GREASE", "Plant": "1010", "StorageLocation": "0002",
        "GoodsMovementType": "551", "EntryUnit": "KG", "QuantityInEntryUnit": "1"}]}

    locked = session.post(sap.url + URL, json=grease, timeout=10)
    bolts = session.post(sap.url + URL, json=SCRAP_ONE, timeout=10)

    assert locked.status_code == 400
    assert locked.json()["error"]["code"] == "M3/897"
    assert "RM-GREASE" in locked.json()["error"]["message"]["value"]
    assert bolts.status_code == 201


def test_latency_delays_and_faults_can_be_listed_and_cleared(sap: Running) -> None:
    add_fault(sap, kind="latency", latency_ms=150, entity_set="A_MaterialStock")

    listed = requests.get(f"{sap.url}/_mock/faults", timeout=10).json()
    slow = requests.get(f"{sap.url}{ROOT}/API_MATERIAL_STOCK_SRV/A_MaterialStock",
                        auth=AUTH, timeout=10)
    requests.delete(f"{sap.url}/_mock/faults", timeout=10)

    assert [rule["kind"] for rule in listed] == ["latency"]
    assert slow.elapsed.total_seconds() >= 0.15
    assert requests.get(f"{sap.url}/_mock/faults", timeout=10).json() == []


def test_locked_rule_may_name_the_plants_material_code(sap: Running) -> None:
    session = logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV")
    add_fault(sap, kind="locked", material="BOLT-M8")

    locked = session.post(sap.url + URL, json=SCRAP_ONE, timeout=10)

    assert locked.json()["error"]["message"]["value"] == (
        "The plant data of the material RM-BOLT-M8 is locked by the user BATCHJOB")


def test_closed_period_fault_refuses_writes_but_not_reads(sap: Running) -> None:
    session = logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV")
    add_fault(sap, kind="closed_period", service="API_MATERIAL_DOCUMENT_SRV")

    refused = session.post(sap.url + URL, json=SCRAP_ONE, timeout=10)
    read = session.get(sap.url + URL, timeout=10)

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "M7/053"
    assert read.status_code == 200
    assert stock_of(sap.state(), "RM-BOLT-M8", "0002") == 200


def test_an_outage_window_ends_by_itself() -> None:
    now = [100.0]
    faults = Faults(clock=lambda: now[0])
    faults.add(FaultRule(kind="outage", duration_ms=30_000))

    during = faults.decide("API_MATERIAL_DOCUMENT_SRV", "A_MaterialStock", "GET", b"")
    now[0] += 30
    after = faults.decide("API_MATERIAL_DOCUMENT_SRV", "A_MaterialStock", "GET", b"")

    assert during.kind == "outage"
    assert after.kind is None
    assert faults.listing()[0]["active"] is False


@pytest.mark.parametrize("distribution", ["uniform", "normal", "exponential"])
def test_latency_distributions_are_seeded_around_their_mean(distribution: str) -> None:
    rule = FaultRule(kind="latency", latency_ms=100, jitter_ms=20, seed=11,
                     distribution=distribution)
    runs = []
    for _ in range(2):
        faults = Faults()
        faults.add(rule)
        runs.append([faults.decide("API_MAINTNOTIFICATION", "MaintenanceNotification",
                                   "GET", b"").delay_s for _ in range(400)])

    mean_ms = sum(runs[0]) / len(runs[0]) * 1000
    assert runs[0] == runs[1]
    assert len(set(runs[0])) > 300
    assert 85 < mean_ms < 115


def test_bad_fault_rule_names_the_field(sap: Running) -> None:
    response = requests.post(f"{sap.url}/_mock/faults",
                             json={"kind": "meteor", "rate": 2}, timeout=10)

    assert response.status_code == 422
    assert "kind" in response.json()["detail"] and "rate" in response.json()["detail"]


def test_concurrent_postings_never_lose_a_stock_update(sap: Running) -> None:
    session = logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV")
    cookies, headers = handshake(session)

    def move(index: int) -> int:
        there, back = ("0002", "0001") if index % 2 else ("0001", "0002")
        body = {"GoodsMovementCode": "04", "to_MaterialDocumentItem": [{
            "Material": "RM-BOLT-M8", "Plant": "1010", "StorageLocation": there,
            "GoodsMovementType": "311", "IssuingOrReceivingStorageLoc": back,
            "EntryUnit": "PC", "QuantityInEntryUnit": "1"}]}
        return client.post(sap.url + URL, json=body, headers=headers).status_code

    with pooled(cookies) as client, ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(move, range(1, 161)))

    state = sap.state()
    moved_out = statuses[0::2].count(201) - statuses[1::2].count(201)
    assert statuses.count(201) + statuses.count(400) == 160
    assert statuses.count(201) >= 80
    assert stock_of(state, "RM-BOLT-M8", "0002") == Decimal(200 - moved_out)
    assert stock_of(state, "RM-BOLT-M8", "0001") == Decimal(moved_out)


def test_concurrent_confirmations_backflush_every_component_once(
    sap: Running,
) -> None:
    service = "API_PROD_ORDER_CONFIRMATION_2_SRV"
    session = logged_on(sap.url, service)
    cookies, headers = handshake(session)
    body = {"OrderID": "1000001", "OrderOperation": "0020",
            "ConfirmationYieldQuantity": "0.5", "ConfirmationUnit": "PC"}

    def confirm(_: int) -> int:
        return client.post(f"{sap.url}{ROOT}/{service}/ProdnOrdConf2", json=body,
                           headers=headers).status_code

    with pooled(cookies) as client, ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(confirm, range(20)))

    state = sap.state()
    counters = [row["ConfirmationCount"] for row in state["confirmations"]]
    assert statuses == [201] * 20
    assert sorted(counters) == [f"{n:08d}" for n in range(1, 21)]
    assert stock_of(state, "RM-BOLT-M8", "0002") == 200 - 8 * 10
    assert stock_of(state, "RM-GREASE", "0002") == Decimal("1.5")
    assert state["orders"][0]["MfgOrderConfirmedYieldQty"] == "10.0"


def test_hanging_request_answers_504_after_the_hang(sap: Running) -> None:
    add_fault(sap, kind="hang", hang_ms=200, entity_set="A_MaterialStock")

    answer = requests.get(f"{sap.url}{ROOT}/API_MATERIAL_STOCK_SRV/A_MaterialStock",
                          auth=AUTH, timeout=10)

    assert answer.status_code == 504
    assert answer.elapsed.total_seconds() >= 0.2
