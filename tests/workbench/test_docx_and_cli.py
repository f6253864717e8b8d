"""A .docx round trip (built here with python-docx) and the two commands end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import docx

from huiqi.rules.yamlio import load_yaml_file
from huiqi.workbench.draft import read_source

from .conftest import POLICIES, ROOT


def huiqi(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "huiqi.cli.main", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def _docx(path: Path) -> Path:
    """Huangpu's measure 7 and its 附则, as a Word file would hold them (one paragraph each)."""
    d = docx.Document()
    for text in (
        "上海市黄浦区科学技术委员会",
        "黄科委规〔2025〕2号",
        "关于印发《黄浦区关于聚焦转化医学加快推进产医融合创新发展的若干措施》的通知",
        "2025年12月25日",
        "二、主要举措",
        "7、加速创新药物临床试验及获批上市。对获得市级资金支持的创新药,按照不超过市级资金 1:0.5 给予配套支持。"
        "对其他完成国内 I 期或 II 期临床试验,获得临床试验报告的 1 类新药,按照不超过研发投入的 30%,给予 I 期最高 200 万元、"
        "II 期最高 500 万元支持。单个主体每年最高 5000 万元。",
        "四、附则",
        "（二）本措施自颁布之日起 30 日后实施，有效期至 2027 年 12 月 31 日。",
    ):
        d.add_paragraph(text)
    table = d.add_table(rows=1, cols=1)
    table.cell(0, 0).text = "附表：申报材料清单"
    d.save(str(path))
    return path


def test_docx_round_trip(tmp_path):
    source = read_source(_docx(tmp_path / "measures.docx"))
    assert source.lines[1] == "黄科委规〔2025〕2号" and source.lines[-1] == "附表：申报材料清单"
    out = tmp_path / "draft.yaml"
    run = huiqi("policies", "draft", str(tmp_path / "measures.docx"), "--id", "huangpu-2025-2", "--out", str(out))
    assert run.returncode == 0, run.stderr
    data = load_yaml_file(out)
    text_file = (
        tmp_path / "draft.source.txt"
    )  # the lines quoted refer to the extracted text, written beside the draft
    assert data["document"]["seed"] == text_file.name and text_file.read_text(encoding="utf-8").splitlines()[
        5
    ].startswith("7、")
    (h7,) = data["programmes"]
    assert h7["id"] == "H7" and h7["title"] == "7、加速创新药物临床试验及获批上市"
    cases = h7["support"]["amount"]["cases"]
    assert cases[0]["amount"]["match"]["ratio"] == "0.5" and [c["amount"]["rate"]["cap"] for c in cases[1:]] == [
        2000000,
        5000000,
    ]
    assert all(c["clause"]["line"] == 6 for c in cases)
    assert data["caps"][0]["amount"] == 50000000
    assert str(data["document"]["in_force"]["from"]) == "2026-01-24"


def test_cli_draft_then_score(tmp_path):
    doc = load_yaml_file(POLICIES / "huangpu-2025-2.yaml")["document"]
    out = tmp_path / "h.yaml"
    run = huiqi(
        "policies", "draft", str(POLICIES / "sources" / doc["seed"]), "--id", "huangpu-2025-2", "--out", str(out)
    )
    assert run.returncode == 0, run.stderr
    assert "12 个项目 / programmes" in run.stdout
    again = huiqi(
        "policies", "draft", str(POLICIES / "sources" / doc["seed"]), "--id", "huangpu-2025-2", "--out", str(out)
    )
    assert again.returncode == 2 and "--out" in again.stderr and "exists" in again.stderr  # never overwrites silently
    table = huiqi("policies", "draft-score", str(out), str(POLICIES / "huangpu-2025-2.yaml"))
    assert table.returncode == 0, table.stderr
    assert "H7b" in table.stdout and "money      recall 22/22" in table.stdout
    as_json = json.loads(
        huiqi("policies", "draft-score", str(out), str(POLICIES / "huangpu-2025-2.yaml"), "--json").stdout
    )
    assert as_json["totals"]["rate"]["found"] == as_json["totals"]["rate"]["total"] == 12


def test_cli_bad_input_is_bilingual_exit_2(tmp_path):
    run = huiqi("policies", "draft", str(tmp_path / "missing.txt"), "--id", "x", "--out", str(tmp_path / "x.yaml"))
    assert (
        run.returncode == 2
        and "文件不存在" in run.stderr
        and "no such file" in run.stderr
        and "Traceback" not in run.stderr
    )
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip")
    run = huiqi("policies", "draft", str(bad), "--id", "x", "--out", str(tmp_path / "x.yaml"))
    assert run.returncode == 2 and "无法读取原文" in run.stderr and "Traceback" not in run.stderr
