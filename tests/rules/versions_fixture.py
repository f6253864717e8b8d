"""A crafted revision of 黄科委规〔2025〕2号 for the version tests (NOT a real document): the same
programmes, in force 2028-01-01 – 2029-12-31 (the real one ends 2027-12-31, 附则（二）, seed 004 line
93), with measure 2 (H2) changed: ceiling 200 万 → 300 万 and one criterion added."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HUANGPU = ROOT / "policies" / "huangpu-2025-2.yaml"

H2_CAP_OLD = "rate: 30%, cap: 2000000}\n    materials: []\n    process: *process\n\n  - id: H3a"
H2_CAP_NEW = "rate: 30%, cap: 3000000}\n    materials: []\n    process: *process\n\n  - id: H3a"
H2_CRITERION_ANCHOR = "      - {id: post_subsidy, label: *post-label, test: ai_project.self_funded_results, soft: true, note: post-subsidy, clause: *post-clause}\n      - {id: no_double_funding, label: *double-label, test: not ai_project.other_district_level_funding, note: no-double-funding, clause: *double-clause}\n    support:\n      discretionary: true\n      clause: {text: \"按照不超过项目总投资的 30%，给予最高 200 万元支持。\""


def revision_text(
    *,
    kind: str = "revision",
    start: str = "2028-01-01",
    until: str = "2029-12-31",
    issued: str = "2027-12-20",
    doc_id: str = "huangpu-2028-1",
    cap: bool = True,
    criterion: bool = True,
) -> str:
    """The crafted revision's YAML text."""
    text = HUANGPU.read_text(encoding="utf-8")
    head, rest = text.split("  scope:\n", 1)
    new_head = (
        "document:\n"
        f"  id: {doc_id}\n"
        "  number: 黄科委规〔2027〕9号（测试修订）\n"
        "  issuer: 上海市黄浦区科学技术委员会、上海市黄浦区投资促进办公室\n"
        "  title: 测试用修订版（非真实文件）\n"
        "  district: 黄浦区\n"
        f"  issued: {issued}\n"
        "  seed: 004_eaccde891baf17d2.txt\n"
        "  supersedes: huangpu-2025-2\n"
        "  version: 2028 年修订（测试）\n"
        f"  version_kind: {kind}\n"
        "  window_basis: event_date\n"
        "  in_force:\n"
        f"    from: {start}\n"
        f"    until: {until}\n"
        "    clause: {text: 测试修订版的有效期, ref: 测试, line: 93}\n"
    )
    out = head.split("document:\n", 1)[0] + new_head + "  scope:\n" + rest
    if criterion:
        assert H2_CRITERION_ANCHOR in out
        added = "      - {id: ethics_review, label: {zh: \"通过伦理审查\", en: \"passed an ethics review\"}, test: ai_project.biomed_stage, clause: {text: \"通过伦理审查（测试条款）\", ref: \"二、（一）2\", line: 47}}\n"
        out = out.replace(H2_CRITERION_ANCHOR, added + H2_CRITERION_ANCHOR, 1)
    if cap:
        assert H2_CAP_OLD in out
        out = out.replace(H2_CAP_OLD, H2_CAP_NEW)
        out = out.replace(
            "按照不超过项目总投资的 30%，给予最高 200 万元支持。",
            "按照不超过项目总投资的 30%，给予最高 300 万元支持。",
            1,
        )
    return out


def policy_dir(tmp: Path, **kw) -> Path:
    """A policy directory: the shipped facts and both documents, plus the crafted revision."""
    d = tmp / "policies"
    d.mkdir()
    shutil.copy(ROOT / "policies" / "facts.yaml", d / "facts.yaml")
    if (ROOT / "policies" / "facts.d").exists():
        shutil.copytree(ROOT / "policies" / "facts.d", d / "facts.d")
    shutil.copy(HUANGPU, d / HUANGPU.name)
    (d / "huangpu-2028-1.yaml").write_text(revision_text(**kw), encoding="utf-8")
    return d


JINSHAN = ROOT / "policies" / "jinshan-2025-25.yaml"
J23_OLD = (
    "          base_label: {zh: 该产品实际研发费用, en: actual R&D cost}\n          rate: 10%\n          cap: 2000000\n"
)
J23_NEW = (
    "          base_label: {zh: 该产品实际研发费用, en: actual R&D cost}\n          rate: 20%\n          cap: 3000000\n"
)


def jinshan_revision_text() -> str:
    """A crafted revision of 金科〔2025〕25号 (NOT a real document): J2.3 (专题三 3.支持标准, seed 000
    line 362: 10% of the R&D cost, at most 200 万元) raised to 20%, at most 300 万元."""
    text = JINSHAN.read_text(encoding="utf-8")
    assert text.count(J23_OLD) == 1
    text = text.replace(J23_OLD, J23_NEW)
    text = text.replace(
        "  id: jinshan-2025-25\n  number: 金科〔2025〕25号\n",
        "  id: jinshan-2026-1\n  number: 金科〔2026〕1号（测试修订）\n  supersedes: jinshan-2025-25\n",
        1,
    )
    return text
