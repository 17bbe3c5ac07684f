"""Shared fixtures. Tests never read ../shared: every letter is built in code (tests/builders)."""
