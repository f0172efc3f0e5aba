"""The oracle: the twin's truth held against what the ERPs show.

Findings come in six kinds (lost, duplicated, misordered, divergent, late,
stuck), each naming the workflow, the plant and the order, lot or event ids a
tester needs to file it. Units are converted with the master data only; the
oracle never asks the integration path how it converted anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from contracts import MasterData, PlantEvent
from harness.documents import Document, ExpectedSap, plain
from harness.odoo_view import ExpectedOdoo, OdooView
from harness.sap_view import SapView


@dataclass(frozen=True)
class Finding:
    kind: str
    workflow: str
    plant: str
    reference: str
    detail: str
    event_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Verdict:
    """Everything the oracle concluded about one run."""

    findings: list[Finding] = field(default_factory=list)
    matched: int = 0
    expected: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    recovered: int = 0
    kpis: dict[str, Any] = field(default_factory=dict)

    def merge(self, other: Verdict) -> None:
        """Fold another ERP's verdict into this one."""
        self.findings.extend(other.findings)
        self.matched += other.matched
        self.expected += other.expected
        self.latencies_ms.extend(other.latencies_ms)
        self.recovered += other.recovered
        self.kpis.update(other.kpis)

    def by_kind(self) -> dict[str, list[Finding]]:
        kinds: dict[str, list[Finding]] = {
            kind: []
            for kind in (
                "lost",
                "duplicated",
                "misordered",
                "divergent",
                "late",
                "stuck",
            )
        }
        for finding in self.findings:
            kinds[finding.kind].append(finding)
        return kinds


@dataclass(frozen=True)
class PathState:
    """What the integration path still holds when the run ends."""

    dead_letters: dict[str, str] = field(default_factory=dict)
    queued: set[str] = field(default_factory=set)
    # streams (subjects) the path still holds open, with why
    held_streams: dict[str, str] = field(default_factory=dict)


class Oracle:
    def __init__(
        self,
        master: MasterData,
        events: list[PlantEvent],
        ledger: dict[str, Any],
        *,
        sent_at: dict[str, float] | None = None,
        latency_objectives_ms: dict[str, int] | None = None,
    ) -> None:
        self.master = master
        self.events = events
        self.ledger = ledger
        self.sent_at = sent_at or {}
        self.objectives = latency_objectives_ms or {}

    def judge_sap(self, state: dict[str, Any], path: PathState) -> Verdict:
        expected = ExpectedSap(self.master).documents(self.events)
        view = SapView(self.master, state)
        verdict = Verdict(expected=len(expected))
        pairs = self._reconcile(expected, view.documents(), path, verdict, "SAP")
        verdict.matched = len(pairs)

        self._misordered(pairs, verdict)
        self._late(pairs, verdict)
        self._backflush(view, verdict)
        self._post_processing(view, verdict)
        self._poison(expected, path, verdict)
        self._scrap_rate(state, verdict)
        verdict.recovered = sum(
            1 for entry in state.get("journal", []) if entry.get("replayed")
        )
        return verdict

    def judge_odoo(self, state: dict[str, Any], path: PathState) -> Verdict:
        """Odoo's transfers, maintenance requests, quality checks and downtime."""
        expected = ExpectedOdoo(self.master).documents(self.events)
        verdict = Verdict(expected=len(expected))
        actual = OdooView(self.master, state).documents()
        pairs = self._reconcile(expected, actual, path, verdict, "Odoo")
        verdict.matched = len(pairs)
        return verdict

    # Matching -------------------------------------------------------------------

    def _reconcile(
        self,
        expected: list[Document],
        actual: list[Document],
        path: PathState,
        verdict: Verdict,
        erp: str,
    ) -> list[tuple[Document, Document]]:
        by_identity: dict[tuple[Any, ...], list[Document]] = defaultdict(list)
        for document in sorted(actual, key=lambda d: d.arrival or 0):
            by_identity[document.identity].append(document)

        pairs: list[tuple[Document, Document]] = []
        missing: list[Document] = []
        for document in expected:
            candidates = by_identity.get(document.identity)
            if candidates:
                pairs.append((document, candidates.pop(0)))
            else:
                missing.append(document)

        extra = [doc for docs in by_identity.values() for doc in docs]
        matched_identities = {want.identity for want, _ in pairs}
        leftovers: list[Document] = []
        for document in extra:
            if document.identity in matched_identities:
                verdict.findings.append(
                    Finding(
                        "duplicated",
                        document.workflow,
                        document.plant,
                        document.reference,
                        f"posted more often than the plant reported it "
                        f"({_describe(document)})",
                    )
                )
            else:
                leftovers.append(document)

        by_anchor: dict[tuple[Any, ...], list[Document]] = defaultdict(list)
        for document in leftovers:
            by_anchor[document.anchor].append(document)
        for want in missing:
            candidates = by_anchor.get(want.anchor)
            if candidates:
                got = candidates.pop(0)
                pairs.append((want, got))
                verdict.findings.append(
                    Finding(
                        "divergent",
                        want.workflow,
                        want.plant,
                        want.reference,
                        "; ".join(want.differences(got)),
                        _ids(want),
                    )
                )
            elif want.event_id in path.dead_letters:
                verdict.findings.append(
                    Finding(
                        "stuck",
                        want.workflow,
                        want.plant,
                        want.reference,
                        "in dead letters: " + path.dead_letters[want.event_id],
                        _ids(want),
                    )
                )
            elif want.event_id in path.queued:
                verdict.findings.append(
                    Finding(
                        "stuck",
                        want.workflow,
                        want.plant,
                        want.reference,
                        "still queued in the integration path",
                        _ids(want),
                    )
                )
            elif want.subject in path.held_streams:
                verdict.findings.append(
                    Finding(
                        "stuck",
                        want.workflow,
                        want.plant,
                        want.reference,
                        f"stream {want.subject} still held open in the "
                        f"integration path: {path.held_streams[want.subject]}",
                        _ids(want),
                    )
                )
            else:
                verdict.findings.append(
                    Finding(
                        "lost",
                        want.workflow,
                        want.plant,
                        want.reference,
                        f"never reached {erp} ({_describe(want)})",
                        _ids(want),
                    )
                )
        for documents in by_anchor.values():
            for got in documents:
                verdict.findings.append(
                    Finding(
                        "divergent",
                        got.workflow,
                        got.plant,
                        got.reference,
                        f"{erp} has a document the plant never reported "
                        f"({_describe(got)})",
                    )
                )
        return pairs

    # Checks on matched documents -------------------------------------------------

    def _misordered(
        self, pairs: list[tuple[Document, Document]], verdict: Verdict
    ) -> None:
        streams: dict[str, list[tuple[int, Document]]] = defaultdict(list)
        for want, got in pairs:
            if want.subject is not None and got.arrival is not None:
                streams[want.subject].append((got.arrival, want))
        for subject, arrivals in sorted(streams.items()):
            arrivals.sort(key=lambda item: item[0])
            inversions = [
                (earlier, later)
                for (_, earlier), (_, later) in zip(
                    arrivals, arrivals[1:], strict=False
                )
                if (earlier.sequence or 0) > (later.sequence or 0)
            ]
            if inversions:
                first, second = inversions[0]
                verdict.findings.append(
                    Finding(
                        "misordered",
                        first.workflow,
                        first.plant,
                        subject,
                        f"{len(inversions)} posting(s) against the stream's "
                        f"order; e.g. sequence {first.sequence} arrived before "
                        f"{second.sequence}",
                        [first.event_id or "", second.event_id or ""],
                    )
                )

    def _late(self, pairs: list[tuple[Document, Document]], verdict: Verdict) -> None:
        for want, got in pairs:
            sent = self.sent_at.get(want.event_id or "")
            if sent is None or not got.received_at:
                continue
            arrived = datetime.fromisoformat(got.received_at).timestamp()
            latency = max(0.0, (arrived - sent) * 1000)
            verdict.latencies_ms.append(latency)
            objective = self.objectives.get(want.workflow)
            if objective is not None and latency > objective:
                verdict.findings.append(
                    Finding(
                        "late",
                        want.workflow,
                        want.plant,
                        want.reference,
                        f"posted {latency:.0f} ms after the plant sent it "
                        f"(objective {objective} ms)",
                        _ids(want),
                    )
                )

    # Checks on totals -------------------------------------------------------------

    def _backflush(self, view: SapView, verdict: Verdict) -> None:
        expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        plants: dict[tuple[str, str], str] = {}
        for row in self.ledger.get("consumption", []):
            if not row.get("backflush"):
                continue
            sap_material = self.master.material(row["component"]).sap_material
            key = (row["order"], sap_material)
            expected[key] += self.master.to_base(
                row["component"], Decimal(str(row["quantity"])), row["unit"]
            )
            plants[key] = row.get("plant", "")
        actual = view.backflush_totals()
        parked = {
            (
                str(entry.get("OrderID", entry.get("order", ""))),
                str(entry.get("Material", entry.get("material", ""))),
            )
            for entry in view.open_post_processing()
        }
        for key in sorted(set(expected) | set(actual)):
            want = plain(expected.get(key, Decimal(0)))
            got = plain(actual.get(key, Decimal(0)))
            if want == got or key in parked:
                continue
            order, material = key
            kind = "lost" if got < want else "duplicated"
            if got and got < want:
                kind = "divergent"
            verdict.findings.append(
                Finding(
                    kind,
                    "backflush",
                    plants.get(key, ""),
                    f"order {order} component {material}",
                    f"backflushed {got} in SAP, the plant consumed {want}",
                )
            )

    def _post_processing(self, view: SapView, verdict: Verdict) -> None:
        for entry in view.open_post_processing():
            order = entry.get("OrderID", entry.get("order", ""))
            material = entry.get("Material", entry.get("material", ""))
            verdict.findings.append(
                Finding(
                    "stuck",
                    "backflush",
                    "",
                    f"order {order} component {material}",
                    "parked in SAP's post-processing list (COGI): "
                    + str(entry.get("message", "")),
                )
            )

    def _poison(
        self, expected: list[Document], path: PathState, verdict: Verdict
    ) -> None:
        truth = {event.id for event in self.events}
        for event_id, reason in sorted(path.dead_letters.items()):
            if event_id not in truth:
                verdict.findings.append(
                    Finding(
                        "stuck",
                        "ingest",
                        "",
                        f"event {event_id}",
                        "dead letter of an event the plant never produced: " + reason,
                        [event_id],
                    )
                )

    def _scrap_rate(self, state: dict[str, Any], verdict: Verdict) -> None:
        good = scrap = Decimal(0)
        for order in self.ledger.get("orders", {}).values():
            for operation in order.get("operations", {}).values():
                good += Decimal(str(operation.get("good", 0)))
                scrap += Decimal(str(operation.get("scrap", 0)))
        erp_good = erp_scrap = Decimal(0)
        for row in state.get("confirmations", []):
            if row.get("IsReversed") or row.get("IsReversal"):
                continue
            erp_good += Decimal(str(row.get("ConfirmationYieldQuantity", 0)))
            erp_scrap += Decimal(str(row.get("ConfirmationScrapQuantity", 0)))
        twin = float(scrap / (good + scrap)) if good + scrap else 0.0
        erp = float(erp_scrap / (erp_good + erp_scrap)) if erp_good + erp_scrap else 0.0
        verdict.kpis["scrap_rate"] = {"twin": round(twin, 5), "sap": round(erp, 5)}


def _ids(document: Document) -> list[str]:
    return [document.event_id] if document.event_id else []


def _describe(document: Document) -> str:
    return ", ".join(f"{name} {value}" for name, value in document.fields.items())


def count_by_kind(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(
        ("lost", "duplicated", "misordered", "divergent", "late", "stuck"), 0
    )
    for finding in findings:
        counts[finding.kind] += 1
    return counts
