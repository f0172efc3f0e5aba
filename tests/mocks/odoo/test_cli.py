"""``plantwin serve odoo``: the mock as its own process."""

from __future__ import annotations

import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

import httpx
import typer
from typer.testing import CliRunner, Result

from mocks.odoo.cli import register
from tests.mocks.odoo.conftest import DB, LOGIN, PASSWORD, SAMPLE, _free_port

PLANTWIN = [sys.executable, "-c", "from harness.cli import main; main()"]


def plantwin(*args: str) -> Result:
    """The command in this process (``serve`` refuses bad input before it
    starts a server)."""
    app, serve = typer.Typer(), typer.Typer()
    app.add_typer(serve, name="serve")
    register(app, serve)
    return CliRunner().invoke(app, list(args))


def test_serve_odoo_with_master_data_answers_and_logs_each_request() -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*PLANTWIN, "serve", "odoo", "--port", str(port), "--master-data",
         str(SAMPLE)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not _answers(f"{url}/web/version"):
            assert server.poll() is None and time.monotonic() < deadline, \
                "plantwin serve odoo did not come up"
            time.sleep(0.1)
        uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").login(
            DB, LOGIN, PASSWORD)
        companies = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object").execute_kw(
            DB, uid, PASSWORD, "res.company", "search_read", [[]],
            {"fields": ["name"]})
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)

    lines = [line for line in log.splitlines() if " mocks.odoo request " in line]
    assert [row["name"] for row in companies] == ["Leipzig Pump Works"]
    assert any("path=/xmlrpc/2/object status=200" in line
               and "call=res.company.search_read" in line for line in lines)
    assert PASSWORD not in log.replace("plantwin", "")


def test_serve_odoo_with_a_missing_master_data_file_exits_2() -> None:
    result = plantwin("serve", "odoo", "--master-data", "/no/such/masterdata.yaml")

    assert result.exit_code == 2
    assert "/no/such/masterdata.yaml: cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_odoo_with_invalid_master_data_names_the_field(tmp_path: Path) -> None:
    broken = tmp_path / "master.yaml"
    broken.write_text("plants: not-a-list\n")

    result = plantwin("serve", "odoo", "--master-data", str(broken))

    assert result.exit_code == 2
    assert "plants" in result.stderr and "Traceback" not in result.stderr


def test_serve_odoo_refuses_a_port_out_of_range() -> None:
    result = plantwin("serve", "odoo", "--port", "70000")

    assert result.exit_code == 2
    assert "--port: 70000 is not a port" in result.stderr


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False
