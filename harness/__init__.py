"""Scenario runner, nemesis, oracle, reports and the plantwin command."""
