"""Fixtures for every test: the audit key comes from the environment, never from a key file in the
working tree (the tests of the key file itself set ``HUIQI_DATA_DIR`` to a temporary folder)."""

from __future__ import annotations

import pytest

TEST_AUDIT_KEY = "test-audit-key-" + "k" * 40


@pytest.fixture(autouse=True)
def _audit_key(monkeypatch):
    from huiqi.audit import keys

    monkeypatch.setenv(keys.ENV_KEY, TEST_AUDIT_KEY)
    keys.configure()
    yield
    keys.configure()
