"""Crews and their operators, named and badged by a seeded Faker."""

from __future__ import annotations

from typing import Any

from simulator.model import Crews

_LETTERS = "ABCDEFGHIJKL"


def roster(plant: str, crews: Crews, seed: int) -> dict[str, Any]:
    """Crew code → operators (name and badge number) for one plant."""
    from faker import Faker

    fake = Faker()
    fake.seed_instance(seed)
    teams: dict[str, Any] = {}
    badge = 0
    for index in range(crews.count):
        members = []
        for _ in range(crews.operators):
            badge += 1
            members.append({"name": fake.name(), "badge": f"{plant}-{badge:05d}"})
        teams[f"{plant}/CREW-{_LETTERS[index]}"] = members
    return teams
