"""One scenario end to end: twin → plant edge → integration path → ERP mocks →
oracle → reports.

The twin runs first (in virtual time) and fixes the truth: its events, its
ledger, the orders SAP released and the opening stock. The master data with
that plan is loaded into the mocks and the gateway; then the feeder offers
the events to the plant edges on the plant clock while the nemesis applies
the faults; the harness waits for the path to drain and asks the oracle.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from contracts import MasterData
from harness.compare import diff, summarize
from harness.edges import PlantEdges, send_poison
from harness.feeder import Feeder
from harness.html import write_html
from harness.nemesis import Nemesis
from harness.oracle import Oracle
from harness.report import RunResult, write_json
from harness.scenario import Scenario
from harness.target import EmbeddedTarget, ExternalTarget, Target
from harness.twin import TwinTruth, run_twin


def _gateway_master(scenario: Scenario, master: MasterData) -> MasterData:
    """The master data the gateway gets: with a scenario's gaps cut into it."""
    gaps = [f for f in scenario.faults if f.kind == "master_data_gap"]
    if not gaps:
        return master
    materials = []
    for material in master.materials:
        for gap in gaps:
            if gap.material in (None, material.code):
                kept = [c for c in material.conversions if c.unit != gap.unit]
                material = material.model_copy(update={"conversions": kept})
        materials.append(material)
    return master.model_copy(update={"materials": materials})


def _target(scenario: Scenario, master: MasterData, work_dir: Path) -> Target:
    if scenario.target.mode == "external":
        return ExternalTarget(scenario, master, work_dir)
    return EmbeddedTarget(
        scenario, master, work_dir, gateway_master=_gateway_master(scenario, master)
    )


def run_scenario(scenario: Scenario, report_dir: Path, console: Console) -> RunResult:
    """Run one scenario and write its reports into ``report_dir``."""
    report_dir = report_dir.resolve()  # child processes resolve paths elsewhere
    report_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    console.print(
        f"[bold]{scenario.name}[/bold]: running the twin (seed {scenario.seed})"
    )
    truth = run_twin(scenario)
    master = truth.master
    (report_dir / "truth.json").write_text(json.dumps(truth.ledger, default=str))

    work_dir = report_dir / "run"
    if work_dir.exists():  # a store or log from an earlier run would leak in
        shutil.rmtree(work_dir)
    target = _target(scenario, master, work_dir)
    try:
        target.start()
        result = _drive(scenario, truth, target, console, started)
    finally:
        target.stop()

    result.reports = {
        "report.json": str(report_dir / "report.json"),
        "report.html": str(report_dir / "report.html"),
    }
    write_json(result, report_dir / "report.json")
    write_html(result, report_dir / "report.html")
    return result


def _drive(
    scenario: Scenario,
    truth: TwinTruth,
    target: Target,
    console: Console,
    started: float,
) -> RunResult:
    events = truth.events
    nemesis = Nemesis(
        faults=scenario.faults,
        start=truth.start,
        erp_urls=target.erp_urls(),
        seed=scenario.seed,
        crash_gateway=target.crash_gateway,
        restart_gateway=target.restart_gateway,
    )
    edges = PlantEdges(target, nemesis.edge, scenario.seed)
    nemesis.send_poison = lambda fault: send_poison(target, fault, truth)
    feeder = Feeder(events, scenario.clock, nemesis, edges.edge_for, scenario.seed)

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("plant → gateway", total=len(events))
        feeder.run(on_progress=lambda n: progress.advance(task, n))
    feed_done = time.monotonic()

    console.print("waiting for the integration path to drain ...")
    drained = target.wait_drained(
        scenario.expect.drain_timeout.total_seconds(), edges.empty
    )
    target.work_off_post_processing()
    state = target.sap_state()
    path = target.path_state()

    oracle = Oracle(
        master=truth.master,
        events=events,
        ledger=truth.ledger,
        sent_at=feeder.sent_at,
        latency_objectives_ms=dict(scenario.expect.latency_ms),
    )
    verdict = oracle.judge_sap(state, path)
    odoo_state = target.odoo_state()
    if odoo_state is not None:
        verdict.merge(oracle.judge_odoo(odoo_state, path))
    delivered = _delivered(state)
    wall = time.monotonic() - started
    return RunResult(
        erp_summary=summarize(state),
        scenario=scenario,
        verdict=verdict,
        generated=len(events),
        accepted=edges.accepted,
        delivered=delivered,
        wall_seconds=max(time.monotonic() - started, 1e-6),
        drained=drained,
        timeline={
            "sent": feeder.timeline[:: max(1, len(feeder.timeline) // 400)],
            "posted": _postings_over_time(state, started, wall),
            "queue_depth": target.queue_samples,
        },
        notes=[
            f"feeding took {feed_done - started:.1f} s, draining "
            f"{time.monotonic() - feed_done:.1f} s",
            *(
                f"{entry['at']} {entry['what']} {entry['kind']}"
                for entry in nemesis.log
            ),
        ],
    )


def _delivered(state: dict[str, Any]) -> int:
    return sum(
        1
        for entry in state.get("journal", [])
        if 200 <= int(entry.get("status", 0)) < 300 and not entry.get("replayed")
    )


def _postings_over_time(
    state: dict[str, Any], started: float, wall: float
) -> list[tuple[float, int]]:
    stamps = []
    for entry in state.get("journal", []):
        if 200 <= int(entry.get("status", 0)) < 300 and entry.get("received_at"):
            stamps.append(entry["received_at"])
    if not stamps:
        return []
    from datetime import datetime

    times = sorted(datetime.fromisoformat(stamp).timestamp() for stamp in stamps)
    offset = time.time() - (time.monotonic() - started)
    points = [(round(t - offset, 3), index + 1) for index, t in enumerate(times)]
    return points[:: max(1, len(points) // 400)]


def compare_clean_run(
    scenario: Scenario, faulty: RunResult, report_dir: Path, console: Console
) -> list[dict[str, str]]:
    """Run the same seed without faults; diff the final SAP states.

    The rows land in ``compare-clean.json`` beside the faulty run's report and
    in its notes; no rows means the faults left no trace in SAP's state.
    """
    clean_scenario = scenario.model_copy(update={"faults": []})
    clean = run_scenario(clean_scenario, report_dir / "clean", console)
    rows = diff(faulty.erp_summary, clean.erp_summary)
    (report_dir / "compare-clean.json").write_text(
        json.dumps(
            {"scenario": scenario.name, "seed": scenario.seed, "differences": rows},
            indent=2,
        )
        + "\n"
    )
    if rows:
        faulty.notes.append(
            f"final SAP state differs from a clean run of seed {scenario.seed} "
            f"in {len(rows)} place(s), e.g. {rows[0]['what']}: "
            f"{rows[0]['with_faults']} with faults, {rows[0]['clean']} clean"
        )
    else:
        faulty.notes.append(
            f"final SAP state equals a clean run of seed {scenario.seed}"
        )
    write_json(faulty, report_dir / "report.json")
    return rows
