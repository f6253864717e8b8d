"""A crafted corrigendum of the workflow fixture (tests/workflow/policies/wf-fixture.yaml; NOT a real
document): its text (SOURCE) and the policy file an officer writes from it in the workbench (YAML).
WF-RENT's yearly ceiling is raised from 50 万元 to 80 万元 (SOURCE line 4); everything else of the
fixture stays with the version it corrects."""

from __future__ import annotations

SOURCE = """测试区科学技术委员会关于更正租房补贴标准的通知
测科〔2026〕2号
一、适用范围：申报单位需在金山区范围内进行注册登记，具有独立法人资格。
二、租赁补贴：三年内按照租金的 30%给予补贴，单年度最高补贴 80 万元。
三、本通知自 2026 年 3 月 15 日起施行，更正测试〔2025〕1号的相应条款，2025 年 1 月 1 日起的申报参照执行。
"""

YAML = """document:
  id: wf-fixture-2
  number: 测科〔2026〕2号
  issuer: 测试
  title: 关于更正租房补贴标准的通知
  district: 金山区
  issued: 2026-03-15
  seed: source.txt
  supersedes: wf-fixture
  version: 2026 年更正
  version_kind: corrigendum
  in_force:
    from: 2025-01-01
    until: null
    clause: {text: 2025 年 1 月 1 日起的申报参照执行, ref: 三, line: 5}
  scope:
    - id: registered
      label: {zh: 在金山区注册登记, en: registered in Jinshan}
      test: enterprise.registered_district == "金山区"
      clause: {text: 申报单位需在金山区范围内进行注册登记, ref: 一, line: 3}

programmes:
  - id: WF-RENT
    title: 租赁（三年）
    department: 区科委
    mode: online
    subject: lease
    criteria:
      - id: legal_person
        label: {zh: 具备独立法人资格, en: independent legal person}
        test: enterprise.independent_legal_person
        clause: {text: 具有独立法人资格, ref: 一, line: 3}
    support:
      discretionary: true
      clause: {text: 三年内按照租金的 30%给予补贴，单年度最高补贴 80 万元。, ref: 二, line: 4}
      amount:
        multi_year:
          years: 3
          each_year: {rate: {base: lease.annual_rent, rate: 30%, cap: 800000}}
    materials:
      - {id: form, name: 申请表, form: original, stamped: true}
      - {id: licence, name: 营业执照（复印件）, form: copy, stamped: true}
      - {id: lease, name: 租房合同（复印件）, form: copy, stamped: true}
"""

# the same with a mistake an officer makes: a fact that is not declared (lease.annual_rnet)
YAML_WITH_ERROR = YAML.replace("base: lease.annual_rent", "base: lease.annual_rnet")
