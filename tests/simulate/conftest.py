import datetime as dt

import pytest

from huiqi.rules import load_policies


@pytest.fixture(scope="session")
def policies():
    return load_policies()


@pytest.fixture(scope="session")
def on():
    return dt.date(2025, 9, 1)
