"""The SAP mock as a service: its command, its log and its background job."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import yaml

from mocks.sap import create_app
from tests.mocks.sap.conftest import (
    ROOT,
    Running,
    free_port,
    logged_on,
    pump_plant,
    stock_of,
)

MATDOC = f"{ROOT}/API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader"
SCRAP_ONE = {"GoodsMovementCode": "03", "to_MaterialDocumentItem": [{
    "Material": "RM-BOLT-M8", "Plant": "1010", "StorageLocation": "0002",
    "GoodsMovementType": "551", "EntryUnit": "PC", "QuantityInEntryUnit": "1"}]}


def plantwin(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from harness.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_serve_sap_with_a_missing_master_data_file_exits_2() -> None:
    result = plantwin("serve", "sap", "--master-data", "/no/such/masterdata.yaml")

    assert result.returncode == 2
    assert "/no/such/masterdata.yaml: cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_sap_logs_one_line_per_request_without_credentials(
    tmp_path: Path,
) -> None:
    master = tmp_path / "master.yaml"
    master.write_text(yaml.safe_dump(pump_plant().model_dump(mode="json")))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-c", "from harness.cli import main; main()", "serve",
               "sap", "--port", str(port), "--master-data", str(master),
               "--reprocess-interval", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        deadline = time.monotonic() + 60
        while not _answers(f"{url}/healthz"):
            assert server.poll() is None and time.monotonic() < deadline, \
                "plantwin serve sap did not come up"
            time.sleep(0.1)
        session = logged_on(url, "API_MATERIAL_DOCUMENT_SRV")
        posted = session.post(f"{url}{MATDOC}", params={"sap-client": "100"},
                              json=SCRAP_ONE, timeout=10)
        state = requests.get(f"{url}/_mock/state", timeout=10)
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)

    lines = [line for line in log.splitlines() if " mocks.sap request " in line]
    by_path = [line.split(" path=")[1].split(" ")[0] for line in lines
               if "/healthz" not in line]
    assert posted.status_code == 201 and state.status_code == 200
    assert by_path == [f"{ROOT}/API_MATERIAL_DOCUMENT_SRV/", MATDOC, "/_mock/state"]
    assert "method=POST" in lines[-2] and "status=201" in lines[-2]
    secrets = ["planttwin", "UExBTlRUV0lO", str(session.headers["x-csrf-token"]),
               *session.cookies.values()]
    for secret in secrets:
        assert secret not in log


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def test_one_log_line_per_request_without_credentials(
    sap: Running, caplog: pytest.LogCaptureFixture
) -> None:
    session = logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV")
    caplog.set_level(logging.INFO, logger="mocks.sap")
    caplog.clear()

    session.get(f"{sap.url}{MATDOC}", params={"$top": "1"}, timeout=10)
    session.post(f"{sap.url}{MATDOC}", json={}, timeout=10)

    lines = [r.getMessage() for r in caplog.records if r.name == "mocks.sap"]
    assert len(lines) == 2
    assert lines[0].startswith("request method=GET") and "status=200" in lines[0]
    assert "status=400" in lines[1]
    for line in lines:
        assert "planttwin" not in line.lower().replace("plantwin", "")
        assert str(session.headers["x-csrf-token"]) not in line


def test_background_job_works_off_post_processing() -> None:
    with Running(create_app(pump_plant(), reprocess_interval=0.05)) as sap:
        confirm = logged_on(sap.url, "API_PROD_ORDER_CONFIRMATION_2_SRV")
        confirm.post(f"{sap.url}{ROOT}/API_PROD_ORDER_CONFIRMATION_2_SRV/ProdnOrdConf2",
                     json={"OrderID": "1000001", "OrderOperation": "0020",
                           "ConfirmationYieldQuantity": "10",
                           "ConfirmationScrapQuantity": "15"},
                     timeout=10).raise_for_status()
        parked = len(sap.state()["post_processing"])
        receipt = {"GoodsMovementCode": "02", "to_MaterialDocumentItem": [{
            "Material": "SF-HSG-100", "Plant": "1010", "StorageLocation": "0002",
            "Batch": "H-9", "GoodsMovementType": "101", "EntryUnit": "PC",
            "QuantityInEntryUnit": "5"}]}
        logged_on(sap.url, "API_MATERIAL_DOCUMENT_SRV").post(
            f"{sap.url}{MATDOC}", json=receipt, timeout=10).raise_for_status()

        deadline = time.monotonic() + 10
        while sap.state()["post_processing"] and time.monotonic() < deadline:
            time.sleep(0.05)

        state = sap.state()
        assert parked == 1
        assert state["post_processing"] == []
        assert stock_of(state, "SF-HSG-100", "0002", "H-9") == Decimal(3)


def test_master_data_and_reset_through_the_control_api(sap: Running) -> None:
    master = pump_plant().model_dump(mode="json")
    master["orders"] = []

    loaded = requests.post(f"{sap.url}/_mock/master-data", json=master, timeout=10)
    refused = requests.post(f"{sap.url}/_mock/master-data",
                            json={"plants": []}, timeout=10)

    assert loaded.json()["orders"] == 0
    assert sap.state()["orders"] == []
    assert refused.status_code == 422
    assert "plants" in refused.json()["detail"]
    requests.post(f"{sap.url}/_mock/master-data", json=pump_plant().model_dump(
        mode="json"), timeout=10).raise_for_status()
