"""``python -m harness`` is the ``plantwin`` command."""

from harness.cli import main

main()
