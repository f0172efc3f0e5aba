"""Scenario files: what to run, which faults to inject, what must hold.

A scenario names a plant model and its master data, a seed, how long the
plant runs (``3 shifts``, ``8h``, ``7d``), how fast the plant clock runs
against the wall clock, the target (the embedded gateway and mocks, or the
addresses of an external integration path), the faults scheduled in plant
time and the expectations that decide pass or fail.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from contracts.errors import PlantTwinError, problems_from

FINDING_KINDS = ("lost", "duplicated", "misordered", "divergent", "late", "stuck")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


class ScenarioError(PlantTwinError):
    """A scenario file is unreadable or breaks a rule; exit 2."""


def parse_duration(text: Any) -> timedelta:
    """``'90s'``, ``'30m'``, ``'1h30m'``, ``'7d'`` → a timedelta."""
    if isinstance(text, int | float) and not isinstance(text, bool) and text >= 0:
        return timedelta(seconds=text)
    if not isinstance(text, str):
        raise ValueError("is not a duration; use e.g. '30m' or '2h'")
    compact = text.replace(" ", "").lower()
    parts = _PART.findall(compact)
    if not compact or "".join(a + b for a, b in parts) != compact:
        raise ValueError("is not a duration; use e.g. '30m' or '2h'")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": r"^(\s*\d+(\.\d+)?\s*[dhms])+\s*$"},
        {"type": "number", "minimum": 0},
    ],
    "description": "plant time: '90s', '30m', '1h30m', '7d', or seconds",
}
Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    WithJsonSchema(_DURATION_SCHEMA),
]


def _shifts_or_duration(value: Any) -> Any:
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+)\s*shifts?\s*", value)
        if match:
            return {"shifts": int(match.group(1))}
        return {"span": parse_duration(value)}
    return value


class RunLength(BaseModel):
    """How long the plant runs: whole shifts, or a span of plant time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shifts: Annotated[int, Field(ge=1, le=2000)] | None = None
    span: timedelta | None = None

    def shift_count(self, shift_hours: float) -> int:
        """Whole shifts that cover the run (at least one)."""
        if self.shifts is not None:
            return self.shifts
        assert self.span is not None
        hours = self.span.total_seconds() / 3600
        return max(1, int(-(-hours // shift_hours)))


class Clock(BaseModel):
    """``virtual``: as fast as possible; ``scaled``: ``speed`` plant seconds per
    wall second, so that faults in plant time last long enough to matter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["virtual", "scaled"] = "scaled"
    speed: Annotated[float, Field(gt=0, le=1_000_000)] = 3600.0


FaultKind = Literal[
    "sap_outage",
    "sap_slowness",
    "sap_error_rate",
    "sap_lost_ack",
    "sap_locked_material",
    "sap_closed_period",
    "odoo_outage",
    "odoo_serialization_failure",
    "odoo_lost_ack",
    "wan_partition",
    "duplicate_delivery",
    "reordered_delivery",
    "gateway_crash",
    "poison_events",
    "master_data_gap",
    "clock_skew",
]


class Fault(BaseModel):
    """One fault, scheduled in plant time from the start of the run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    at: Duration
    duration: Duration = timedelta(0)
    plant: str | None = None
    rate: Annotated[float, Field(ge=0, le=1)] = 1.0
    latency_ms: Annotated[int, Field(ge=0, le=120_000)] = 2000
    status: Annotated[int, Field(ge=400, le=599)] = 503
    window: Annotated[int, Field(ge=2, le=1000)] = 8
    count: Annotated[int, Field(ge=1, le=1000)] = 3
    material: str | None = None
    unit: str | None = None
    skew: Duration = timedelta(0)


class Target(BaseModel):
    """Where the integration path and the mocks are. ``embedded`` starts them;
    ``external`` uses the given addresses (a team's own middleware)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["embedded", "external"] = "embedded"
    gateway_url: str | None = None
    plant_keys: dict[str, str] = Field(default_factory=dict)
    operator_key: str | None = None
    sap_url: str | None = None
    odoo_url: str | None = None

    @model_validator(mode="after")
    def _external_needs_addresses(self) -> Target:
        if self.mode == "external" and not (self.gateway_url and self.sap_url):
            raise ValueError("external targets need gateway_url and sap_url")
        return self


class GatewaySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    store: Literal["sqlite", "postgres"] = "sqlite"
    defects: list[
        Literal[
            "no_dedup",
            "no_ordering",
            "no_retries",
            "retries_without_idempotency",
            "utc_posting_date",
            "ignore_unit_conversion",
        ]
    ] = Field(default_factory=list)
    gap_timeout: Duration = timedelta(seconds=30)


class Expectations(BaseModel):
    """What must hold for the scenario to pass."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_findings: dict[
        Literal["lost", "duplicated", "misordered", "divergent", "late", "stuck"],
        Annotated[int, Field(ge=0)],
    ] = Field(default_factory=dict)
    # A fault that must show: e.g. a master-data gap must leave dead letters.
    min_findings: dict[
        Literal["lost", "duplicated", "misordered", "divergent", "late", "stuck"],
        Annotated[int, Field(ge=1)],
    ] = Field(default_factory=dict)
    latency_ms: dict[str, Annotated[int, Field(gt=0)]] = Field(default_factory=dict)
    drain_timeout: Duration = timedelta(seconds=60)
    scrap_rate_tolerance: Annotated[float, Field(ge=0, le=1)] = 0.0005

    def allowed(self, kind: str) -> int:
        for name, limit in self.max_findings.items():
            if name == kind:
                return limit
        return 0


def _sap_only() -> list[Literal["sap", "odoo"]]:
    return ["sap"]


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    description: str = ""
    plant: Path
    master_data: Path | None = None
    seed: int = 1
    duration: Annotated[
        RunLength,
        BeforeValidator(_shifts_or_duration),
        WithJsonSchema(
            {
                "type": "string",
                "pattern": r"^\s*(\d+\s*shifts?|(\d+(\.\d+)?\s*[dhms])+)\s*$",
                "description": "'3 shifts' or plant time such as '7d'",
            }
        ),
    ]
    clock: Clock = Clock()
    load: Annotated[float, Field(gt=0, le=100)] = 1.0
    erps: list[Literal["sap", "odoo"]] = Field(default_factory=_sap_only)
    target: Target = Target()
    gateway: GatewaySettings = GatewaySettings()
    faults: list[Fault] = Field(default_factory=list)
    expect: Expectations = Expectations()
    source: Path = Path(".")


def load_scenario(path: str | Path) -> Scenario:
    """Read one scenario; relative paths in it resolve against its folder."""
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{file}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{file}: a scenario must be a YAML mapping")
    label = f"scenario {raw.get('name', file.stem)!r}"
    try:
        scenario = Scenario.model_validate({**raw, "source": file})
    except ValidationError as exc:
        lines = [f"{label}: {text}" for _, text in problems_from(exc)]
        raise ScenarioError("\n".join(lines)) from None
    folder = file.parent
    return scenario.model_copy(
        update={
            "plant": (folder / scenario.plant).resolve(),
            "master_data": (folder / scenario.master_data).resolve()
            if scenario.master_data
            else None,
        }
    )


def discover(paths: list[Path]) -> list[Path]:
    """Scenario files among ``paths`` (folders give their ``*.yaml``, sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.glob("*.yaml")))
        elif path.exists():
            found.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or folder")
    if not found:
        raise ScenarioError("no scenario files found in " + ", ".join(map(str, paths)))
    return found


def scenario_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file, for editors (beside the contracts)."""
    schema = Scenario.model_json_schema(mode="validation")
    schema["properties"].pop("source", None)
    schema["title"] = "PlantTwin scenario"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "planttwin:scenario",
        **schema,
    }
