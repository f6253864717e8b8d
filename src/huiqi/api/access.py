"""Record-level access control, enforced on the server for every page and endpoint.

- an enterprise user sees only its own enterprise's applications (and their files, notices, payments);
- a town/park reviewer only the applications of enterprises in its town or park;
- an expert only the applications assigned to it (and never one it declared a tie with);
- a district officer sees the applications of its district's enterprises (an officer without a
  district, and every auditor, sees all); an auditor never writes (checked by role on each write).

A record the user may not see answers 404, never 403, so its existence is not disclosed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from huiqi.api.errors import ApiError, forbidden
from huiqi.workflow import states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.reviews.models import ExpertAssignment

READERS_OF_ALL = (states.OFFICER, states.AUDITOR)
WRITERS = (states.ENTERPRISE, states.REVIEWER, states.OFFICER, states.EXPERT)


def application_query(user: Any) -> Select:
    """The applications ``user`` may see, as a query to filter further."""
    q = select(Application).join(Enterprise, Enterprise.id == Application.enterprise_id)
    if user.role == states.OFFICER and user.district:
        return q.where(Enterprise.district == user.district)  # a district officer: that district's enterprises
    if user.role in READERS_OF_ALL:
        return q
    if user.role == states.ENTERPRISE:
        return q.where(Application.enterprise_id == (user.enterprise_id if user.enterprise_id is not None else -1))
    if user.role == states.REVIEWER:
        return q.where(Enterprise.town == (user.town or "\x00"))
    if user.role == states.EXPERT:
        from huiqi.workflow.users.models import ExpertTie

        assigned = select(ExpertAssignment.application_id).where(ExpertAssignment.expert_id == user.id)
        tied = select(ExpertTie.enterprise_id).where(ExpertTie.expert_id == user.id)
        return q.where(Application.id.in_(assigned), Application.enterprise_id.not_in(tied))
    return q.where(Application.id == -1)


def can_see_application(session: Session, user: Any, app: Application) -> bool:
    return session.execute(application_query(user).where(Application.id == app.id).with_only_columns(Application.id)).first() is not None


def application_for(session: Session, user: Any, application_id: int) -> Application:
    """The application if ``user`` may see it; otherwise 404 (existence is not disclosed)."""
    app = session.get(Application, application_id)
    if app is None or not can_see_application(session, user, app):
        raise ApiError(404, f"申报不存在或无权查看：{application_id}", f"no such application, or you may not see it: {application_id}", field="application_id")
    return app


def require_enterprise(user: Any) -> int:
    if user.role != states.ENTERPRISE or user.enterprise_id is None:
        raise forbidden("只有企业用户可以进行此操作", "only enterprise users may do this", field="role")
    return user.enterprise_id


def enterprise_visible(session: Session, user: Any, enterprise_id: int) -> Enterprise:
    ent = session.get(Enterprise, enterprise_id)
    ok = ent is not None and (
        (user.role == states.OFFICER and user.district and ent.district == user.district)
        or (user.role == states.AUDITOR or (user.role == states.OFFICER and not user.district))
        or (user.role == states.ENTERPRISE and user.enterprise_id == enterprise_id)
        or (user.role == states.REVIEWER and (ent.town or "") == (user.town or "\x00"))
    )
    if not ok:
        raise ApiError(404, f"企业不存在或无权查看：{enterprise_id}", f"no such enterprise, or you may not see it: {enterprise_id}", field="enterprise_id")
    return ent  # type: ignore[return-value]
