"""Shared fixtures: the Pulumi engine harness and the PostgreSQL server (see tests/harness/)."""

pytest_plugins = ["tests.harness.fixtures", "tests.harness.postgres"]
