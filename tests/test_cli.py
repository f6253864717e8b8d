"""The `huiqi` command: results, JSON schema, and bad input → exit 2, bilingual, no traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def huiqi(*args: str, input_text: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "huiqi.cli.main", *args], capture_output=True, text=True, cwd=ROOT, input=input_text, timeout=120)


def test_match_json_schema_and_values():
    # 金科〔2025〕25号 专题四 3.支持标准（1）: 1 类 II 期 4200 万 × 10% = 420 万 → 最高 200 万;
    # I 期 680 万 × 10% = 68 万 (≤ 100 万); 专题五: 三类器械 2600 万 × 10% = 260 万 → 200 万;
    # 专题二: 同一品种两个规格只计一次，100 万.
    out = huiqi("match", "examples/jinshan-clinical-stage-biotech.yaml", "--on", "2025-10-15", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in ("schema", "results", "total_ceiling", "policy_version", "on"):
        assert key in data
    by = {(r["programme"], r["claim"]): r for r in data["results"]}
    for r in data["results"]:
        for key in ("programme", "document", "title", "status", "claim", "ceiling", "discretionary", "steps", "failed", "soft_failed", "missing", "citations"):
            assert key in r
    assert by[("J2.4", "trial-CM310-II")]["ceiling"] == "2000000.00"
    assert by[("J2.4", "trial-CM205-I")]["ceiling"] == "680000.00"
    assert by[("J2.5", "device-ablation-catheter")]["ceiling"] == "2000000.00"
    assert by[("J2.2", "generic-metformin-0.5g")]["ceiling"] == "1000000.00"
    assert by[("J2.2", "generic-metformin-0.75g")]["status"] == "ineligible"
    citation = by[("J2.4", "trial-CM310-II")]["citations"][-1]
    assert citation["document"] == "金科〔2025〕25号" and citation["line"]


def test_match_table_renders():
    out = huiqi("match", "examples/jinshan-clinical-stage-biotech.yaml", "--on", "2025-10-15")
    assert out.returncode == 0 and "J2.4" in out.stdout


def test_match_table_groups_by_document_eligible_first_and_collapses_a_document_that_does_not_apply():
    # Issue 16: a Jinshan company's table opened with 19 Huangpu “不在政策适用范围” rows. 黄科委规〔2025〕2号
    # applies to units 符合黄浦产业导向 registered in Huangpu (scope criterion registered_in_huangpu): for
    # this Jinshan profile all 19 measures are out of scope and must read as one line, after Jinshan's table.
    import os

    env = dict(os.environ, COLUMNS="400")
    out = subprocess.run([sys.executable, "-m", "huiqi.cli.main", "match", "examples/jinshan-clinical-stage-biotech.yaml", "--on", "2025-10-15"], capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    huangpu = [i for i, line in enumerate(lines) if "黄科委规〔2025〕2号" in line]
    assert len(huangpu) == 1, huangpu  # one line, not 19 rows
    assert "不适用" in lines[huangpu[0]] and "在黄浦区注册登记" in lines[huangpu[0]] and "19 个项目" in lines[huangpu[0]]
    assert not any(re.search(r"\bH\d+[a-c]?\b", line) for line in lines)  # no Huangpu programme row at all
    jinshan = next(i for i, line in enumerate(lines) if "金科〔2025〕25号" in line)
    assert jinshan < huangpu[0]
    # within Jinshan's table: every eligible row before the first needs-info row, and those before ineligible
    rows = [line for line in lines[jinshan:huangpu[0]] if re.search(r"│ (符合条件|需补充信息|不符合条件) ", line)]
    order = [re.search(r"│ (符合条件|需补充信息|不符合条件) ", r).group(1) for r in rows]
    rank = {"符合条件": 0, "需补充信息": 1, "不符合条件": 2}
    assert order == sorted(order, key=rank.get) and order[0] == "符合条件" and order.count("符合条件") == 4


@pytest.mark.parametrize(
    "content, suffix, field",
    [
        ("enterprise: {registered_district: 金山区, employees: -3}\n", ".yaml", "enterprise.employees"),
        ("enterprise: {uscc: 91310116MA1J8ABC1W}\n", ".yaml", "enterprise.uscc"),
        ("enterprise: {registered_district: 金山区}\nclaims:\n  - {kind: trial, clinical_approval_date: 2025-02-30}\n", ".yaml", "claims[0].clinical_approval_date"),
        ("enterprise: {colour: red}\n", ".yaml", "enterprise.colour"),
        ("enterprise: [unclosed\n", ".yaml", "profile"),
        ('{"enterprise": {"main_revenue_last_year": "lots"}}', ".json", "enterprise.main_revenue_last_year"),
    ],
)
def test_bad_profile_exits_2_with_bilingual_message(tmp_path, content, suffix, field):
    path = tmp_path / f"p{suffix}"
    path.write_text(content, encoding="utf-8")
    out = huiqi("match", str(path))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout
    assert field in out.stderr and "错误" in out.stderr and "error" in out.stderr


LAUGHS = "".join(f"{c}: &{c} [{', '.join(['*' + p] * 9) if p else ', '.join(['lol'] * 9)}]\n" for p, c in zip([""] + list("abcdefgh"), "abcdefghi"))


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("gbk.yaml", "enterprise: {registered_district: 金山区}\n".encode("gbk"), ["not UTF-8", ":1:", "line 1"]),
        ("binary.yaml", b"enterprise: {}\n" + bytes(range(128, 256)), ["not UTF-8", "line 2"]),
        ("deep.yaml", ("a: " + "[" * 10_000 + "]" * 10_000).encode(), ["nested more than 100 levels", ":1:"]),
        ("deep-block.yaml", "".join("  " * i + "k:\n" for i in range(10_000)).encode(), ["nested more than 100 levels", "line 100"]),
        ("laughs.yaml", LAUGHS.encode(), ["billion laughs", "line"]),
        ("list.json", b"[1, 2]", ["must be a mapping"]),
        ("scalar.json", b"3", ["must be a mapping"]),
        ("empty.yaml", b"", ["the file is empty"]),
        ("empty.json", b"  \n", ["the file is empty"]),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, ["nested too deeply"]),
    ],
)
def test_hostile_profile_files_exit_2_naming_the_file(tmp_path, name, content, expected):
    """Issue 14, finding 6: “`huiqi match` on a non-UTF-8 file or YAML nested 10,000 deep” gave an
    internal error; now a bilingual error naming the file (and the line where there is one)."""
    path = tmp_path / name
    path.write_bytes(content)
    out = huiqi("match", str(path))
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr + out.stdout and "internal error" not in out.stderr
    text = " ".join(out.stderr.split())  # rich wraps long lines
    assert name in text and "错误" in text and "error" in text
    for piece in expected:
        assert piece in text, (piece, text)


def test_bad_date_option():
    out = huiqi("match", "examples/jinshan-clinical-stage-biotech.yaml", "--on", "2025-13-01")
    assert out.returncode == 2 and "--on" in out.stderr and "Traceback" not in out.stderr


def test_missing_profile_file():
    out = huiqi("match", "no-such-file.yaml")
    assert out.returncode == 2 and "no such file" in out.stderr


def test_policies_check_and_list():
    out = huiqi("policies", "check")
    assert out.returncode == 0, out.stderr
    out = huiqi("policies", "list", "--json")
    data = json.loads(out.stdout)
    numbers = {d["number"] for d in data["documents"]}
    assert "金科〔2025〕25号" in numbers


def test_policies_check_reports_file_and_line(tmp_path):
    (tmp_path / "facts.yaml").write_text((ROOT / "policies" / "facts.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    doc = (ROOT / "policies" / "jinshan-2025-25.yaml").read_text(encoding="utf-8").replace("test: drug.marketed_in_district", "test: drug.marketed_on_mars")
    (tmp_path / "jinshan.yaml").write_text(doc, encoding="utf-8")
    out = huiqi("policies", "check", "--policies", str(tmp_path))
    assert out.returncode == 2
    line = doc.splitlines().index(next(l for l in doc.splitlines() if "marketed_on_mars" in l)) + 1
    assert f"jinshan.yaml:{line}" in out.stderr and "drug.marketed_on_mars" in out.stderr


def test_schema_profile_is_json_schema():
    out = huiqi("schema", "profile")
    schema = json.loads(out.stdout)
    assert schema["properties"]["enterprise"]["properties"]["registered_district"]["type"] == "string"
    kinds = {v["properties"]["kind"]["const"] for v in schema["properties"]["claims"]["items"]["oneOf"]}
    assert {"trial", "drug", "device", "platform"} <= kinds


def test_coverage_maps_every_inventory_item_to_programmes_and_tests():
    out = huiqi("policies", "coverage", "--json")
    assert out.returncode == 0, out.stdout[-2000:]
    rows = json.loads(out.stdout)
    ids = {r["id"] for r in rows}
    # shared/INVENTORY.md: 29 Jinshan topics + J9, 12 Huangpu measures + H0
    expected = {"J1.1", "J1.2", "J2.1", "J2.2", "J2.3", "J2.4", "J2.5", "J2.6", "J3.1", "J4.1", "J4.2"}
    expected |= {f"J5.{i}" for i in range(1, 8)} | {f"J6.{i}" for i in range(1, 6)} | {f"J7.{i}" for i in range(1, 5)}
    expected |= {"J8.1", "J8.2", "J9"} | {f"H{i}" for i in range(0, 13)}
    assert expected <= ids
    for r in rows:
        assert r["programmes"] and r["tests"] > 0, r


def test_coverage_exits_non_zero_when_a_topic_has_no_programme(tmp_path):
    (tmp_path / "facts.yaml").write_text((ROOT / "policies" / "facts.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    doc = (ROOT / "tests" / "rules" / "fixture_policies" / "test-doc.yaml").read_text(encoding="utf-8")
    facts = (ROOT / "tests" / "rules" / "fixture_policies" / "facts.yaml").read_text(encoding="utf-8")
    (tmp_path / "facts.yaml").write_text(facts, encoding="utf-8")
    (tmp_path / "d.yaml").write_text(doc + "sections:\n  - {id: X1, title: 未编码的专题, line: 1}\n", encoding="utf-8")
    out = huiqi("policies", "coverage", "--json", "--policies", str(tmp_path))
    assert out.returncode == 1
    assert json.loads(out.stdout)[0]["programmes"] == []


@pytest.mark.parametrize(
    "args, named",
    [
        (("match",), "profile"),  # a missing argument
        (("round", "budget", "JS-2026", "--amount", "1600000"), "--reason"),  # a missing required option
        (("application", "credit-override", "abc", "--reason", "已修复"), "application_id"),  # not an integer
        (("decision", "approve", "1", "1000", "--colour", "red"), "--colour"),  # no such option
    ],
)
def test_usage_errors_exit_2_naming_the_parameter(args, named):
    # Typer ≥ 0.2x raises its own copy of click's exceptions (typer._click): still a usage error,
    # exit 2, never "internal error" and never a traceback; parsing fails before any database use
    out = huiqi(*args)
    assert out.returncode == 2, out.stderr
    assert "用法错误 / usage error" in out.stderr and "internal error" not in out.stderr and "Traceback" not in out.stderr
    assert named in out.stderr.lower() or named in out.stderr
