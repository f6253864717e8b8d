"""Enterprise services: register and look up 申报主体 by their USCC."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.uscc import USCCError, validate_uscc
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import InvalidInput, NotFound
from huiqi.workflow.users.models import User


def check_uscc(uscc: str, *, field: str = "uscc") -> str:
    """Validate a USCC (GB 32100-2015) or raise a bilingual InvalidInput naming ``field``."""
    try:
        return validate_uscc(str(uscc), field=field)
    except USCCError as exc:
        raise InvalidInput(exc.message_zh, exc.message_en, field=field) from None


def create(*, session: Session, uscc: str, name: str, district: str | None = None, town: str | None = None, actor: User | None = None) -> Enterprise:
    """Register an enterprise; the USCC must be valid and not yet registered."""
    code = check_uscc(uscc)
    if not (name or "").strip():
        raise InvalidInput("企业名称不能为空", "the enterprise name is required", field="name")
    if session.execute(select(Enterprise).where(Enterprise.uscc == code)).scalar_one_or_none():
        raise InvalidInput(f"统一社会信用代码已登记：{code}", f"USCC already registered: {code}", field="uscc")
    ent = Enterprise(uscc=code, name=name.strip(), district=district, town=town)
    session.add(ent)
    session.flush()
    audit.record(session, actor=actor.username if actor else "system", action="enterprise.create", entity="enterprise", entity_id=ent.id, data={"uscc": code, "name": ent.name, "district": district, "town": town})
    return ent


def get_by_uscc(*, session: Session, uscc: str) -> Enterprise:
    """The enterprise with this USCC, or NotFound."""
    code = check_uscc(uscc)
    ent = session.execute(select(Enterprise).where(Enterprise.uscc == code)).scalar_one_or_none()
    if ent is None:
        raise NotFound(f"未登记的企业：{code}", f"no enterprise with USCC {code}", field="uscc")
    return ent


def get_or_create(*, session: Session, uscc: str, name: str, district: str | None = None, town: str | None = None, actor: User | None = None) -> Enterprise:
    """The enterprise with this USCC, registering it first if needed."""
    code = check_uscc(uscc)
    ent = session.execute(select(Enterprise).where(Enterprise.uscc == code)).scalar_one_or_none()
    return ent or create(session=session, uscc=code, name=name, district=district, town=town, actor=actor)


def list_all(*, session: Session) -> list[Enterprise]:
    """Every enterprise, by USCC."""
    return list(session.execute(select(Enterprise).order_by(Enterprise.uscc)).scalars())
