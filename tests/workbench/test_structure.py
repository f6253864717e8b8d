"""Header extraction and heading detection on both seeds (lines: shared/INVENTORY.md)."""

from __future__ import annotations

import datetime as dt

from huiqi.workbench.draft import _header
from huiqi.workbench.structure import outline

# INVENTORY.md: the 29 topics of 金科〔2025〕25号 (8 sets of rules) with the line of each heading.
JINSHAN_TOPICS = {
    "J1.1": 38,
    "J1.2": 103,
    "J2.1": 198,
    "J2.2": 270,
    "J2.3": 339,
    "J2.4": 415,
    "J2.5": 507,
    "J2.6": 581,
    "J3.1": 665,
    "J4.1": 753,
    "J4.2": 823,
    "J5.1": 910,
    "J5.2": 924,
    "J5.3": 969,
    "J5.4": 982,
    "J5.5": 1025,
    "J5.6": 1041,
    "J5.7": 1150,
    "J6.1": 1188,
    "J6.2": 1249,
    "J6.3": 1268,
    "J6.4": 1284,
    "J6.5": 1301,
    "J7.1": 1334,
    "J7.2": 1361,
    "J7.3": 1404,
    "J7.4": 1453,
    "J8.1": 1496,
    "J8.2": 1559,
}
# INVENTORY.md: the 12 measures of 黄科委规〔2025〕2号.
HUANGPU_MEASURES = {f"H{i}": line for i, line in enumerate((45, 47, 51, 55, 57, 59, 65, 67, 69, 73, 75, 77), start=1)}


def test_header_jinshan(jinshan_source):
    h = _header(jinshan_source)
    assert h["number"] == "金科〔2025〕25号" and h["number_line"] == 3
    assert h["issuer"] == "上海市金山区科学技术委员会"
    assert (
        h["title"]
        == "区科委关于印发《金山区关于加快培育发展新质生产力进一步推动产业高质量转型升级的若干政策》相关实施细则的通知"
    )
    assert h["issued"] == dt.date(2025, 4, 30)  # line 26, not the printing date of line 1685
    assert h["district"] == "金山区"


def test_header_huangpu(huangpu_source):
    h = _header(huangpu_source)
    assert h["number"] == "黄科委规〔2025〕2号" and h["number_line"] == 7
    assert h["issuer"] == "上海市黄浦区科学技术委员会、上海市黄浦区投资促进办公室"  # two issuers on line 5
    assert (
        h["title"] == "关于印发《黄浦区关于聚焦转化医学加快推进产医融合创新发展的若干措施》的通知"
    )  # wrap space removed
    assert h["issued"] == dt.date(2025, 12, 25)
    assert h["district"] == "黄浦区"


def test_jinshan_eight_sets_twenty_nine_topics(jinshan_source):
    o = outline(jinshan_source)
    assert {p.line for p in o.programmes} == set(JINSHAN_TOPICS.values())
    sets = [s for s in o.sections if s.kind == "set"]
    assert len(sets) == 9 and sets[-1].title == "关于项目管理有关要求"  # 8 sets of rules + the management rules (J9)
    assert len({p.set_ordinal for p in o.programmes}) == 8
    j24 = next(p for p in o.programmes if p.line == 415)
    assert j24.title == "专题四 支持企业开展临床试验" and j24.section == "关于支持生物医药产业创新发展实施细则"
    assert [f.name for f in j24.fields] == ["受理部门", "支持对象", "支持标准", "申报材料", "申报流程"]
    assert len(j24.fields[2].items) == 3  # 3.支持标准 (1)(2)(3)
    # 做强做优 has fields but no 专题: the set itself is the programme
    j31 = next(p for p in o.programmes if p.line == 665)
    assert j31.implicit and j31.title == "关于支持生物医药企业做强做优实施细则"
    # 专题六 of 创新主体培育 nests a second 1.–4. list inside 4.申报要求: items, not fields
    j56 = next(p for p in o.programmes if p.line == 1041)
    assert [f.name for f in j56.fields] == ["受理部门", "支持对象", "支持标准", "申报要求", "申报流程"]
    # a heading wrapped over two lines is one title (line 1496–1500)
    j81 = next(p for p in o.programmes if p.line == 1496)
    assert j81.title.endswith("经评审公示通过的，给予 20 万元资助") and j81.end_line == 1557


def test_huangpu_twelve_measures_in_four_groups(huangpu_source):
    o = outline(huangpu_source)
    assert [p.line for p in o.programmes] == list(HUANGPU_MEASURES.values())
    assert [p.marker.number for p in o.programmes] == list(range(1, 13))
    p7 = o.programmes[6]
    assert p7.title == "7、加速创新药物临床试验及获批上市"  # **bold** removed
    assert p7.section == "二、（三）聚焦产品落地推广,提升创新主体能级"  # (三) written with ASCII brackets
    assert p7.ref == "二、（三）7"
    parts = [s.title for s in o.sections if s.kind == "part"]
    assert parts == ["一、适用范围", "二、主要举措", "三、保障措施", "四、附则"]
    assert p7.end_line == 65 and o.programmes[1].end_line == 49  # measure 2 wraps onto line 49
