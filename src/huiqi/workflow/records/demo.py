"""The demo register's records (``huiqi serve --demo``): lists each district's officer imports into
its enterprises' records, as a district would from the data it holds. Invented enterprises, real
programmes: what matching finds in them is worked out from the policy text in
tests/workflow/test_proactive.py.

* 金山区 — a high-tech enterprise list (高新技术企业): 金山示范生物医药 first recognition, with the
  two facts J5.2's exclusions ask (not also under the Zhangjiang policy; no municipal cultivation
  funding); 山阳示范医疗器械 renewal; 朱泾示范科技 first recognition, exclusions not known. A
  municipal little-giant list (市科技小巨人): 山阳示范医疗器械, municipal grant 1,000,000. An S&T
  SME fund list (科技型中小企业技术创新资金): 朱泾示范科技, municipal grant 100,000.
* 黄浦区 — a GCP certification list: 黄浦示范转化医学, certified 2026-03-01, total investment
  3,000,000, with the enterprise facts of the document's scope (一、适用范围, its 信用记录良好 as the
  officer's credit check established it).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from huiqi.rules import PolicySet
from huiqi.uscc import make_uscc
from huiqi.workflow.enterprises import service as enterprises
from huiqi.workflow.records import service as records
from huiqi.workflow.users.models import User

JS1 = make_uscc("91310116MA1DEM001")
JS2 = make_uscc("91310116MA1DEM002")
JS4 = make_uscc("91310116MA1DEM004")
HP = make_uscc("91310101MA1DEM003")


def _csv(rows: list[list[str]]) -> bytes:
    return ("\n".join(",".join(r) for r in rows) + "\n").encode("utf-8")


def seed_register(session: Session, policies: PolicySet, *, officer_js: User, officer_hp: User, today: dt.date) -> dict:
    """Register 朱泾示范科技 and import the demo lists (the other enterprises exist already)."""
    enterprises.create(
        session=session, uscc=JS4, name="朱泾示范科技有限公司", district="金山区", town="朱泾镇", actor=officer_js
    )
    day = today.isoformat()
    runs = []
    lists = [
        (
            officer_js,
            "hnte.csv",
            "高新技术企业名单（演示）",
            [
                [
                    "uscc",
                    "name",
                    "enterprise.hnte_recognition",
                    "enterprise.zhangjiang_hnte_support",
                    "enterprise.hnte_cultivation_funded",
                ],
                [JS1, "金山示范生物医药有限公司", "首次认定", "否", "否"],
                [JS2, "山阳示范医疗器械有限公司", "重新认定", "否", ""],
                [JS4, "朱泾示范科技有限公司", "首次认定", "", ""],
            ],
        ),
        (
            officer_js,
            "little-giants.csv",
            "市科技小巨人（培育）企业认定名单（演示）",
            [
                [
                    "uscc",
                    "name",
                    "enterprise.municipal_little_giant_new",
                    "enterprise.municipal_little_giant_recommended_by_jinshan",
                    "enterprise.municipal_little_giant_grant",
                ],
                [JS2, "山阳示范医疗器械有限公司", "是", "是", "1000000"],
            ],
        ),
        (
            officer_js,
            "sme-fund.csv",
            "科技型中小企业技术创新资金立项名单（演示）",
            [
                [
                    "uscc",
                    "name",
                    "enterprise.sme_fund_project_approved",
                    "enterprise.sme_fund_recommended_by_jinshan",
                    "enterprise.sme_fund_municipal_grant",
                ],
                [JS4, "朱泾示范科技有限公司", "是", "是", "100000"],
            ],
        ),
        (
            officer_hp,
            "gcp.csv",
            "GCP 认证名单（演示）",
            [
                [
                    "uscc",
                    "name",
                    "claim_id",
                    "enterprise.biomed_business",
                    "enterprise.fits_huangpu_industry_orientation",
                    "enterprise.operating_normally",
                    "enterprise.sound_financial_system",
                    "enterprise.good_credit_record",
                    "gcp_certification.national_gcp_certified",
                    "gcp_certification.certified_date",
                    "gcp_certification.total_investment",
                    "gcp_certification.self_funded_results",
                    "gcp_certification.other_district_level_funding",
                ],
                [
                    HP,
                    "黄浦示范转化医学有限公司",
                    "gcp-2026",
                    "是",
                    "是",
                    "是",
                    "是",
                    "是",
                    "true",
                    "2026-03-01",
                    "3000000",
                    "true",
                    "false",
                ],
            ],
        ),
    ]
    for officer, filename, name, rows in lists:
        run = records.import_facts(
            session=session, path=filename, content=_csv(rows), list_name=name, actor=officer, on=day, policies=policies
        )
        runs.append(run.id)
    session.flush()
    return {"imports": runs}
