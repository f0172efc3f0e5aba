"""Benchmark of the plant twin, all in one run on this machine.

1. Kernel overhead. The twin simulates the sample pump plant
   (``scenarios/plants/sample.yaml``) for ``--shifts`` shifts with all its
   work (pydantic events, ledger, stock, quality, OEE); its figure is the
   SimPy events its environment processed per wall second. The anchor is
   bare SimPy: fifteen processes that only yield timeouts, timeouts per
   second. Printed: both, the ratio (target >= 0.25) and the twin's plant
   events per second. Each figure is the median of ``--rounds`` rounds.
2. Scale. One simulated week (21 shifts of a 3x8 calendar, seven days) of
   20 plants x 15 lines, the model generated here from the five-plant
   ``scenarios/plants/multi.yaml`` (each of its three lines five times per
   plant, equipment renamed per plant and line) with matching master data,
   timed wall clock from loading the model to the combined run, in one
   process and in ``--processes`` worker processes (target <= 20 s).

Twin and anchor rounds alternate, so both see the same machine. Wall time is
what the targets name; CPU seconds (this process and its workers) and the
load average are printed too, because on a shared machine wall time also
measures the neighbours.

    .venv/bin/python benchmarks/twin_bench.py [--rounds 3] [--processes 2]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import simpy
import yaml

import simulator

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "scenarios" / "plants" / "sample.yaml"
MULTI = ROOT / "scenarios" / "plants" / "multi.yaml"
MULTI_MASTER = ROOT / "scenarios" / "masterdata" / "multi.yaml"
PLANTS, COPIES, WEEK = 20, 5, 21
ZONES = (
    "Europe/Berlin",
    "Europe/Prague",
    "America/Monterrey",
    "Asia/Kolkata",
    "America/New_York",
)


def twin_rate(shifts: int) -> dict[str, float]:
    """The twin on the sample plant: SimPy and plant events per second."""
    model = simulator.load_plant_model(SAMPLE)
    began, cpu = time.perf_counter(), time.process_time()
    run = simulator.simulate(model, shifts=shifts, seed=1)
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu
    return {
        "simpy_events": run.sim_events,
        "plant_events": len(run.events),
        "simpy_events_per_s": run.sim_events / seconds,
        "simpy_events_per_cpu_s": run.sim_events / cpu,
        "plant_events_per_s": len(run.events) / seconds,
    }


def bare_rate(timeouts: int, processes: int = 15) -> dict[str, float]:
    """Bare SimPy: ``processes`` that only yield timeouts; timeouts per second."""
    env = simpy.Environment()
    each = timeouts // processes

    def ticker(delay: float) -> Any:
        for _ in range(each):
            yield env.timeout(delay)

    for index in range(processes):
        env.process(ticker(1.0 + index / 100))
    began, cpu = time.perf_counter(), time.process_time()
    env.run()
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu
    return {"per_s": each * processes / seconds, "per_cpu_s": each * processes / cpu}


def big_model(folder: Path) -> Path:
    """20 plants x 15 lines, written as a plant model and its master data."""
    plants_doc = yaml.safe_load(MULTI.read_text(encoding="utf-8"))
    master = yaml.safe_load(MULTI_MASTER.read_text(encoding="utf-8"))
    template = plants_doc["plants"][0]
    products = {product["line"]: product for product in template["products"]}

    plants, locations, centers = [], [], []
    known_locations = [
        row for row in master["storage_locations"] if row["plant"] == "P100"
    ]
    for number in range(PLANTS):
        code = f"Q{number + 1:03d}"
        zone = ZONES[number % len(ZONES)]
        lines, made = [], []
        for line in template["lines"]:
            for copy_number in range(1, COPIES + 1):
                line_code = f"{line['code']}{copy_number}"
                twin_line = copy.deepcopy(line)
                twin_line["code"] = twin_line["work_center"] = line_code
                for machine in twin_line["machines"]:
                    base = machine["equipment"].split("-", 1)[1]
                    machine["equipment"] = f"{code}-{line_code}-{base}"
                lines.append(twin_line)
                centers.append(
                    {
                        "plant": code,
                        "code": line_code,
                        "sap": f"{line_code}01"[:8],
                        "odoo": f"{code} {line_code}",
                        "equipment": [m["equipment"] for m in twin_line["machines"]],
                    }
                )
                product = copy.deepcopy(products[line["code"]])
                product["line"] = line_code
                for operation in product["routing"]:
                    operation["work_center"] = line_code
                made.append(product)
        plants.append(
            {
                "code": code,
                "calendar": {"pattern": "3x8", "weekends": "on"},
                "raw_lot_size": "200",
                "lines": lines,
                "products": made,
            }
        )
        master["plants"].append(
            {
                "code": code,
                "name": f"Pump works {code}",
                "timezone": zone,
                "sap_plant": f"{9000 + number}",
                "odoo_company": f"Pump Works {code}",
            }
        )
        for row in known_locations:
            location = dict(row, plant=code)
            location["odoo"] = row["odoo"].replace("P100", code)
            locations.append(location)
    master["storage_locations"] += locations
    master["work_centers"] += centers

    master_path = folder / "masterdata.yaml"
    master_path.write_text(yaml.safe_dump(master, sort_keys=False), encoding="utf-8")
    plant_path = folder / "plants.yaml"
    document = {
        "master_data": master_path.name,
        "start": "2026-11-30",
        "plants": plants,
    }
    plant_path.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    return plant_path


def week(path: Path, processes: int) -> dict[str, float]:
    """Wall and CPU seconds for one simulated week of the big model."""
    load = os.getloadavg()[0]
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    began, cpu = time.perf_counter(), time.process_time()
    model = simulator.load_plant_model(path)
    run = simulator.simulate(model, shifts=WEEK, seed=1, processes=processes)
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += done.ru_utime + done.ru_stime - workers.ru_utime - workers.ru_stime
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "load_average_before": round(load, 2),
        "plant_events": len(run.events),
        "simpy_events": run.sim_events,
        "lines": sum(len(plant.lines) for plant in model.plants),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shifts", type=int, default=60)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    twin_rate(3)  # warm-up: first imports (Faker) and first-call caches
    twin_rounds, bare_rounds = [], []
    for _ in range(args.rounds):
        twin_rounds.append(twin_rate(args.shifts))
        timeouts = max(int(twin_rounds[0]["simpy_events"]), 150_000)
        bare_rounds.append(bare_rate(timeouts))
    twin = statistics.median(r["simpy_events_per_s"] for r in twin_rounds)
    twin_cpu = statistics.median(r["simpy_events_per_cpu_s"] for r in twin_rounds)
    plant_events = statistics.median(r["plant_events_per_s"] for r in twin_rounds)
    bare = statistics.median(r["per_s"] for r in bare_rounds)
    bare_cpu = statistics.median(r["per_cpu_s"] for r in bare_rounds)
    results: dict[str, Any] = {
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "kernel": {
            "twin_simpy_events": int(twin_rounds[0]["simpy_events"]),
            "twin_plant_events": int(twin_rounds[0]["plant_events"]),
            "twin_simpy_events_per_s": round(twin),
            "twin_plant_events_per_s": round(plant_events),
            "bare_simpy_timeouts_per_s": round(bare),
            "ratio": round(twin / bare, 3),
            "ratio_by_cpu_time": round(twin_cpu / bare_cpu, 3),
            "target_ratio": 0.25,
        },
    }

    with tempfile.TemporaryDirectory() as folder:
        path = big_model(Path(folder))
        scale: dict[str, Any] = {"plants": PLANTS, "shifts": WEEK}
        scale["one_process"] = week(path, 1)
        if args.processes > 1:
            scale[f"{args.processes}_processes"] = week(path, args.processes)
        best = min(
            value["seconds"] for value in scale.values() if isinstance(value, dict)
        )
        scale["load_average_after"] = round(os.getloadavg()[0], 2)
        scale["best_seconds"] = best
        scale["target_seconds"] = 20
        results["week_20_plants_x_15_lines"] = scale
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
