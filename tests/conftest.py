"""Shared fixtures: the local site server and database fixtures live in their own plugin modules."""

pytest_plugins = ["tests.fixtures_db", "tests.fixtures_sites"]
