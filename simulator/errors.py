"""Errors of the plant twin: one base class, messages that name the YAML path."""

from __future__ import annotations

from collections.abc import Sequence

from contracts import PlantTwinError


class SimulatorError(PlantTwinError):
    """Base of every error the plant twin raises on bad input or bad state."""


class PlantModelError(SimulatorError, ValueError):
    """A plant model breaks a rule; one ``path: value rule`` line per problem.

    ``problems`` keeps the ``(path, message)`` pairs for callers that want to
    show them one by one.
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(message for _, message in self.problems))


class EdgeError(SimulatorError):
    """The plant edge cannot be built or a sink is misconfigured."""


class CalibrationError(SimulatorError, ValueError):
    """A machine-state log cannot be read or fitted."""
