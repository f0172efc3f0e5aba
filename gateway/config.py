"""The gateway configuration: one YAML file, validated with path-precise errors.

```yaml
listen: {host: 127.0.0.1, port: 8300}
store: {kind: sqlite, path: gateway.sqlite}      # or {kind: postgres, dsn: ...}
master_data: ../masterdata/sample.yaml
plants: {P100: {key: plant-key-p100}}
operator_key: operator-key
destinations:
  sap: {enabled: true, base_url: "http://127.0.0.1:8100", user: PLANTTWIN,
        password: planttwin, client: "100"}
  odoo: {enabled: false, url: "http://127.0.0.1:8200", db: planttwin,
         login: integration, api_key: "..."}
ordering: {gap_timeout_s: 30}
monitoring: {stuck_after_s: 300}
retry: {attempts: 5, backoff_base_s: 0.2, backoff_max_s: 5, deficit_window_s: 120}
defects: []
```

Relative paths resolve against the file's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.errors import problems_from
from gateway.errors import ConfigError

Defect = Literal[
    "no_dedup",
    "no_ordering",
    "no_retries",
    "retries_without_idempotency",
    "utc_posting_date",
    "ignore_unit_conversion",
]
DEFECT_EFFECTS: dict[str, str] = {
    "no_dedup": "a repeated event id is stored and delivered again",
    "no_ordering": "events leave as they arrive, not in sequence per subject",
    "no_retries": "a transient failure is a dead letter at once",
    "retries_without_idempotency": (
        "retries carry no RequestID and do not search Odoo first"
    ),
    "utc_posting_date": "posting dates are the UTC day, not the plant's",
    "ignore_unit_conversion": "quantities are posted in the plant's number",
}
"""What each deliberate defect breaks, as the gateway's start-up log says."""
DEFECTS: tuple[str, ...] = tuple(DEFECT_EFFECTS)
Seconds = Annotated[float, Field(ge=0)]
PositiveSeconds = Annotated[float, Field(gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Listen(_Model):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8300


class StoreConfig(_Model):
    """Where the durable queue lives: SQLite (default) or PostgreSQL.

    With PostgreSQL several replicas share one queue (``schema_name``); each
    names itself (``replica``) so that a restarted replica takes back its own
    claims at once and others' after ``lease_s``.
    """

    kind: Literal["sqlite", "postgres"] = "sqlite"
    path: Path = Path("gateway.sqlite")
    dsn: str | None = None
    synchronous: Literal["normal", "full"] = "normal"
    schema_name: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")] = (
        "planttwin_gateway"
    )
    replica: Annotated[str, Field(min_length=1, max_length=64)] = "gateway-1"
    lease_s: PositiveSeconds = 120.0

    @model_validator(mode="after")
    def _postgres_needs_dsn(self) -> StoreConfig:
        if self.kind == "postgres" and not self.dsn:
            raise ValueError("dsn: is required when kind is 'postgres'")
        return self


class PlantAccess(_Model):
    key: Annotated[str, Field(min_length=8)]


class RateLimit(_Model):
    """A token bucket: ``per_second`` requests, bursts of ``burst``."""

    per_second: PositiveSeconds = 500.0
    burst: Annotated[int, Field(ge=1)] = 100


class CircuitBreakerConfig(_Model):
    """Opens after ``failures`` transient failures in a row; tries again
    after ``reset_s``."""

    failures: Annotated[int, Field(ge=1)] = 20
    reset_s: PositiveSeconds = 2.0


class _Destination(_Model):
    enabled: bool = True
    workers: Annotated[int, Field(ge=1, le=256)] = 16
    timeout_s: PositiveSeconds = 10.0
    rate_limit: RateLimit = RateLimit()
    circuit_breaker: CircuitBreakerConfig = CircuitBreakerConfig()


class SapDestination(_Destination):
    """An SAP S/4HANA system reached over OData V2."""

    base_url: str
    user: str = "PLANTTWIN"
    password: str = "planttwin"
    client: str | None = None


class OdooDestination(_Destination):
    """An Odoo database reached over its external JSON-RPC API."""

    url: str
    db: str
    login: str
    api_key: str | None = None
    password: str | None = None

    @model_validator(mode="after")
    def _needs_secret(self) -> OdooDestination:
        if not (self.api_key or self.password):
            raise ValueError("api_key or password: one of them is required")
        return self


class Destinations(_Model):
    sap: SapDestination | None = None
    odoo: OdooDestination | None = None


class Ordering(_Model):
    gap_timeout_s: Seconds = 30.0


class RetryPolicy(_Model):
    """Retries of one delivery: ``attempts`` tries with exponential backoff
    and jitter between ``backoff_base_s`` and ``backoff_max_s``; after that
    the delivery is parked and claimed again later, never dropped. A stock
    deficit is retried for ``deficit_window_s`` and then dead-lettered."""

    attempts: Annotated[int, Field(ge=1, le=100)] = 5
    backoff_base_s: PositiveSeconds = 0.1
    backoff_max_s: PositiveSeconds = 5.0
    deficit_window_s: Seconds = 120.0


class Ingress(_Model):
    max_event_bytes: Annotated[int, Field(ge=1024)] = 256 * 1024
    max_batch_bytes: Annotated[int, Field(ge=1024)] = 16 * 1024 * 1024
    max_batch_events: Annotated[int, Field(ge=1)] = 5000
    backlog_high_water: Annotated[int, Field(ge=1)] = 200_000
    retry_after_s: Annotated[int, Field(ge=1)] = 5


class Monitoring(_Model):
    """A stream whose oldest open delivery is older than ``stuck_after_s`` is
    listed as stuck in ``/v1/status``."""

    stuck_after_s: PositiveSeconds = 300.0


class Mqtt(_Model):
    """An MQTT subscription for plant edges that publish; the topic level
    ``plant_level`` (0-based) names the plant whose events it may carry."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 1883
    topic: str = "planttwin/+/events"
    plant_level: Annotated[int, Field(ge=0)] | None = 1
    qos: Literal[0, 1, 2] = 1
    client_id: str = "planttwin-gateway"


class GatewayConfig(_Model):
    """Everything the gateway needs, from one YAML file."""

    listen: Listen = Listen()
    store: StoreConfig = StoreConfig()
    master_data: Path
    plants: dict[str, PlantAccess] = Field(min_length=1)
    operator_key: Annotated[str, Field(min_length=8)]
    destinations: Destinations = Destinations()
    ordering: Ordering = Ordering()
    retry: RetryPolicy = RetryPolicy()
    ingress: Ingress = Ingress()
    mqtt: Mqtt = Mqtt()
    monitoring: Monitoring = Monitoring()
    defects: list[Defect] = Field(default_factory=list)

    def has(self, defect: Defect) -> bool:
        """Whether the deliberate ``defect`` is switched on."""
        return defect in self.defects

    def enabled_destinations(self) -> list[str]:
        names = []
        if self.destinations.sap is not None and self.destinations.sap.enabled:
            names.append("sap")
        if self.destinations.odoo is not None and self.destinations.odoo.enabled:
            names.append("odoo")
        return names


def parse_config(raw: object, source: str = "gateway config") -> GatewayConfig:
    """Validate a configuration mapping; errors name the YAML path."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: must be a YAML mapping")
    try:
        return GatewayConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{source}: {text}" for _, text in problems_from(exc)]
        raise ConfigError("\n".join(lines)) from None


def load_config(path: str | Path) -> GatewayConfig:
    """Read the configuration file; relative paths resolve against its folder."""
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {exc}") from None
    config = parse_config(raw, source=str(file))
    folder = file.parent
    store = config.store
    if store.kind == "sqlite" and not store.path.is_absolute():
        store = store.model_copy(update={"path": folder / store.path})
    master = config.master_data
    if not master.is_absolute():
        master = folder / master
    return config.model_copy(update={"store": store, "master_data": master})
