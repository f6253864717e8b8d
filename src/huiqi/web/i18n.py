"""The zh/en message catalogue of the pages. Chinese is the default; ``?lang=en`` switches."""

from __future__ import annotations

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

MESSAGES: dict[str, tuple[str, str]] = {
    "app.name": ("惠企 · 产业扶持政策服务", "huiqi · industrial subsidy service"),
    "app.tagline": ("政策即规则：看得懂、算得清、可追溯", "Policy as rules: readable, computable, traceable"),
    "nav.home": ("首页", "Home"),
    "nav.policies": ("政策与项目", "Policies"),
    "nav.selfcheck": ("政策自测", "Self-check"),
    "nav.my": ("我的申报", "My applications"),
    "nav.queue": ("审核工作台", "Review queues"),
    "nav.notices": ("公示", "Notices"),
    "nav.payments": ("拨付", "Payments"),
    "nav.changes": ("变更与撤销", "Changes"),
    "nav.imports": ("导入", "Imports"),
    "nav.exports": ("导出", "Exports"),
    "nav.dashboard": ("统计看板", "Dashboard"),
    "nav.expert": ("评审任务", "My reviews"),
    "nav.rounds": ("申报批次", "Rounds"),
    "nav.login": ("登录", "Log in"),
    "nav.logout": ("退出", "Log out"),
    "nav.api": ("API 文档", "API docs"),
    "lang.switch": ("English", "中文"),
    "nav.skip": ("跳到正文", "Skip to main content"),
    "nav.main": ("主导航", "Main navigation"),
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码错误", "wrong user name or password"),
    "login.demo": ("演示账号", "Demo accounts"),
    "nav.password": ("修改密码", "Change password"),
    "password.title": ("修改密码", "Change your password"),
    "password.intro": ("修改后，您在所有设备上的登录（含 API 令牌）都会结束，请用新密码重新登录。", "After the change every session you have (API tokens included) ends; log in again with the new password."),
    "password.current": ("当前密码", "Present password"),
    "password.new": ("新密码（至少 8 位）", "New password (at least 8 characters)"),
    "password.again": ("再次输入新密码", "New password again"),
    "password.submit": ("修改密码", "Change password"),
    "policies.title": ("政策文件与扶持项目", "Policy documents and programmes"),
    "policies.number": ("文号", "Number"),
    "policies.issuer": ("发文单位", "Issuer"),
    "policies.issued": ("发文日期", "Issued"),
    "policies.in_force": ("施行期", "In force"),
    "policies.programmes": ("扶持项目", "Programmes"),
    "policies.department": ("受理部门", "Accepting department"),
    "policies.mode": ("申报方式", "Mode"),
    "policies.criteria": ("申报条件", "Eligibility criteria"),
    "policies.support": ("支持标准", "Support standard"),
    "policies.materials": ("申报材料", "Required materials"),
    "policies.process": ("申报流程", "Process"),
    "policies.notes": ("解读说明", "Interpretation notes"),
    "policies.clause": ("原文", "Clause"),
    "policies.soft": ("原则上（需审核人员决定）", "in principle (an officer decides)"),
    "policies.discretionary": ("择优 / 最高：上限以内择优确定", "merit-selected: discretionary up to the ceiling"),
    "policies.line": ("行", "line"),
    "policies.merit": ("择优", "merit"),
    "policies.selfcheck_this": ("自测此项目", "Self-check this programme"),
    "mode.online": ("网上申报", "online"),
    "mode.offline": ("线下递交", "offline"),
    "mode.automatic": ("免申即享", "granted without application"),
    "form.copy": ("复印件", "copy"),
    "form.original": ("原件", "original"),
    "form.original_for_check": ("原件核验", "original, for checking"),
    "form.electronic": ("电子版", "electronic"),
    "form.stamped": ("加盖公章", "stamped"),
    "form.optional": ("如适用", "if applicable"),
    "selfcheck.title": ("政策自测", "Self-check"),
    "selfcheck.intro": (
        "回答几个简短的问题，看看你的企业可以申请哪些扶持项目、最多多少。只问还缺的信息；不清楚的可以留空。",
        "Answer a few short questions to see which programmes your enterprise may apply for, and the most each can give. Only what is still missing is asked; leave what you do not know blank.",
    ),
    "selfcheck.total": ("可申请上限合计（符合条件的项目）", "Total ceiling (eligible programmes)"),
    "selfcheck.potential": ("补充信息后可能的上限", "Possible ceiling once the missing information is given"),
    "selfcheck.potential_hint": (
        "包括需补充信息的项目按政策最高标准可能达到的金额；不包括尚未添加申报主体的项目。",
        "Adds what the programmes needing information may reach at most under their support standard; programmes waiting for a subject you have not added are not counted.",
    ),
    "selfcheck.apply": ("申报此项目", "Apply for this programme"),
    "sc.continue": ("继续", "Continue"),
    "sc.back": ("返回上一步", "Back"),
    "sc.restart": ("重新开始", "Start again"),
    "sc.save": ("保存并返回检查页", "Save and go back to the check page"),
    "sc.errors": ("请更正以下问题", "There is a problem"),
    "sc.unknown": ("暂不清楚", "Don't know"),
    "sc.yes": ("是", "Yes"),
    "sc.no": ("否", "No"),
    "sc.choose": ("请选择", "Choose"),
    "sc.optional": ("（可不填）", "(optional)"),
    "sc.needed_by": ("用于：", "Needed for: "),
    "sc.place.title": ("企业基本情况", "About the enterprise"),
    "sc.place.lead": ("先告诉我们企业在哪里注册：各区的政策只适用于本区注册的企业。", "First, where the enterprise is registered: each district's policy applies to enterprises registered there."),
    "sc.place.on_record": ("以下信息来自企业登记，无需填写", "From the enterprise's record: nothing to enter"),
    "sc.place.name": ("企业名称", "Enterprise name"),
    "sc.place.name_hint": ("打印在自测结果单上", "printed on the result sheet"),
    "sc.place.uscc": ("统一社会信用代码", "Unified social credit code"),
    "sc.place.uscc_hint": ("18 位；填写后会核对校验码", "18 characters; the check character is verified"),
    "sc.place.district": ("注册登记所在区", "District of registration"),
    "sc.place.other_district": ("其他区（本系统暂无该区政策）", "another district (no policy loaded for it)"),
    "sc.place.town": ("所在镇（园区）", "Town or park"),
    "sc.place.town_hint": ("部分项目只支持入驻指定镇（园区）的企业", "some programmes support only enterprises in named towns or parks"),
    "sc.place.town_other_option": ("不在列表中（请在下面填写）", "not in the list (write it below)"),
    "sc.place.town_other": ("其他镇（园区）名称", "Other town or park"),
    "sc.area.title": ("经营领域", "Business areas"),
    "sc.area.lead": ("选择与企业相关的领域，可多选；都不选表示全部。", "Choose the areas that concern the enterprise (several if you like); none means all."),
    "sc.area.programmes": ("{n} 个项目", "{n} programmes"),
    "sc.subjects.title": ("你有以下哪些事项？", "Which of these do you have?"),
    "sc.subjects.lead": ("有些项目按具体事项申报（一份租房合同、一个药品品种……）。勾选你有的，之后会就每一项问几个问题。", "Some programmes are claimed per item (a lease, a drug variety…). Tick those you have; a few questions follow for each."),
    "sc.subjects.for": ("可申报：", "For: "),
    "sc.subjects.added": ("已添加", "Added"),
    "sc.subjects.add_another": ("再添加一个", "Add another"),
    "sc.subjects.remove": ("删除", "Remove"),
    "sc.questions.title": ("企业情况", "About the enterprise"),
    "sc.questions.claim_title": ("关于{name}", "About {name}"),
    "sc.questions.lead": ("还有 {n} 个问题（本页 {m} 个）。不清楚的可以留空，留空不等于“否”。", "{n} questions left ({m} on this page). Leave blank what you do not know: blank is not “no”."),
    "sc.questions.label": ("名称", "Name"),
    "sc.questions.label_hint": ("如药品名称或合同编号，便于区分", "e.g. the drug's or contract's name, to tell them apart"),
    "sc.edit.title": ("修改回答", "Change an answer"),
    "sc.check.title": ("检查你的回答", "Check your answers"),
    "sc.check.lead": ("确认以下回答后查看测算结果；任何一项都可以修改。", "Check these answers, then see the results; change any of them."),
    "sc.check.remaining": ("还有 {n} 个问题可以回答，回答越多结果越准。", "{n} more questions can be answered: the more you answer, the firmer the results."),
    "sc.check.continue": ("继续回答", "Answer more"),
    "sc.check.see": ("查看测算结果", "See the results"),
    "sc.check.change": ("修改", "Change"),
    "sc.check.enterprise": ("企业", "Enterprise"),
    "sc.check.facts": ("企业情况", "About the enterprise"),
    "sc.check.areas": ("经营领域", "Business areas"),
    "sc.check.subjects": ("申报事项", "Items to claim"),
    "sc.check.no_subjects": ("没有", "none"),
    "sc.check.programmes": ("只测算这些项目", "Only these programmes"),
    "sc.check.period": ("限定期间", "Qualifying period"),
    "sc.check.period_from_round": ("来自申报批次“{name}”", "from the round “{name}”"),
    "sc.check.no_round": ("以区科委当年申报通知为准；目前没有开放的申报批次", "set by the year's call; no round is open at present"),
    "sc.check.on_record": ("来自企业登记", "on record"),
    "sc.results.title": ("测算结果", "Results"),
    "sc.results.on": ("申报日期", "Application date"),
    "sc.results.change": ("修改回答", "Change answers"),
    "sc.results.pdf": ("打印自测结果单（PDF）", "Print the result sheet (PDF)"),
    "sc.results.eligible": ("符合条件", "Eligible"),
    "sc.results.needs_info": ("需补充信息", "Needs information"),
    "sc.results.ineligible": ("不符合条件", "Not eligible"),
    "sc.results.automatic": ("免申即享：无需申报，由区科委主动核定", "Granted without application: the commission decides"),
    "sc.results.automatic_one": ("无需申报，由{department}主动核定", "No application: {department} decides and grants it"),
    "sc.results.unasked": ("未测算的项目", "Programmes not assessed"),
    "sc.results.programmes": ("{n} 个项目", "{n} programmes"),
    "sc.results.asks": ("还需要：", "Still needed: "),
    "sc.results.needs_round": ("限定期间以当年申报通知为准；申报批次开放后即可确定。", "The qualifying period comes from the year's call; it is known once a round opens."),
    "sc.results.possible": ("补充信息后可能的上限", "Possible ceiling once complete"),
    "sc.results.tech": ("技术细节", "Technical details"),
    "sc.results.code": ("项目编号", "Programme code"),
    "sc.results.claim_id": ("申报主体编号", "Claim id"),
    "sc.results.formula": ("算式", "Arithmetic"),
    "sc.results.rule": ("规则", "Rule"),
    "sc.results.profile": ("企业画像（JSON，可用 huiqi match 或 POST /api/v1/match 复算，结果相同）", "Profile (JSON; huiqi match or POST /api/v1/match give the same result)"),
    "sc.results.policy_version": ("政策版本", "Policy version"),
    "sc.results.disclaimer": ("本结果依据政策原文自动测算，仅供参考；是否支持及金额以主管部门审核为准。", "Computed from the policy text for guidance only; the department's review decides support and amount."),
    "sc.expired": ("这一页已过期（服务已重启或页面被改动），只能重新开始；请重新填写。", "This page has expired (the service restarted, or the page was altered): please start again."),
    "sc.nopdf.title": ("暂时无法生成 PDF", "The PDF cannot be made at present"),
    "sc.nopdf.print": ("请用浏览器的“打印”功能打印测算结果页（已为打印排版）。", "Use your browser's Print on the results page (it is laid out for printing)."),
    "result.status": ("状态", "Status"),
    "result.ceiling": ("上限", "Ceiling"),
    "result.steps": ("计算过程", "Calculation"),
    "result.failed": ("未满足的条件", "Criteria not met"),
    "result.soft_failed": ("原则上条件（需审核决定）", "In-principle criteria (officer decides)"),
    "result.missing": ("缺少的信息", "Missing information"),
    "result.citations": ("依据条款", "Citations"),
    "result.materials": ("需准备的材料", "Materials to prepare"),
    "result.caps": ("上限封顶", "Caps applied"),
    "result.notes": ("解读说明", "Notes"),
    "result.discretionary": ("择优，上限以内", "merit-selected, up to the ceiling"),
    "result.claim": ("申报主体", "Claim"),
    "common.yuan": ("元", "yuan"),
    "common.wan": ("万元", "10k yuan"),
    "common.back": ("返回", "Back"),
    "common.save": ("保存", "Save"),
    "common.submit": ("提交", "Submit"),
    "common.none": ("无", "none"),
    "common.reason": ("理由", "Reason"),
    "common.amount": ("金额（元）", "Amount (yuan)"),
    "common.file": ("文件", "File"),
    "common.actions": ("操作", "Actions"),
    "common.status": ("状态", "Status"),
    "common.date": ("日期", "Date"),
    "common.enterprise": ("企业", "Enterprise"),
    "common.programme": ("项目", "Programme"),
    "common.town": ("镇/园区", "Town / park"),
    "common.all": ("全部", "All"),
    "common.filter": ("筛选", "Filter"),
    "common.download": ("下载", "Download"),
    "common.history": ("办理记录", "History"),
    "common.id": ("编号", "No."),
    "common.empty": ("暂无记录", "Nothing here yet"),
    "error.title": ("出错了", "Something went wrong"),
    "home.for_enterprise": ("企业", "Enterprises"),
    "home.for_officer": ("审核人员", "Officers"),
    "home.for_expert": ("评审专家", "Experts"),
    "home.enterprise": ("企业：查政策、自测、申报、跟踪进度", "Enterprises: read policies, self-check, apply, follow progress"),
    "home.officer": ("审核人员：按阶段和镇/园区办理、公示、拨付、统计", "Officers: queues by stage and town, notices, payments, statistics"),
    "home.expert": ("评审专家：评分、利益冲突声明", "Experts: scoring, conflict declarations"),
}


def translate(key: str, lang: str) -> str:
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def pick(zh: str | None, en: str | None, lang: str) -> str:
    """The text in the page's language, falling back to the other one."""
    if lang == "en":
        return en or zh or ""
    return zh or en or ""


# ------------------------------------------------------------------ states and events in words
#
# States and state-machine steps take their labels from ``huiqi.workflow.states`` (one table per
# kind of record); the other audit actions (the services' ``audit.record(action=...)`` names) are
# labelled here, once. ``tests/web/test_plain_language.py`` checks every action name in the
# workflow has a label, so a new one cannot reach the Chinese UI as ``application.freeze · system``.

OTHER_EVENTS: dict[str, tuple[str, str]] = {
    "application.create": ("建立申报草稿", "started a draft application"),
    "application.freeze": ("按提交日的政策冻结测算结果", "froze the evaluation at submission"),
    "application.credit_hold": ("发现失信记录，暂停办理待核查", "held for a credit check (dishonesty record found)"),
    "application.credit_override": ("审核人员书面决定继续办理（原则上条件）", "an officer decided in writing to continue (in-principle criterion)"),
    "material.upload": ("上传申报材料", "uploaded a material"),
    "progress.report": ("报告项目进展", "reported progress"),
    "change.request": ("报告项目变更", "reported a change"),
    "review.score": ("专家评分", "an expert scored"),
    "review.consult": ("征求部门意见", "consulted a department"),
    "review.assign_more": ("增派评审专家", "assigned more experts"),
    "review.score_void": ("专家事后声明回避，其评分作废", "a score voided: the expert declared a conflict after scoring"),
    "expert.tie": ("专家声明利益冲突", "an expert declared a conflict of interest"),
    "objection.create": ("受理公示异议", "received an objection"),
    "notice.publish": ("发布公示", "published the notice"),
    "notice.close": ("公示期满", "closed the notice"),
    "payment.batch": ("编制拨付批次", "prepared a payment batch"),
    "payment.run": ("执行拨付", "ran the payment batch"),
    "receivable.create": ("登记应收回款项", "recorded an amount to recover"),
    "cap.release": ("释放单位年度上限额度", "released room under the per-entity annual cap"),
    "round.create": ("建立申报批次", "created a round"),
    "round.budget": ("调整批次预算", "changed the round's budget"),
    "round.notice_days": ("设定批次的公示期限（年度申报通知）", "set the round's notice length (the year's call)"),
    "award.record": ("记入已享受支持台账", "recorded the award in the ledger"),
    "award.revoke": ("台账：支持已撤销", "ledger: the award revoked"),
    "award.recover": ("台账：已收回", "ledger: the award recovered"),
    "award.completion": ("登记批准的完成期限或完成日期", "recorded the approved completion date or completion"),
    "award.extend": ("延期：完成期限变更", "extension: a new completion date"),
    "enterprise.create": ("登记企业", "registered an enterprise"),
    "user.create": ("建立用户", "created a user"),
    "demo.seed": ("生成演示数据", "seeded the demo data"),
    "user.password": ("修改密码", "changed a password"),
    "user.scope": ("设定用户的管辖范围", "set a user's scope"),
    "import.credit": ("导入信用记录", "imported credit records"),
    "import.automatic": ("导入免申即享名单", "imported a grant-without-application list"),
    "export.payments": ("导出拨付清单", "exported the payments"),
    "export.notice": ("导出公示名单", "exported the notice list"),
    # issue 19: records, matching, notifications
    "record.correct": ("更正企业档案", "corrected the enterprise record"),
    "record.selfcheck": ("自测信息存入企业档案", "kept a self-check in the record"),
    "record.absorb": ("申报信息存入企业档案", "kept an application's facts in the record"),
    "record.import": ("导入名单至企业档案", "imported a list into the records"),
    "match.run": ("政策匹配", "matched enterprises to programmes"),
    "match.propose": ("按匹配结果提出免申即享发放", "proposed grants from the matching"),
    "notify.dispatch": ("分发通知", "dispatched notifications"),
    "notify.remind": ("发送截止提醒", "sent deadline reminders"),
    "notify.prefs": ("设定接收的通知", "set what notifications to receive"),
    "notify.retry": ("重试发送邮件", "asked to retry an e-mail"),
    "deadline.set": ("设定期限", "set a deadline"),
}

ACTORS: dict[str, tuple[str, str]] = {"system": ("系统", "the system")}


def _machines() -> dict:
    try:
        from huiqi.workflow.states import MACHINES
    except ModuleNotFoundError:  # pragma: no cover - a rules-only install has no workflow
        return {}
    return MACHINES


def state_label(state: str, machine: str = "application") -> tuple[str, str]:
    """A record's state in words (草稿, 受理中, 已拨付 …), from the state table of its kind."""
    m = _machines().get(machine)
    if m is not None:
        try:
            s = m.state(state)
            return s.zh, s.en
        except KeyError:
            pass
    return state, state


def event_label(action: str) -> tuple[str, str]:
    """An audit action (``application.submit``, ``application.freeze`` …) in words."""
    kind, _, step = action.partition(".")
    m = _machines().get(kind)
    if m is not None:
        try:
            t = m.transition(step)
            return t.zh, t.en
        except KeyError:
            pass
    return OTHER_EVENTS.get(action, (action, action))


def actor_label(actor: str) -> tuple[str, str]:
    return ACTORS.get(actor, (actor, actor))


def event_sentence(action: str, actor: str, lang: str) -> str:
    """One line of 办理记录: who did what, e.g. “系统：按提交日的政策冻结测算结果”."""
    sep = ": " if lang == "en" else "："
    return f"{pick(*actor_label(actor), lang)}{sep}{pick(*event_label(action), lang)}"
