"""Signed-in sessions kept on the server, and the log-in lock-out — one mechanism for the pages'
cookie and the API's bearer token.

* A session is a random id (``secrets.token_urlsafe(32)``, 256 bits) given to the browser as its
  cookie or to an API client as its token; the database keeps only its SHA-256
  (:class:`~huiqi.workflow.users.models.UserSession`). Nothing in the cookie is derived from the
  password or its hash. A session ends when it expires, on log-out (:func:`end`), and — all of a
  user's sessions — when the password changes (:func:`end_all`, called by ``users.set_password``).
* Failed log-ins are counted per account name and per client address, separately
  (:class:`~huiqi.workflow.users.models.LoginFailure`): after ``account_attempts`` consecutive
  failures an account is locked for ``lock_seconds``, doubled at each further failure up to
  ``lock_max_seconds`` (a success resets it); an address may fail ``address_attempts`` times in
  ``window_seconds`` before it must wait. The two are independent, so one person behind an
  office's shared address who keeps guessing one account's password locks that account only, and
  colleagues log in as usual; guessing many accounts from one address is slowed by the address
  limit. Unknown account names are counted like real ones (the answer never tells which exist).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from huiqi.workflow.common import utcnow
from huiqi.workflow.users.models import LoginFailure, User, UserSession

KINDS = ("web", "api")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives back naive datetimes; every time here is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def plausible(token: str | None) -> bool:
    """Whether ``token`` looks like one of our ids (before any look-up)."""
    if not token or not 20 <= len(token) <= 100:
        return False
    return all(c.isalnum() or c in "-_" for c in token)


def start(*, session: Session, user: User, kind: str, max_age: int, address: str | None = None) -> str:
    """A new session for ``user``; returns the random id (shown once: only its digest is kept)."""
    if kind not in KINDS:
        raise ValueError(kind)
    now = utcnow()
    # expired and ended sessions are kept a day (for the record), then removed
    session.execute(delete(UserSession).where(UserSession.expires_at < now - dt.timedelta(days=1)))
    token = secrets.token_urlsafe(32)
    row = UserSession(
        token_hash=_digest(token),
        user_id=user.id,
        kind=kind,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=max_age),
        address=(address or "")[:64] or None,
    )
    session.add(row)
    session.flush()
    return token


def find(*, session: Session, token: str | None, kind: str) -> tuple[UserSession, User] | None:
    """The live session with this id and its active user, else None (unknown, expired, ended, or
    the user deactivated)."""
    if not plausible(token):
        return None
    q = select(UserSession).where(UserSession.token_hash == _digest(token))  # type: ignore[arg-type]
    row = session.execute(q).scalar_one_or_none()
    if row is None or row.kind != kind or row.revoked_at is not None or _aware(row.expires_at) <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return row, user


def end(*, session: Session, token: str | None, reason: str = "logout") -> bool:
    """End the session with this id (log-out); True if a live one was ended."""
    if not plausible(token):
        return False
    res = session.execute(
        update(UserSession)
        .where(UserSession.token_hash == _digest(token), UserSession.revoked_at.is_(None))  # type: ignore[arg-type]
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return bool(res.rowcount)


def end_all(*, session: Session, user_id: int, reason: str) -> int:
    """End every live session of a user (password changed); returns how many."""
    res = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return int(res.rowcount or 0)


def live_count(*, session: Session, user_id: int) -> int:
    now = utcnow()
    rows = session.execute(select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None)))
    return sum(1 for r in rows.scalars() if _aware(r.expires_at) > now)


# ------------------------------------------------------------------ lock-out


@dataclass(frozen=True)
class LockoutRules:
    account_attempts: int = 5  # consecutive failures before an account is locked
    lock_seconds: int = 60  # the first lock; doubled at each further failure
    lock_max_seconds: int = 3600
    address_attempts: int = 30  # failures per client address in the window
    window_seconds: int = 300


def account_key(username: str) -> str:
    return "user:" + (username or "").strip().lower()[:190]


def address_key(address: str) -> str:
    return "ip:" + (address or "unknown")[:190]


def wait_seconds(*, session: Session, username: str, address: str, rules: LockoutRules) -> tuple[int, str]:
    """Seconds before another log-in may be tried, and why (``account``/``address``; 0, "": now)."""
    now = utcnow()
    wait, why = 0, ""
    acct = session.get(LoginFailure, account_key(username))
    if acct is not None and acct.locked_until is not None:
        left = (_aware(acct.locked_until) - now).total_seconds()  # type: ignore[operator]
        if left > 0:
            wait, why = int(left) + 1, "account"
    addr = session.get(LoginFailure, address_key(address))
    if addr is not None and addr.failures >= rules.address_attempts:
        ends = _aware(addr.first_at) + dt.timedelta(seconds=rules.window_seconds)  # type: ignore[operator]
        left = (ends - now).total_seconds()
        if left > 0 and int(left) + 1 > wait:
            wait, why = int(left) + 1, "address"
    return wait, why


def failed(*, session: Session, username: str, address: str, rules: LockoutRules) -> None:
    """Count a failed log-in against the account name and the address (the caller commits)."""
    now = utcnow()
    acct = session.get(LoginFailure, account_key(username), with_for_update=True)
    if acct is None:
        acct = LoginFailure(key=account_key(username), failures=0, first_at=now, last_at=now)
        session.add(acct)
    acct.failures += 1
    acct.last_at = now
    if acct.failures >= rules.account_attempts:
        extra = acct.failures - rules.account_attempts
        acct.locked_until = now + dt.timedelta(
            seconds=min(rules.lock_seconds * 2 ** min(extra, 20), rules.lock_max_seconds)
        )
    addr = session.get(LoginFailure, address_key(address), with_for_update=True)
    window_start = now - dt.timedelta(seconds=rules.window_seconds)
    if addr is None or _aware(addr.first_at) <= window_start:  # type: ignore[operator]
        if addr is None:
            addr = LoginFailure(key=address_key(address), failures=0, first_at=now, last_at=now)
            session.add(addr)
        addr.failures, addr.first_at = 0, now
    addr.failures += 1
    addr.last_at = now
    session.flush()


def succeeded(*, session: Session, username: str) -> None:
    """A successful log-in clears the account's failures (the address's count stays)."""
    session.execute(delete(LoginFailure).where(LoginFailure.key == account_key(username)))
