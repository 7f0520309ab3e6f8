"""Fixtures the app tests share beyond tests/conftest.py: a real RFC 3161 TSA (``tsa``)."""

from tests.app.tsa_server import tsa  # noqa: F401  (a fixture, found by pytest here)
