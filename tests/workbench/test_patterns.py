"""Each pattern on real sentences of the two seeds (the line is cited beside each)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from huiqi.workbench import patterns as P


@pytest.mark.parametrize(
    "text, values",
    [
        ("单年度最高补贴 50 万元。", [Decimal(500000)]),  # 金科〔2025〕25号 line 56
        (
            "分别给予 20 万元、50 万元、100 万元、200 万元的奖励",
            [Decimal(200000), Decimal(500000), Decimal(1000000), Decimal(2000000)],
        ),  # line 693
        (
            "首次突破 5000 万元、1 亿元、5 亿元、10 亿元",
            [Decimal(50000000), Decimal(100000000), Decimal(500000000), Decimal(1000000000)],
        ),  # line 687
        ("金山区科技创新成果奖最高给予 20 万奖励", [Decimal(200000)]),  # line 1051: 万 without 元
        ("给予单个主体每年最高200万元支持", [Decimal(2000000)]),  # 黄科委规〔2025〕2号 line 45: no space
        (
            "分别给予 100、50、15 万元",
            [Decimal(1000000), Decimal(500000), Decimal(150000)],
        ),  # a number list sharing one unit
    ],
)
def test_money_in_yuan_as_decimal(text, values):
    found = [m.value for m in P.money_mentions(text)]
    assert found == values
    assert all(isinstance(v, Decimal) for v in found)


def test_money_range_keeps_both_ends():
    # line 184: 视情况给予 50-200 万元资金支持
    (m,) = P.money_mentions("支持企业开展临床试验，视情况给予 50-200 万元资金支持。")
    assert (m.value, m.upper) == (Decimal(500000), Decimal(2000000))


@pytest.mark.parametrize(
    "text, value, written",
    [
        ("按照租金的 30%给予补贴", Decimal("0.3"), "30%"),  # line 56
        ("按照上海市科委审批推荐的贷款金额的 3‰予以资助", Decimal("0.003"), "3‰"),  # line 1342
        ("按实际交易额的 2‱ ，给予最高 1 万元的一次性支持", Decimal("0.0002"), "2‱"),  # line 1585
        ("前三年主营业务收入或净利润的平均增长率达到20％以上", Decimal("0.2"), "20%"),  # line 1004: full-width ％
        ("按照不超过市级资金 1:0.5 给予配套支持", Decimal("0.5"), "1:0.5"),  # Huangpu line 65
        ("给予 1:1 资助金额配套", Decimal(1), "1:1"),  # line 1262
    ],
)
def test_rates_percent_permille_ratio(text, value, written):
    (r,) = P.rate_mentions(text)
    assert r.value == value and r.text == written


def test_rate_with_cap_discretionary():
    # 黄科委规〔2025〕2号 line 47–49, 措施 2
    u = P.parse_support("鼓励使用生成式人工智能、深度学习等技术，按照不超过项目总投资的 30%，给予最高 200 万元支持。")
    assert u.rate and u.rate.value == Decimal("0.3") and u.rate.base_label == "项目总投资" and not u.rate.matching
    assert [(s.value, s.role) for s in u.sums] == [(Decimal(2000000), "ceiling")]
    assert u.discretionary and not u.soft
    assert u.condition == "鼓励使用生成式人工智能、深度学习等技术"


def test_three_years_and_yearly_ceiling():
    # line 56: 三年内按照租金的 30%给予补贴，单年度最高补贴 50 万元。
    u = P.parse_support("三年内按照租金的 30%给予补贴，单年度最高补贴 50 万元。")
    assert u.years == 3 and u.rate.base_label == "租金"
    assert [(s.value, s.role) for s in u.sums] == [(Decimal(500000), "year")]


def test_matching_ratio_is_match():
    # line 65: 对获得市级资金支持的创新药,按照不超过市级资金 1:0.5 给予配套支持。
    u = P.parse_support("对获得市级资金支持的创新药,按照不超过市级资金 1:0.5 给予配套支持。")
    assert u.rate.matching and u.rate.value == Decimal("0.5") and u.rate.base_label == "市级资金"
    assert u.condition == "对获得市级资金支持的创新药"


def test_per_unit_and_entity_yearly_cap():
    # Huangpu line 51: 每新增 1 个 GCP 专业学科，给予 50 万元奖励，单个主体每年最高 300 万元。
    u = P.parse_support(
        "对符合 GCP 认证的临床试验机构，每新增 1 个 GCP 专业学科，给予 50 万元奖励，单个主体每年最高 300 万元。"
    )
    assert [(s.value, s.role) for s in u.sums] == [(Decimal(500000), "unit"), (Decimal(3000000), "entity_year")]


def test_one_off_per_variety_with_enterprise_cap_and_count_once():
    # line 842–844: 按每个品种（同一产品不同规格视为同一品种）给予一次性 50 万元的支持，单个企业每年最高可支持 100 万元。
    u = P.parse_support(
        "按每个品种（同一产品不同规格视为同一品种）给予一次性 50 万元的支持，单个企业每年最高可支持 100 万元。"
    )
    assert [s.role for s in u.sums] == ["fixed", "entity_year"]
    assert u.one_off and u.count_once


def test_tiers_first_crossing_respectively():
    # line 691–697: thresholds paired with sums (分别), 就高（不重复）in the next sentence
    u = P.parse_support(
        "对年主营业务收入首次突破 5000 万元、1 亿元、5 亿元、10 亿元的生物医药企业，分别给予 20 万元、50 万元、100 万元、200 万元的奖励。"
    )
    assert u.thresholds == [Decimal(50000000), Decimal(100000000), Decimal(500000000), Decimal(1000000000)]
    assert [s.value for s in u.awards] == [Decimal(200000), Decimal(500000), Decimal(1000000), Decimal(2000000)]
    assert u.respectively and not u.discretionary
    assert P.parse_support("主营业务收入多次突破的企业可就高（不重复）享受奖励资金。").highest_only


def test_band_thresholds_inclusive_range():
    # line 1583–1589
    u = P.parse_support(
        "经认定登记的技术合同年度累计成交额达 2000 万元（含）—5000 万元，按实际交易额的 2‱ ，给予最高 1 万元的一次性支持；"
    )
    assert u.thresholds == [Decimal(20000000), Decimal(50000000)]
    assert u.rate.value == Decimal("0.0002") and [s.value for s in u.awards] == [Decimal(10000)]


def test_staged_after_a_year():
    # line 1426–1428
    u = P.parse_support(
        "对新认定的区级孵化器，给予最高 20 万元一次性奖励，实际运营满一年后再给予最高 10 万元一次性奖励。"
    )
    assert [(s.value, s.role, s.after_months) for s in u.sums] == [
        (Decimal(200000), "ceiling", 0),
        (Decimal(100000), "staged", 12),
    ]


def test_cases_within_one_sentence_are_labelled():
    # line 437–442, 专题四 3.支持标准（1）
    u = P.parse_support(
        "（1）获得临床批件并开展临床试验的 1 类中药、化学药和生物制品，按照项目研发投入的 10%，I 期临床试验择优最高给予 100 万元支持，"
        "II、III 期临床试验分别择优最高给予 200 万元支持；"
    )
    assert [(s.label, s.value) for s in u.awards] == [
        ("I 期临床试验", Decimal(1000000)),
        ("II、III 期临床试验", Decimal(2000000)),
    ]
    # Huangpu line 65: 给予 I 期最高 200 万元、II 期最高 500 万元支持
    u = P.parse_support("按照不超过研发投入的 30%,给予 I 期最高 200 万元、II 期最高 500 万元支持。")
    assert [(s.label, s.value) for s in u.awards] == [("I 期", Decimal(2000000)), ("II 期", Decimal(5000000))]


def test_respectively_pairs_listed_categories():
    # line 1469–1471: 对新认定的国家级卓越级、高能级孵化器，分别给予 200 万元、100 万元的一次性奖励。
    u = P.parse_support("对新认定的国家级卓越级、高能级孵化器，分别给予 200 万元、100 万元的一次性奖励。")
    assert len(u.categories) == 2 and u.categories[1] == "高能级孵化器"


def test_in_principle_is_soft_and_no_sum_is_no_support():
    # line 52: （2）申报单位原则上在限定期间内，在区内落户并租赁入驻……
    assert P.SOFT.search(
        "（2）申报单位原则上在限定期间内，在区内落户并租赁入驻亭林镇、山阳镇、高新区、碳谷绿湾的生物医药企业。"
    )
    assert (
        P.parse_support(
            "（2）申报单位原则上在限定期间内，在区内落户并租赁入驻亭林镇、山阳镇、高新区、碳谷绿湾的生物医药企业。"
        )
        is None
    )
    # Huangpu line 77: 按规定给予相应奖励 — support without a sum
    u = P.parse_support("对入选人才计划的，按规定给予相应奖励，并在人才落户、安居、医疗等方面，给予相关服务保障。")
    assert u is not None and not u.quantified


def test_threshold_in_a_criterion_is_not_an_award():
    # line 1002: 企业上年度主营业务收入不低于 3000 万元
    u = P.parse_support(
        "（5）企业上年度主营业务收入不低于 3000 万元，前三年主营业务收入或净利润的平均增长率达到20％以上"
    )
    assert u is None or not u.awards


def test_public_notice_days_stages_and_mode():
    # line 93–95: 公示期限为 5 个工作日
    assert P.notice_days("拟立项的项目，由区科委向社会公示，公示期限为 5 个工作日。") == 5
    # line 1138–1142: 自公布之日起10个工作日内，区科委受理有关异议事项
    assert (
        P.notice_days(
            "拟获奖入围名单通过官方微信公众号、网站等渠道向社会公布，并自公布之日起10个工作日内，区科委受理有关异议事项；"
        )
        == 10
    )
    assert P.stages_in(
        "（3）初审：各镇（园区）对辖区企业的申报信息进行确认，区科委对企业填报的申请表及相关证明材料进行初审。"
    )[:3] == ["application", "town_confirmation", "district_check"]
    assert P.mode_in("免申即享。") == "automatic"  # line 922
    assert P.mode_in("（1）符合条件的科技金融服务站，通过线下递交申报材料。") == "offline"  # line 1356
    assert P.mode_in("凡符合条件的申报主体，在规定的时间内均可通过网络系统申报") == "online"  # line 959


def test_materials_form_and_condition():
    # line 132, 630, 71
    m = P.parse_material("（4）土地出让合同（新增用地项目提供、复印件）；")
    assert (m.form, m.when, m.required) == ("copy", "新增用地项目提供", True)
    assert P.parse_material("（5）固定资产投资第三方审计报告（原件核验，提交复印件）；").form == "original_for_check"
    assert P.parse_material("（6）其他需要提供的佐证材料。").required is False
    assert P.parse_material("（1）申请书；").form is None  # the text does not say: left TODO


def test_validity_sentences():
    # Huangpu line 93
    v = P.parse_validity("（二）本措施自颁布之日起 30 日后实施，有效期至 2027 年 12 月 31 日。")
    assert v.start_days_after_issue == 30 and v.until == dt.date(2027, 12, 31)
    v = P.parse_validity("2025 年 1 月 1 日至本措施实施前，相关涉及资金支持的政策参照本措施执行。")
    assert v.retroactive_from == dt.date(2025, 1, 1)
    # 金科〔2025〕25号 line 1679: the period is another document's
    v = P.parse_validity(
        "本实施细则由区科委负责解释，施行时间同《金山区关于……的若干政策》（金发改规〔2025〕1 号）规定的有效期。"
    )
    assert v.refers_elsewhere and v.until is None
    assert (
        P.parse_validity("对首次认定、有效期满重新认定通过的高新技术企业，给予最高 20 万元奖励。") is None
    )  # line 892: not validity
