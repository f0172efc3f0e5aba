"""The plant edges of a run: one store-and-forward edge per plant.

Each plant sends through its own ``simulator.PlantEdge`` to the integration
path's batch endpoint with that plant's key, the way a plant's edge box
would. The nemesis's edge faults act here: a WAN partition cuts a plant's
edge off (its events wait in the buffer and are replayed in order when the
link returns). Poison events go past the edge, one request each, because a
real edge would refuse to batch what it cannot vouch for.
"""

from __future__ import annotations

from decimal import Decimal

import httpx

from contracts import PlantEvent, make_event
from contracts.payloads import ScrapDeclared
from harness.nemesis import EdgeFaults
from harness.scenario import Fault
from harness.target import Target
from harness.twin import TwinTruth
from simulator import HttpSink, PlantEdge

POISON_MATERIAL = "NO-SUCH-MATERIAL"


class PlantEdges:
    """The edges of every plant in a run, created on first use."""

    def __init__(self, target: Target, faults: EdgeFaults, seed: int) -> None:
        self.target = target
        self.faults = faults
        self.seed = seed
        self._edges: dict[str, _FaultyEdge] = {}

    def edge_for(self, plant: str) -> _FaultyEdge:
        edge = self._edges.get(plant)
        if edge is None:
            sink = HttpSink(
                f"{self.target.gateway_url}/v1/events/batch",
                token=self.target.plant_keys.get(plant),
                timeout=10.0,
            )
            edge = _FaultyEdge(plant, PlantEdge(sink, batch_size=200), self.faults)
            self._edges[plant] = edge
        return edge

    def empty(self) -> bool:
        """Pump every edge once; True when none holds an event."""
        for edge in self._edges.values():
            edge.pump()
        return all(edge.edge.empty() for edge in self._edges.values())

    @property
    def accepted(self) -> int:
        """Events the integration path acknowledged (duplicates included)."""
        return sum(edge.edge.delivered for edge in self._edges.values())

    @property
    def rejected(self) -> list[str]:
        return [i for edge in self._edges.values() for i in edge.edge.rejected]

    def close(self) -> None:
        for edge in self._edges.values():
            edge.edge.close()


class _FaultyEdge:
    """A plant edge that the nemesis can cut off from the WAN."""

    def __init__(self, plant: str, edge: PlantEdge, faults: EdgeFaults) -> None:
        self.plant = plant
        self.edge = edge
        self.faults = faults

    def offer(self, event: PlantEvent) -> None:
        self.edge.offer(event)

    def pump(self) -> None:
        cut = self.faults.partitioned
        self.edge.partitioned = self.plant in cut or "*" in cut
        self.edge.pump()


def poison_events(fault: Fault, truth: TwinTruth) -> list[tuple[str, bytes]]:
    """The poison a fault sends: ``count`` malformed and ``count`` unknown-material
    events, as (plant, body) pairs."""
    plants = sorted({event.plant for event in truth.events})
    plant = fault.plant or plants[0]
    when = truth.start + fault.at
    bodies: list[tuple[str, bytes]] = []
    for index in range(fault.count):
        malformed = (
            b'{"specversion": "1.0", "id": "poison-malformed-%d", "type": '
            b'"io.planttwin.material.consumed.v1", "data": {"quantity": -1' % index
        )
        bodies.append((plant, malformed))
        event = make_event(
            ScrapDeclared(
                material=POISON_MATERIAL,
                quantity=Decimal(1),
                unit="PC",
                reason_code="POISON",
                storage_location="RAW",
            ),
            id=f"poison-unknown-material-{fault.at.total_seconds():.0f}-{index}",
            source=f"/plants/{plant}/poison",
            time=when,
            subject=f"poison/{index}",
            sequence=1,
            plant=plant,
        )
        bodies.append((plant, event.to_json().encode("utf-8")))
    return bodies


def send_poison(target: Target, fault: Fault, truth: TwinTruth) -> None:
    """Post a fault's poison events, one request each, past the plant edge."""
    for plant, body in poison_events(fault, truth):
        headers = {"Content-Type": "application/cloudevents+json"}
        key = target.plant_keys.get(plant)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        try:
            httpx.post(
                f"{target.gateway_url}/v1/events",
                content=body,
                headers=headers,
                timeout=10,
            )
        except httpx.TransportError:
            continue
