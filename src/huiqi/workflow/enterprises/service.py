"""Enterprise services: register and look up 申报主体 by their USCC.

The enterprise record is where an enterprise's registered district and town come from: a
submitted profile that contradicts it is refused (``applications.service``). An officer registers
enterprises of its own district; the administrator anywhere (``access``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.uscc import USCCError, validate_uscc
from huiqi.workflow import access
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import InvalidInput, NotFound
from huiqi.workflow.users.models import User


def check_uscc(uscc: str, *, field: str = "uscc") -> str:
    """Validate a USCC (GB 32100-2015) or raise a bilingual InvalidInput naming ``field``."""
    try:
        return validate_uscc(str(uscc), field=field)
    except USCCError as exc:
        raise InvalidInput(exc.message_zh, exc.message_en, field=field) from None


def create(*, session: Session, uscc: str, name: str, actor: User, district: str | None = None, town: str | None = None) -> Enterprise:
    """Register an enterprise; the USCC must be valid and not yet registered. An officer registers
    it in its own district (the default); the administrator names the district."""
    access.authorize(actor, "enterprise.create")
    district = (district or "").strip() or (actor.district if actor.role != access.ADMIN else None)
    if not district:
        raise InvalidInput("须填写企业注册登记所在区", "the district the enterprise is registered in is required", field="district")
    access.require_district(actor, district, what=("登记企业", "register enterprises"))
    return _register(session=session, uscc=uscc, name=name, district=district, town=town, by=actor.username)


def _register(*, session: Session, uscc: str, name: str, district: str | None, town: str | None, by: str) -> Enterprise:
    code = check_uscc(uscc)
    if not (name or "").strip():
        raise InvalidInput("企业名称不能为空", "the enterprise name is required", field="name")
    if session.execute(select(Enterprise).where(Enterprise.uscc == code)).scalar_one_or_none():
        raise InvalidInput(f"统一社会信用代码已登记：{code}", f"USCC already registered: {code}", field="uscc")
    town = (town or "").strip() or None
    ent = Enterprise(uscc=code, name=name.strip(), district=district, town=town)
    session.add(ent)
    session.flush()
    audit.record(session, actor=by, action="enterprise.create", entity="enterprise", entity_id=ent.id, district=district, data={"uscc": code, "name": ent.name, "district": district, "town": town})
    return ent


def get_by_uscc(*, session: Session, uscc: str, actor: User) -> Enterprise:
    """The enterprise with this USCC if the actor may see it, else NotFound."""
    code = check_uscc(uscc)
    ent = session.execute(select(Enterprise).where(Enterprise.uscc == code, access.visible(actor, Enterprise))).scalar_one_or_none()
    if ent is None:
        raise NotFound(f"未登记的企业或无权查看：{code}", f"no enterprise with USCC {code}, or you may not see it", field="uscc")
    return ent


def get(*, session: Session, enterprise_id: int, actor: User) -> Enterprise:
    """The enterprise if the actor may see it, else NotFound."""
    return access.get(session, actor, Enterprise, enterprise_id, field="enterprise")


def get_or_register(*, session: Session, uscc: str, name: str, district: str | None, town: str | None, actor: User) -> Enterprise:
    """For an import the actor is authorised to run: the enterprise with this USCC (whatever its
    district: the import's applications make it visible to the importing district), registering
    it first — in ``district`` — if it is not known yet."""
    code = check_uscc(uscc)
    ent = session.execute(select(Enterprise).where(Enterprise.uscc == code)).scalar_one_or_none()
    return ent or _register(session=session, uscc=code, name=name, district=district, town=town, by=actor.username)


def list_all(*, session: Session, actor: User) -> list[Enterprise]:
    """The enterprises the actor may see (``access``: an officer those registered in its district or
    applying in its rounds; an expert the same, to declare ties; an enterprise user its own), by USCC."""
    return list(session.execute(select(Enterprise).where(access.visible(actor, Enterprise)).order_by(Enterprise.uscc)).scalars())
