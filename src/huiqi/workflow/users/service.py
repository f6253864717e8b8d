"""Users and roles; passwords hashed with argon2; experts' declared ties (回避)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import states
from huiqi.workflow.common import get_or_404
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import InvalidInput, NotFound, PermissionDenied
from huiqi.workflow.users.models import ExpertTie, User

_hasher = PasswordHasher()
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def create(*, session: Session, username: str, password: str, role: str, display_name: str | None = None, enterprise_id: int | None = None, town: str | None = None, district: str | None = None, department: str | None = None, actor: User | None = None) -> User:
    """Create a user; an enterprise user needs an enterprise, a town/park reviewer a town."""
    username = (username or "").strip()
    if not username:
        raise InvalidInput("用户名不能为空", "a username is required", field="username")
    if role not in states.ROLES:
        raise InvalidInput(f"未知角色 {role}；可选：{'、'.join(states.ROLES)}", f"unknown role {role!r}; one of {', '.join(states.ROLES)}", field="role")
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 位", f"the password needs at least {MIN_PASSWORD} characters", field="password")
    if role == states.ENTERPRISE:
        if enterprise_id is None:
            raise InvalidInput("企业用户须绑定一家企业", "an enterprise user must be bound to an enterprise", field="enterprise")
        get_or_404(session, Enterprise, enterprise_id, zh="企业", en="enterprise", field="enterprise")
    elif enterprise_id is not None:
        raise InvalidInput("只有企业用户绑定企业", "only enterprise users are bound to an enterprise", field="enterprise")
    if role == states.REVIEWER and not (town or "").strip():
        raise InvalidInput("镇（园区）审核人须绑定所在镇（园区）", "a town/park reviewer must be bound to a town or park", field="town")
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise InvalidInput(f"用户名已存在：{username}", f"username already taken: {username}", field="username")
    user = User(username=username, display_name=display_name or username, role=role, password_hash=hash_password(password), enterprise_id=enterprise_id, town=town, district=district, department=department)
    session.add(user)
    session.flush()
    audit.record(session, actor=actor.username if actor else "system", action="user.create", entity="user", entity_id=user.id, data={"username": username, "role": role, "enterprise_id": enterprise_id, "town": town, "district": district})
    return user


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user if the password matches, else None (rehashes outdated argon2 parameters)."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        _hasher.hash(password or "")  # similar timing whether or not the user exists
        return None
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(*, session: Session, user_id: int, password: str, actor: User | None = None) -> None:
    """Replace a user's password."""
    user = get_or_404(session, User, user_id, zh="用户", en="user")
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 位", f"the password needs at least {MIN_PASSWORD} characters", field="password")
    user.password_hash = hash_password(password)
    audit.record(session, actor=actor.username if actor else "system", action="user.password", entity="user", entity_id=user.id)


def get_by_username(*, session: Session, username: str) -> User:
    """The user with this name, or NotFound."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"用户不存在：{username}", f"no such user: {username}", field="user")
    return user


def list_all(*, session: Session) -> list[User]:
    """Every user, by username."""
    return list(session.execute(select(User).order_by(User.username)).scalars())


def require_role(actor: User, *roles: str) -> None:
    """Raise PermissionDenied unless the actor holds one of ``roles``."""
    if not actor.active or actor.role not in roles:
        zh = "、".join(states.ROLES[r][0] for r in roles)
        en = ", ".join(states.ROLES[r][1] for r in roles)
        raise PermissionDenied(f"只有{zh}可以进行此操作", f"only {en} may do this", field="role")


def declare_tie(*, session: Session, expert_id: int, enterprise_id: int, reason: str, actor: User) -> ExpertTie:
    """Record an expert's tie with an enterprise: they will never be assigned its applications."""
    expert = get_or_404(session, User, expert_id, zh="专家", en="expert", field="expert")
    if expert.role != states.EXPERT:
        raise InvalidInput(f"{expert.username} 不是评审专家", f"{expert.username} is not an expert", field="expert")
    if actor.id != expert.id:
        require_role(actor, states.OFFICER)
    get_or_404(session, Enterprise, enterprise_id, zh="企业", en="enterprise", field="enterprise")
    if not (reason or "").strip():
        raise InvalidInput("须说明关联关系", "describe the tie", field="reason")
    tie = session.execute(select(ExpertTie).where(ExpertTie.expert_id == expert_id, ExpertTie.enterprise_id == enterprise_id)).scalar_one_or_none()
    if tie is None:
        tie = ExpertTie(expert_id=expert_id, enterprise_id=enterprise_id, reason=reason.strip())
        session.add(tie)
        session.flush()
        audit.record(session, actor=actor.username, action="expert.tie", entity="user", entity_id=expert_id, reason=reason, data={"enterprise_id": enterprise_id})
    return tie


def has_tie(*, session: Session, expert_id: int, enterprise_id: int) -> bool:
    """Whether the expert declared a tie with the enterprise."""
    return session.execute(select(ExpertTie.id).where(ExpertTie.expert_id == expert_id, ExpertTie.enterprise_id == enterprise_id)).first() is not None
