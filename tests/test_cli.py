"""The plantwin command answers --version and --help from the start."""

from __future__ import annotations

import subprocess
import sys

import contracts


def plantwin(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from harness.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_version() -> None:
    result = plantwin("--version")

    assert result.returncode == 0
    assert result.stdout.strip() == f"plantwin {contracts.__version__}"


def test_help_lists_the_commands() -> None:
    result = plantwin("--help")

    assert result.returncode == 0
    for command in ("schemas", "serve"):
        assert command in result.stdout
