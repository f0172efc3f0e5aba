"""Delivery workers: one dispatcher per destination, many sends in parallel.

The dispatcher claims due deliveries from the store (at most one per stream
while ordering is on, so a subject's events leave in sequence while different
subjects go in parallel) and runs each in its own task, up to the
destination's ``workers``. A send is retried with exponential backoff and
jitter (tenacity) for transient errors; when the attempts run out the
delivery is parked in the store and claimed again later, never dropped. A
stock deficit is retried until the deficit window closes; a permanent
business error goes to the dead letters with the ERP's message.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Protocol

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    stop_after_attempt,
    wait_random_exponential,
)

from contracts import ContractError, PlantEvent
from gateway.config import RetryPolicy, _Destination
from gateway.errors import DeficitError, DeliveryError, PermanentError, TransientError
from gateway.intake import parse_one
from gateway.metrics import GatewayMetrics, log_delivery
from gateway.records import Delivery
from gateway.resilience import CircuitBreaker, RateLimiter
from gateway.store import SqliteStore

_IDLE_WAIT_S = 0.25
_BUSINESS_CODES = {"M3/897", "M7/021"}


class Sender(Protocol):
    """What a destination must offer the worker."""

    name: str

    async def send(
        self, event: PlantEvent, delivery: Delivery, idempotent: bool
    ) -> str:
        """Write the event; return a short reference of what the ERP made
        (or why nothing was needed). Raise a ``DeliveryError`` otherwise."""
        ...

    async def close(self) -> None: ...


class DestinationWorker:
    """Drains one destination's queue."""

    def __init__(
        self,
        sender: Sender,
        store: SqliteStore,
        settings: _Destination,
        policy: RetryPolicy,
        metrics: GatewayMetrics,
        *,
        retries: bool = True,
        idempotent_retries: bool = True,
    ) -> None:
        self.sender = sender
        self.name = sender.name
        self.store = store
        self.settings = settings
        self.policy = policy
        self.metrics = metrics
        self.retries = retries
        self.idempotent_retries = idempotent_retries
        self.wake = asyncio.Event()
        self.breaker = CircuitBreaker(
            settings.circuit_breaker.failures, settings.circuit_breaker.reset_s
        )
        self.rate = RateLimiter(
            settings.rate_limit.per_second, settings.rate_limit.burst
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._random = random.Random()

    async def run(self) -> None:
        """Claim and send until cancelled."""
        try:
            while True:
                await self._dispatch_once()
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _dispatch_once(self) -> None:
        if not self.breaker.allows():
            self.metrics.circuit_open.labels(self.name).set(1)
            await asyncio.sleep(min(self.breaker.wait_s(), 1.0) or 0.05)
            return
        self.metrics.circuit_open.labels(self.name).set(0)
        free = self.settings.workers - len(self._tasks)
        if self.breaker.state == "half_open":
            free = 1 if not self._tasks else 0
        if free <= 0:
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            return
        self.wake.clear()
        claimed = await self.store.claim(self.name, free)
        for delivery in claimed:
            task = asyncio.create_task(self._deliver(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._finished)
        if not claimed:
            try:
                await asyncio.wait_for(self.wake.wait(), _IDLE_WAIT_S)
            except TimeoutError:
                pass

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.wake.set()

    # One delivery --------------------------------------------------------------

    async def _deliver(self, delivery: Delivery) -> None:
        started = time.monotonic()
        attempts = delivery.attempts
        try:
            event = parse_one(delivery.body.encode())
        except ContractError as exc:
            await self._dead(delivery, attempts, "STORE", str(exc), started)
            return

        async def attempt() -> str:
            nonlocal attempts
            attempts += 1
            idempotent = self.idempotent_retries or attempts == 1
            await self.rate.acquire()
            self.metrics.attempts.labels(self.name).inc()
            try:
                reference = await self.sender.send(event, delivery, idempotent)
            except TransientError as exc:
                if exc.code not in _BUSINESS_CODES:
                    self.breaker.failure()
                raise
            except DeliveryError:
                raise
            except Exception as exc:  # a gateway bug: visible, never stuck
                raise PermanentError(
                    "GATEWAY", f"{type(exc).__name__}: {exc}"[:500]
                ) from exc
            self.breaker.success()
            return reference

        first_failed = delivery.first_failed_at
        try:
            reference: str = await self._retrying(delivery)(attempt)
        except DeficitError as exc:
            first_failed = first_failed or time.time()
            if not self.retries or self._deficit_expired(first_failed):
                await self._dead(delivery, attempts, exc.code, exc.message, started)
            else:
                await self._park(delivery, attempts, exc, first_failed, started)
        except TransientError as exc:
            if not self.retries:
                await self._dead(delivery, attempts, exc.code, exc.message, started)
            else:
                first_failed = first_failed or time.time()
                await self._park(delivery, attempts, exc, first_failed, started)
        except PermanentError as exc:
            await self._dead(delivery, attempts, exc.code, exc.message, started)
        else:
            await self.store.delivered(delivery, attempts)
            self._outcome(delivery, "delivered", attempts, started, reference=reference)

    def _retrying(self, delivery: Delivery) -> AsyncRetrying:
        policy = self.policy

        def should_retry(state: RetryCallState) -> bool:
            outcome = state.outcome
            if outcome is None or not outcome.failed:
                return False
            error = outcome.exception()
            if not isinstance(error, TransientError) or self.breaker.state == "open":
                return False
            if isinstance(error, DeficitError):
                since = delivery.first_failed_at or _wall(state.start_time)
                return not self._deficit_expired(since)
            return True

        return AsyncRetrying(
            stop=stop_after_attempt(policy.attempts if self.retries else 1),
            wait=wait_random_exponential(
                multiplier=policy.backoff_base_s, max=policy.backoff_max_s
            ),
            retry=should_retry,
            reraise=True,
        )

    def _deficit_expired(self, since: float) -> bool:
        return time.time() - since >= self.policy.deficit_window_s

    async def _park(
        self,
        delivery: Delivery,
        attempts: int,
        error: DeliveryError,
        first_failed: float,
        started: float,
    ) -> None:
        pause = self.policy.backoff_max_s * (0.5 + self._random.random() / 2)
        await self.store.park(
            delivery, attempts, error.code, error.message, time.time() + pause,
            first_failed,
        )
        self._outcome(delivery, "parked", attempts, started, code=error.code)

    async def _dead(
        self,
        delivery: Delivery,
        attempts: int,
        code: str,
        message: str,
        started: float,
    ) -> None:
        await self.store.dead(delivery, attempts, code, message)
        self._outcome(delivery, "dead", attempts, started, code=code, message=message)

    def _outcome(
        self,
        delivery: Delivery,
        outcome: str,
        attempts: int,
        started: float,
        **fields: str,
    ) -> None:
        elapsed = time.monotonic() - started
        self.metrics.deliveries.labels(self.name, outcome).inc()
        self.metrics.delivery_seconds.labels(self.name).observe(elapsed)
        log_delivery(
            event_id=delivery.event_id,
            destination=self.name,
            subject=delivery.subject,
            sequence=delivery.sequence,
            outcome=outcome,
            attempts=attempts,
            duration_ms=round(elapsed * 1000, 1),
            **fields,
        )



def _wall(monotonic_moment: float) -> float:
    """A ``time.monotonic()`` moment on the wall clock."""
    return time.time() - (time.monotonic() - monotonic_moment)
