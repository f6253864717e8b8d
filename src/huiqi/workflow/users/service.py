"""Users, their roles and scopes; passwords hashed with argon2; experts' declared ties (回避)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet
from huiqi.workflow import access, states
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import InvalidInput, NotFound, PermissionDenied
from huiqi.workflow.policy import default_policies
from huiqi.workflow.users import sessions
from huiqi.workflow.users.models import ExpertTie, User

_hasher = PasswordHasher()
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def _known_districts(policies: PolicySet | None) -> set[str]:
    """The districts the program serves: those of the loaded policy documents."""
    ps = policies or default_policies()
    return {d.district for d in ps.documents if d.district}


def _check_scope(*, role: str, district: str | None, town: str | None, enterprise_id: int | None, districts: set[str]) -> None:
    """No user without the scope its role needs (``access.SCOPES``), and none it does not need."""
    need = access.SCOPES[role]
    given = {"district": district, "town": town, "enterprise_id": enterprise_id}
    for f in need:
        if given[f] in (None, ""):
            zh, en = access.SCOPE_LABELS[f]
            rz, re_ = states.ROLES[role]
            raise InvalidInput(f"{rz}须设定{zh}", f"a user of role {role} ({re_}) needs a {en}", field="enterprise" if f == "enterprise_id" else f)
    for f, v in given.items():
        if f not in need and v not in (None, ""):
            zh, en = access.SCOPE_LABELS[f]
            raise InvalidInput(f"{states.ROLES[role][0]}不设定{zh}", f"a user of role {role} has no {en}", field="enterprise" if f == "enterprise_id" else f)
    if district and district not in districts:
        raise InvalidInput(f"未知的区：{district}（政策文件中的区：{'、'.join(sorted(districts))}）", f"unknown district {district!r} (the policy documents' districts: {', '.join(sorted(districts))})", field="district")


def create(*, session: Session, username: str, password: str, role: str, actor: User, display_name: str | None = None, enterprise_id: int | None = None, town: str | None = None, district: str | None = None, department: str | None = None, policies: PolicySet | None = None) -> User:
    """Create a user with the scope its role needs (``access.SCOPES``). Who may create whom is
    decided by ``access.check_new_user``: the administrator anyone; a district officer only users
    of its district (the district defaults to its own), never an administrator. The first
    administrator is created by :func:`bootstrap_admin`."""
    username = (username or "").strip()
    if not username:
        raise InvalidInput("用户名不能为空", "a username is required", field="username")
    if role not in states.ROLES:
        raise InvalidInput(f"未知角色 {role}；可选：{'、'.join(states.ROLES)}", f"unknown role {role!r}; one of {', '.join(states.ROLES)}", field="role")
    district = access.check_new_user(session, actor, role=role, district=(district or "").strip() or None, town=town, enterprise_id=enterprise_id)
    return _create(session=session, username=username, password=password, role=role, display_name=display_name, enterprise_id=enterprise_id, town=(town or "").strip() or None, district=district, department=department, by=actor.username, policies=policies)


def bootstrap_admin(*, session: Session, username: str, password: str, display_name: str | None = None, policies: PolicySet | None = None) -> User:
    """The first system administrator, created without an acting user — only while the database
    has no administrator (``huiqi user add NAME --role admin`` on a new installation)."""
    if session.execute(select(User.id).where(User.role == states.ADMIN).limit(1)).first() is not None:
        raise PermissionDenied("已有系统管理员：请以管理员身份（--actor）创建用户", "an administrator exists already: create users as one (--actor)", field="actor")
    return _create(session=session, username=(username or "").strip(), password=password, role=states.ADMIN, display_name=display_name, enterprise_id=None, town=None, district=None, department=None, by="system", policies=policies)


def _create(*, session: Session, username: str, password: str, role: str, display_name: str | None, enterprise_id: int | None, town: str | None, district: str | None, department: str | None, by: str, policies: PolicySet | None) -> User:
    if not username:
        raise InvalidInput("用户名不能为空", "a username is required", field="username")
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 位", f"the password needs at least {MIN_PASSWORD} characters", field="password")
    _check_scope(role=role, district=district, town=town, enterprise_id=enterprise_id, districts=_known_districts(policies) if district else set())
    if enterprise_id is not None and session.get(Enterprise, enterprise_id) is None:
        raise NotFound(f"企业不存在：{enterprise_id}", f"no such enterprise: {enterprise_id}", field="enterprise")
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise InvalidInput(f"用户名已存在：{username}", f"username already taken: {username}", field="username")
    user = User(username=username, display_name=display_name or username, role=role, password_hash=hash_password(password), enterprise_id=enterprise_id, town=town, district=district, department=department)
    session.add(user)
    session.flush()
    ent_district = session.get(Enterprise, enterprise_id).district if enterprise_id is not None else None
    audit.record(session, actor=by, action="user.create", entity="user", entity_id=user.id, district=district or ent_district,
                 data={"username": username, "role": role, "enterprise_id": enterprise_id, "town": town, "district": district})
    return user


def set_scope(*, session: Session, user_id: int, actor: User, district: str | None = None, town: str | None = None, enterprise_id: int | None = None, policies: PolicySet | None = None) -> User:
    """The administrator sets (or corrects) the scope of a user — e.g. an officer left without a
    district by migration 0003, who sees nothing until then. Audited, with before and after."""
    access.authorize(actor, "user.scope")
    user = access.get(session, actor, User, user_id, field="user")
    district, town = (district or "").strip() or None, (town or "").strip() or None
    _check_scope(role=user.role, district=district, town=town, enterprise_id=enterprise_id, districts=_known_districts(policies) if district else set())
    if enterprise_id is not None and session.get(Enterprise, enterprise_id) is None:
        raise NotFound(f"企业不存在：{enterprise_id}", f"no such enterprise: {enterprise_id}", field="enterprise")
    before = {"district": user.district, "town": user.town, "enterprise_id": user.enterprise_id}
    user.district, user.town, user.enterprise_id = district, town, enterprise_id
    session.flush()
    audit.record(session, actor=actor.username, action="user.scope", entity="user", entity_id=user.id, district=district,
                 data={"before": before, "after": {"district": district, "town": town, "enterprise_id": enterprise_id}})
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


def set_password(*, session: Session, user_id: int, password: str, actor: User) -> None:
    """Replace a user's password: one's own, or (the administrator) anyone's. Every session of the
    user ends (``sessions.end_all``): a stolen cookie or token dies with the old password."""
    user = access.get(session, actor, User, user_id, field="user")
    if user.id != actor.id:
        access.authorize(actor, "user.scope")
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 位", f"the password needs at least {MIN_PASSWORD} characters", field="password")
    user.password_hash = hash_password(password)
    # every session of the user ends (its browsers and API tokens log in again with the new password)
    ended = sessions.end_all(session=session, user_id=user.id, reason="password")
    audit.record(session, actor=actor.username, action="user.password", entity="user", entity_id=user.id, district=user.district,
                 data={"sessions_ended": ended})


def by_username(*, session: Session, username: str) -> User:
    """The user with this name, or NotFound — to know who acts (the CLI's ``--actor``, a log-in);
    what that user may see is then decided by ``access``."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"用户不存在：{username}", f"no such user: {username}", field="user")
    return user


def get_by_username(*, session: Session, username: str, actor: User) -> User:
    """The user with this name, if the actor may see it; else NotFound."""
    user = session.execute(select(User).where(User.username == username, access.visible(actor, User))).scalar_one_or_none()
    if user is None:
        raise NotFound(f"用户不存在或无权查看：{username}", f"no such user, or you may not see it: {username}", field="user")
    return user


def list_all(*, session: Session, actor: User, role: str | None = None) -> list[User]:
    """The users the actor may see (``access``), by username; ``role``: only those."""
    access.authorize(actor, "user.read")
    q = select(User).where(access.visible(actor, User)).order_by(User.username)
    if role:
        q = q.where(User.role == role)
    return list(session.execute(q).scalars())


def declare_tie(*, session: Session, expert_id: int, enterprise_id: int, reason: str, actor: User) -> ExpertTie:
    """Record an expert's tie with an enterprise (回避): it will never be assigned, see or score
    its applications, and a score it gave before is void (``reviews.flows.void_tied_scores``).
    An expert declares its own ties; an officer records them for its district's experts. Both
    only for an enterprise they can see (their district's)."""
    from huiqi.workflow.reviews import flows as review_flows

    expert = access.get(session, actor, User, expert_id, field="expert")  # an expert sees itself only
    access.authorize(actor, "expert.tie")
    if expert.role != states.EXPERT:
        raise InvalidInput(f"{expert.username} 不是评审专家", f"{expert.username} is not an expert", field="expert")
    access.get(session, actor, Enterprise, enterprise_id, field="enterprise")
    if not (reason or "").strip():
        raise InvalidInput("须说明关联关系", "describe the tie", field="reason")
    tie = session.execute(select(ExpertTie).where(ExpertTie.expert_id == expert_id, ExpertTie.enterprise_id == enterprise_id)).scalar_one_or_none()
    if tie is None:
        tie = ExpertTie(expert_id=expert_id, enterprise_id=enterprise_id, district=expert.district, reason=reason.strip())
        session.add(tie)
        session.flush()
        audit.record(session, actor=actor.username, action="expert.tie", entity="user", entity_id=expert_id, district=expert.district, reason=reason, data={"enterprise_id": enterprise_id})
        review_flows.void_tied_scores(session=session, expert=expert, enterprise_id=enterprise_id, actor=actor, reason=reason.strip())
    return tie


def ties(*, session: Session, actor: User, expert_id: int | None = None) -> list[ExpertTie]:
    """The declared ties the actor may see (an expert: its own)."""
    q = select(ExpertTie).where(access.visible(actor, ExpertTie)).order_by(ExpertTie.id)
    if expert_id is not None:
        q = q.where(ExpertTie.expert_id == expert_id)
    return list(session.execute(q).scalars())
