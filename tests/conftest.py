"""For every test: the audit key comes from the environment, never from a key file in the working
tree. Set when the session starts, before any fixture (session-scoped ones seed databases too);
the tests of the key file itself unset it and point ``HUIQI_DATA_DIR`` at a temporary folder."""

from __future__ import annotations

import os

import pytest

TEST_AUDIT_KEY = "test-audit-key-" + "k" * 40


def pytest_configure(config):  # noqa: ANN001, ARG001
    from huiqi.audit import keys

    os.environ[keys.ENV_KEY] = TEST_AUDIT_KEY


@pytest.fixture(autouse=True)
def _audit_key(monkeypatch):
    from huiqi.audit import keys

    monkeypatch.setenv(keys.ENV_KEY, TEST_AUDIT_KEY)
    keys.configure()
    yield
    keys.configure()
