"""Protection of a destination: a rate limit and a circuit breaker.

The rate limit is a token bucket shared by a destination's workers. The
circuit breaker opens after a run of transient failures, so that an ERP that
is down is not hammered by every worker at once; after ``reset_s`` one probe
goes through (half-open) and its outcome closes or reopens the circuit.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal

CircuitState = Literal["closed", "open", "half_open"]


class RateLimiter:
    """At most ``per_second`` acquisitions per second, bursts of ``burst``."""

    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(
                    self.burst, self._tokens + (now - self._stamp) * self.per_second
                )
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.per_second)


class CircuitBreaker:
    """Closed → open after ``failures`` transient failures in a row; open →
    half-open after ``reset_s``; a success in half-open closes it."""

    def __init__(self, failures: int, reset_s: float) -> None:
        self.failures = failures
        self.reset_s = reset_s
        self.state: CircuitState = "closed"
        self.opened = 0
        self._run = 0
        self._opened_at = 0.0

    def allows(self) -> bool:
        """Whether a delivery may be tried now."""
        if self.state == "open":
            if time.monotonic() - self._opened_at < self.reset_s:
                return False
            self.state = "half_open"
        return True

    def wait_s(self) -> float:
        """How long until an open circuit lets a probe through."""
        if self.state != "open":
            return 0.0
        return max(0.0, self.reset_s - (time.monotonic() - self._opened_at))

    def success(self) -> None:
        self._run = 0
        self.state = "closed"

    def failure(self) -> None:
        self._run += 1
        if self.state == "half_open" or self._run >= self.failures:
            if self.state != "open":
                self.opened += 1
            self.state = "open"
            self._opened_at = time.monotonic()
