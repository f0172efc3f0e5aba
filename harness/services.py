"""The embedded target: mocks and gateway as child processes on loopback.

Each part runs as ``plantwin serve ...`` in its own process, exactly as a
team would run it, so that a gateway crash can be a real ``kill -9`` and the
harness talks to every part over the wire only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from contracts.errors import PlantTwinError


class ServiceError(PlantTwinError):
    """A part of the embedded target did not start or stopped unexpectedly."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Service:
    """One ``plantwin serve`` child process with its log file."""

    def __init__(
        self,
        name: str,
        args: list[str],
        port: int,
        log_dir: Path,
        ready_path: str = "/",
        ready_timeout: float = 60.0,
    ) -> None:
        self.name = name
        self.args = args
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_dir / f"{name}.log"
        self.ready_path = ready_path
        self.ready_timeout = ready_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        command = [sys.executable, "-m", "harness", "serve", *self.args]
        log = self.log_path.open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env
        )
        log.close()
        self.starts += 1
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise ServiceError(
                    f"{self.name} exited with {self._process.returncode} at start; "
                    f"see {self.log_path}"
                )
            try:
                httpx.get(self.url + self.ready_path, timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise ServiceError(f"{self.name} did not answer within {self.ready_timeout} s")

    def kill(self) -> None:
        """Stop it the hard way (``kill -9``), as a crash would."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None
