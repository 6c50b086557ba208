"""What the test suites share: constants, servers, clients, waiting and trading helpers.

Tests import from here, never from a conftest.py; the fixtures built on it are in `fixtures.py`,
registered for the whole suite through `pytest_plugins` in tests/conftest.py.
"""
