"""One live application per enterprise × programme × claim subject × round (issue 14, finding 1:
"an enterprise can also submit a second application for the same programme and the same claim
subject (lease, drug…) in the same round; nothing warns anyone"). On SQLite and PostgreSQL.

The fixture programme WF-RENT supports a lease (subject ``lease``, the claim ``lease-1``).
"""

from __future__ import annotations

import threading
import time

import pytest

from huiqi.workflow.applications import service as applications
from huiqi.workflow.errors import DuplicateApplication
from tests.workflow import helpers as h


def _lease(i: str = "1") -> list[dict]:
    return [{"id": f"lease-{i}", "kind": "lease", "annual_rent": "1000000", "start_date": "2025-06-01"}]


def test_a_second_draft_for_the_same_lease_is_refused_naming_the_first(session, world):
    first = h.draft(session, world, 0, "WF-RENT", _lease())
    with pytest.raises(DuplicateApplication) as err:
        h.draft(session, world, 0, "WF-RENT", _lease())
    e = err.value
    assert e.status_code == 409 and e.field == "programme"
    assert e.details == {
        "existing_id": first.id,
        "state": "draft",
        "round": "JS-2026-1",
        "programme": "WF-RENT",
        "claim": "lease-1",
    }
    assert (
        f"第 {first.id} 号（草稿）" in e.message_zh and "请查看已有申报" in e.message_zh and "lease-1" in e.message_zh
    )
    assert f"no. {first.id} (draft)" in e.message_en and "测试企业1" in e.message_en


def test_a_submitted_one_blocks_too_and_an_officer_recording_paper_is_refused_alike(session, world):
    first = h.submitted(session, world, 0, "WF-RENT", _lease())
    with pytest.raises(DuplicateApplication) as err:
        h.draft(session, world, 0, "WF-RENT", _lease(), actor=world.officer)
    assert err.value.details["existing_id"] == first.id and err.value.details["state"] == "submitted"


def test_another_lease_another_enterprise_or_another_programme_is_not_a_duplicate(session, world):
    a = h.draft(session, world, 0, "WF-RENT", _lease("1"))
    b = h.draft(session, world, 0, "WF-RENT", _lease("2"))  # a second leased building
    c = h.draft(session, world, 1, "WF-RENT", _lease("1"))  # another enterprise's lease-1
    assert len({a.id, b.id, c.id}) == 3


@pytest.mark.parametrize("ends", ["withdraw", "reject"])
def test_after_a_withdrawal_or_a_rejection_one_may_apply_again(session, world, ends):
    from huiqi.workflow.reviews import service as reviews

    if ends == "withdraw":
        first = h.draft(session, world, 0, "WF-RENT", _lease())
        applications.withdraw(session=session, application_id=first.id, actor=world.ent_users[0], reason="填错了")
    else:
        first = h.submitted(session, world, 0, "WF-RENT", _lease())
        reviews.district_check(
            session=session, application_id=first.id, actor=world.officer, passed=False, opinion="材料不全"
        )
    again = h.draft(session, world, 0, "WF-RENT", _lease())
    assert again.id != first.id
    with pytest.raises(DuplicateApplication) as err:  # and the new one is the live one now
        h.draft(session, world, 0, "WF-RENT", _lease())
    assert err.value.details["existing_id"] == again.id


def test_the_refusal_writes_nothing(session, world):
    from sqlalchemy import func, select

    from huiqi.audit import AuditEntry
    from huiqi.workflow.applications.models import Application

    h.draft(session, world, 0, "WF-RENT", _lease())
    session.commit()
    count = lambda model: session.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
    before = (count(Application), count(AuditEntry))
    with pytest.raises(DuplicateApplication):
        h.draft(session, world, 0, "WF-RENT", _lease())
    session.rollback()
    assert (count(Application), count(AuditEntry)) == before


def test_two_drafts_at_once_make_one(factory, session, world):
    """Two requests at the same moment (two browser tabs): the enterprise row is locked, so exactly
    one draft is made and the other is told about it."""
    session.commit()
    barrier = threading.Barrier(2)
    outcome: list[str] = []

    def make():
        s = factory()
        try:
            barrier.wait()
            user = s.get(type(world.ent_users[0]), world.ent_users[0].id)
            prof = h.base_profile()
            prof["claims"] = _lease()
            applications.create_draft(
                session=s,
                round_id=world.round.id,
                enterprise_id=world.ent[0].id,
                programme_id="WF-RENT",
                profile=prof,
                actor=user,
                policies=world.policies,
            )
            time.sleep(0.3)  # hold the lock while the other tries
            s.commit()
            outcome.append("made")
        except DuplicateApplication:
            s.rollback()
            outcome.append("refused")
        except Exception as exc:  # noqa: BLE001 - shown by the assertion
            s.rollback()
            outcome.append(f"error:{exc!r}")
        finally:
            s.close()

    threads = [threading.Thread(target=make) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcome) == ["made", "refused"]


def test_at_most_ten_files_per_checklist_item(session, world):
    """Finding 7: 150 uploads to one item were accepted. The eleventh is refused naming the item."""
    from huiqi.workflow.errors import InvalidInput
    from huiqi.workflow.materials import service as materials

    app = h.draft(session, world, 0, "WF-RENT", _lease())
    up = lambda i, item="form": materials.upload(  # noqa: E731
        session=session,
        application_id=app.id,
        material_id=item,
        filename=f"{i}.pdf",
        content=h.PDF + str(i).encode(),
        actor=world.ent_users[0],
        stamped=True,
        policies=world.policies,
    )
    for i in range(10):
        up(i)
    with pytest.raises(InvalidInput) as err:
        up(10)
    assert err.value.field == "file" and err.value.details == {"material": "form", "files": 10, "limit": 10}
    assert "每项最多 10 个" in err.value.message_zh and "at most 10 per item" in err.value.message_en
    up(11, "lease")  # another item is not affected
