"""Suite-wide rules: in CI (CI=true) a PostgreSQL, browser or Spark test may never skip."""

from __future__ import annotations

import os

import pytest

SERVICE_MARKERS = ("postgres", "browser", "spark")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI", "").lower() != "true" or not report.skipped:
        return
    marked = [m for m in SERVICE_MARKERS if item.get_closest_marker(m)]
    if marked:
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid}: a {'/'.join(marked)} test skipped in CI, where it must run ({report.longrepr})"
