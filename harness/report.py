"""Reports of a run: ``report.json``, ``junit.xml`` and a console summary.

``report.html`` (one self-contained file with plots) is written by
``harness.html``. Every report is built from one ``RunResult`` so the three
never disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from rich.console import Console
from rich.table import Table

from harness.oracle import Finding, Verdict, count_by_kind
from harness.scenario import FINDING_KINDS, Scenario


@dataclass(frozen=True)
class Check:
    """One expectation and whether it held: a JUnit test case."""

    name: str
    passed: bool
    detail: str


@dataclass
class RunResult:
    scenario: Scenario
    verdict: Verdict
    generated: int
    accepted: int
    delivered: int
    wall_seconds: float
    drained: bool
    timeline: dict[str, list[Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)
    erp_summary: dict[str, str] = field(default_factory=dict)

    @property
    def checks(self) -> list[Check]:
        counts = count_by_kind(self.verdict.findings)
        expect = self.scenario.expect
        checks = [
            Check(
                f"{kind} findings <= {expect.allowed(kind)}",
                counts[kind] <= expect.allowed(kind),
                f"{counts[kind]} {kind}",
            )
            for kind in FINDING_KINDS
        ]
        checks += [
            Check(
                f"{kind} findings >= {least}",
                counts[kind] >= least,
                f"{counts[kind]} {kind}",
            )
            for kind, least in expect.min_findings.items()
        ]
        checks.append(
            Check(
                f"drained within {expect.drain_timeout.total_seconds():.0f} s",
                self.drained,
                "drained" if self.drained else "the path did not drain in time",
            )
        )
        scrap = self.verdict.kpis.get("scrap_rate")
        if scrap:
            gap = abs(scrap["twin"] - scrap["sap"])
            checks.append(
                Check(
                    f"scrap rate within {expect.scrap_rate_tolerance}",
                    gap <= expect.scrap_rate_tolerance,
                    f"twin {scrap['twin']:.4f}, SAP {scrap['sap']:.4f}",
                )
            )
        return checks

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def latency(self) -> dict[str, float]:
        values = sorted(self.verdict.latencies_ms)
        if not values:
            return {"p50": 0.0, "p95": 0.0, "p99": 0.0}

        def pick(share: float) -> float:
            index = min(len(values) - 1, int(round(share * (len(values) - 1))))
            return round(values[index], 1)

        return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99)}

    def to_dict(self) -> dict[str, Any]:
        findings: dict[str, list[dict[str, Any]]] = {kind: [] for kind in FINDING_KINDS}
        for finding in self.verdict.findings:
            findings[finding.kind].append(finding.to_dict())
        seconds = max(self.wall_seconds, 1e-9)
        return {
            "scenario": self.scenario.name,
            "description": self.scenario.description,
            "seed": self.scenario.seed,
            "passed": self.passed,
            "findings": findings,
            "finding_counts": count_by_kind(self.verdict.findings),
            "events": {
                "generated": self.generated,
                "accepted": self.accepted,
                "delivered": self.delivered,
            },
            "documents": {
                "expected": self.verdict.expected,
                "matched": self.verdict.matched,
                "recovered": self.verdict.recovered,
            },
            "latency_ms": self.latency(),
            "throughput_eps": round(self.delivered / seconds, 1),
            "wall_seconds": round(self.wall_seconds, 2),
            "kpis": self.verdict.kpis,
            "checks": [check.__dict__ for check in self.checks],
            "notes": self.notes,
            "reports": self.reports,
        }


def write_json(result: RunResult, path: Path) -> None:
    path.write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n")


def write_junit(results: list[RunResult], path: Path) -> None:
    """One test suite per scenario, one test case per expectation."""
    suites = ElementTree.Element("testsuites", name="plantwin")
    for result in results:
        checks = result.checks
        failures = sum(1 for check in checks if not check.passed)
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=result.scenario.name,
            tests=str(len(checks)),
            failures=str(failures),
            time=f"{result.wall_seconds:.2f}",
        )
        for check in checks:
            case = ElementTree.SubElement(
                suite, "testcase", classname=result.scenario.name, name=check.name
            )
            if not check.passed:
                failure = ElementTree.SubElement(case, "failure", message=check.detail)
                failure.text = _findings_text(result.verdict.findings, check.name)
    ElementTree.indent(suites)
    path.write_bytes(
        ElementTree.tostring(suites, encoding="utf-8", xml_declaration=True)
    )


def _findings_text(findings: list[Finding], check_name: str) -> str:
    kind = check_name.split(" ", 1)[0]
    lines = [
        f"{f.workflow} {f.plant} {f.reference}: {f.detail}"
        for f in findings
        if f.kind == kind
    ]
    return "\n".join(lines[:200])


def print_summary(result: RunResult, console: Console) -> None:
    verdict = "[green]PASSED[/green]" if result.passed else "[red]FAILED[/red]"
    data = result.to_dict()
    console.print(f"\n[bold]{result.scenario.name}[/bold]: {verdict}")
    events = data["events"]
    latency = data["latency_ms"]
    console.print(
        f"events generated {events['generated']}, accepted {events['accepted']}, "
        f"delivered {events['delivered']}; documents expected "
        f"{data['documents']['expected']}, matched {data['documents']['matched']}; "
        f"latency p50 {latency['p50']} ms, p99 {latency['p99']} ms; "
        f"{data['throughput_eps']} events/s"
    )
    table = Table("check", "result", "detail")
    for check in result.checks:
        mark = "[green]ok[/green]" if check.passed else "[red]FAIL[/red]"
        table.add_row(check.name, mark, check.detail)
    console.print(table)
    if result.verdict.findings:
        findings = Table("kind", "workflow", "plant", "reference", "detail")
        for finding in result.verdict.findings[:15]:
            findings.add_row(
                finding.kind,
                finding.workflow,
                finding.plant,
                finding.reference,
                finding.detail[:90],
            )
        console.print(findings)
        if len(result.verdict.findings) > 15:
            console.print(
                f"... {len(result.verdict.findings) - 15} more in report.json"
            )
    for name, where in result.reports.items():
        console.print(f"{name}: {where}")
