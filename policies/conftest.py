"""Collect the policy tests (YAML situations under policies/tests/) as pytest items."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiqi.rules import load_policies
from huiqi.rules.policytests import read_cases, run_case

POLICY_DIR = Path(__file__).parent
_POLICIES = None


def _policies():
    global _POLICIES
    if _POLICIES is None:
        _POLICIES = load_policies(POLICY_DIR)
    return _POLICIES


def pytest_collect_file(parent, file_path: Path):
    if file_path.suffix == ".yaml" and (POLICY_DIR / "tests") in file_path.parents:
        return PolicyTestFile.from_parent(parent, path=file_path)
    return None


class PolicyTestFile(pytest.File):
    def collect(self):
        for case in read_cases(self.path):
            yield PolicyCaseItem.from_parent(self, name=f"{case.name} [line {case.line}]", case=case)


class PolicyCaseItem(pytest.Item):
    def __init__(self, *, case, **kwargs):
        super().__init__(**kwargs)
        self.case = case

    def runtest(self):
        errors = run_case(self.case, _policies())
        if errors:
            raise PolicyCaseFailure(errors)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, PolicyCaseFailure):
            return f"{self.case.file}:{self.case.line} {self.case.name}\n  clause: {self.case.clause}\n  " + "\n  ".join(excinfo.value.errors)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.case.line, self.case.name


class PolicyCaseFailure(Exception):
    def __init__(self, errors):
        self.errors = errors
