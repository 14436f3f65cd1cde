"""Test support shared by every app (loaded as a pytest plugin from pyproject.toml)."""
