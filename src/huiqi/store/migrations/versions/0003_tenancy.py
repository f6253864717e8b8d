"""districts as tenants: a district on every record money touches; void expert scores

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10

Every record money touches belongs to a district, its round's document's district (issue 13):

* ``rounds.district`` — the district of its programmes' policy document. Back-filled from the
  policies (``huiqi.workflow.policy.default_policies``: the settings' policy directory) where its
  programmes are found there (the document wins over a district typed in before); else the value
  stored; else the one district of its applicants' enterprises.
* ``applications.district`` (indexed) — its round's; a grant without a round (免申即享): its
  programme's document's, else its enterprise's.
* ``notice_batches``, ``payment_batches``, ``change_requests``, ``revocations``, ``receivables``:
  their applications' district; ``import_runs``: the district of the applications it created, else
  of its programme's document, else of the officer who ran it; ``credit_records``: their import's,
  else the enterprise's registered district. A credit record left without one was imported before
  districts were recorded: it counts for every district (never silently dropped); new imports
  always carry the importing officer's district. The uniqueness of a record becomes per district.
* ``expert_ties.district`` — the expert's.
* ``audit_log.district`` — the district of the record an entry concerns (None: system-wide).
  The hash chain does not cover this column (see ``huiqi.audit``), so back-filling it breaks nothing.
* ``expert_assignments.voided_at`` / ``void_reason`` — a score voided by a tie declared after scoring.

Users are **not** given a district here: a user whose role needs a scope it does not have
(an officer, expert or auditor without a district, a reviewer without a district or town) sees
nothing and may do nothing until an administrator sets it (``huiqi user scope``).
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TENANT_TABLES = (
    'applications',
    'audit_log',
    'change_requests',
    'credit_records',
    'expert_ties',
    'import_runs',
    'notice_batches',
    'payment_batches',
    'receivables',
    'revocations',
)


def upgrade() -> None:
    for table in TENANT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('district', sa.String(length=50), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_district'), ['district'], unique=False)
    with op.batch_alter_table('credit_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_credit_records_uscc'), type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_credit_records_district'), ['district', 'uscc', 'record_date', 'authority']
        )
    with op.batch_alter_table('expert_assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rounds_district'), ['district'], unique=False)
    _backfill()


def _programme_districts() -> dict[str, str]:
    """programme id → its document's district, from the loaded policies ({} if they cannot be loaded)."""
    try:
        from huiqi.workflow.policy import default_policies

        ps = default_policies()
    except Exception:  # noqa: BLE001 - a migration must not fail on a policy directory it cannot read
        return {}
    return {p.id: d.district for d in ps.documents for p in d.programmes if d.district}


def _t(name: str, *cols: str) -> sa.TableClause:
    types = {
        'id': sa.Integer,
        'round_id': sa.Integer,
        'application_id': sa.Integer,
        'enterprise_id': sa.Integer,
        'import_id': sa.Integer,
        'batch_id': sa.Integer,
        'instalment_id': sa.Integer,
        'expert_id': sa.Integer,
        'actor_id': sa.Integer,
        'notice_batch_id': sa.Integer,
        'programmes': sa.JSON,
    }
    return sa.table(name, *(sa.column(c, types.get(c, sa.String)) for c in cols))


def _backfill() -> None:
    bind = op.get_bind()
    by_programme = _programme_districts()
    rounds = _t('rounds', 'id', 'district', 'programmes')
    apps = _t(
        'applications', 'id', 'round_id', 'enterprise_id', 'programme_id', 'district', 'import_id', 'notice_batch_id'
    )
    ents = _t('enterprises', 'id', 'uscc', 'district')
    users = _t('users', 'id', 'district')

    # rounds: the programmes' document's district, else what was stored, else the applicants' one district
    for rid, stored, programmes in bind.execute(sa.select(rounds.c.id, rounds.c.district, rounds.c.programmes)).all():
        found = {by_programme[p] for p in (programmes or []) if p in by_programme}
        district = found.pop() if len(found) == 1 else stored
        if district is None:
            seen = {
                d
                for (d,) in bind.execute(
                    sa.select(ents.c.district)
                    .select_from(apps.join(ents, ents.c.id == apps.c.enterprise_id))
                    .where(apps.c.round_id == rid, ents.c.district.is_not(None))
                    .distinct()
                ).all()
            }
            district = seen.pop() if len(seen) == 1 else None
        if district != stored:
            bind.execute(rounds.update().where(rounds.c.id == rid).values(district=district))

    # applications: the round's; without a round, the programme's document's, else the enterprise's
    bind.execute(
        apps.update()
        .where(apps.c.round_id.is_not(None))
        .values(district=sa.select(rounds.c.district).where(rounds.c.id == apps.c.round_id).scalar_subquery())
    )
    for aid, pid, ent_id in bind.execute(
        sa.select(apps.c.id, apps.c.programme_id, apps.c.enterprise_id).where(apps.c.round_id.is_(None))
    ).all():
        district = by_programme.get(pid) or bind.execute(sa.select(ents.c.district).where(ents.c.id == ent_id)).scalar()
        bind.execute(apps.update().where(apps.c.id == aid).values(district=district))

    def from_application(table: str, key: str = 'application_id') -> None:
        t = _t(table, key, 'district')
        bind.execute(
            t.update().values(district=sa.select(apps.c.district).where(apps.c.id == t.c[key]).scalar_subquery())
        )

    for table in ('change_requests', 'revocations', 'receivables'):
        from_application(table)

    notices = _t('notice_batches', 'id', 'round_id', 'district')
    bind.execute(
        notices.update().values(
            district=sa.func.coalesce(
                sa.select(rounds.c.district).where(rounds.c.id == notices.c.round_id).scalar_subquery(),
                sa.select(sa.func.max(apps.c.district)).where(apps.c.notice_batch_id == notices.c.id).scalar_subquery(),
            )
        )
    )

    batches = _t('payment_batches', 'id', 'district')
    items = _t('payment_batch_items', 'batch_id', 'instalment_id')
    insts = _t('instalments', 'id', 'application_id')
    bind.execute(
        batches.update().values(
            district=sa.select(sa.func.max(apps.c.district))
            .select_from(
                items.join(insts, insts.c.id == items.c.instalment_id).join(apps, apps.c.id == insts.c.application_id)
            )
            .where(items.c.batch_id == batches.c.id)
            .scalar_subquery()
        )
    )

    runs = _t('import_runs', 'id', 'district', 'programme_id', 'actor_id')
    for run_id, pid, actor_id in bind.execute(sa.select(runs.c.id, runs.c.programme_id, runs.c.actor_id)).all():
        district = (
            bind.execute(sa.select(sa.func.max(apps.c.district)).where(apps.c.import_id == run_id)).scalar()
            or by_programme.get(pid or '')
            or bind.execute(sa.select(users.c.district).where(users.c.id == actor_id)).scalar()
        )
        bind.execute(runs.update().where(runs.c.id == run_id).values(district=district))

    credit = _t('credit_records', 'id', 'uscc', 'import_id', 'district')
    bind.execute(
        credit.update().values(
            district=sa.func.coalesce(
                sa.select(runs.c.district).where(runs.c.id == credit.c.import_id).scalar_subquery(),
                sa.select(ents.c.district).where(ents.c.uscc == credit.c.uscc).scalar_subquery(),
            )
        )
    )

    ties = _t('expert_ties', 'expert_id', 'district')
    bind.execute(
        ties.update().values(
            district=sa.select(users.c.district).where(users.c.id == ties.c.expert_id).scalar_subquery()
        )
    )

    # audit entries: the district of the record each concerns
    log = _t('audit_log', 'entity', 'entity_id', 'district')
    objections = _t('objections', 'id', 'application_id')
    changes = _t('change_requests', 'id', 'district')
    receivables = _t('receivables', 'id', 'district')
    sources = {
        'application': sa.select(apps.c.district).where(sa.cast(apps.c.id, sa.String) == log.c.entity_id),
        'round': sa.select(rounds.c.district).where(sa.cast(rounds.c.id, sa.String) == log.c.entity_id),
        'notice': sa.select(notices.c.district).where(sa.cast(notices.c.id, sa.String) == log.c.entity_id),
        'payment_batch': sa.select(batches.c.district).where(sa.cast(batches.c.id, sa.String) == log.c.entity_id),
        'import': sa.select(runs.c.district).where(sa.cast(runs.c.id, sa.String) == log.c.entity_id),
        'change': sa.select(changes.c.district).where(sa.cast(changes.c.id, sa.String) == log.c.entity_id),
        'receivable': sa.select(receivables.c.district).where(sa.cast(receivables.c.id, sa.String) == log.c.entity_id),
        'objection': sa.select(apps.c.district)
        .select_from(objections.join(apps, apps.c.id == objections.c.application_id))
        .where(sa.cast(objections.c.id, sa.String) == log.c.entity_id),
        'instalment': sa.select(apps.c.district)
        .select_from(insts.join(apps, apps.c.id == insts.c.application_id))
        .where(sa.cast(insts.c.id, sa.String) == log.c.entity_id),
        'user': sa.select(users.c.district).where(sa.cast(users.c.id, sa.String) == log.c.entity_id),
        'enterprise': sa.select(ents.c.district).where(sa.cast(ents.c.id, sa.String) == log.c.entity_id),
    }
    for entity, q in sources.items():
        bind.execute(log.update().where(log.c.entity == entity).values(district=q.scalar_subquery()))


def downgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rounds_district'))
    with op.batch_alter_table('expert_assignments', schema=None) as batch_op:
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_at')
    with op.batch_alter_table('credit_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_credit_records_district'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_credit_records_uscc'), ['uscc', 'record_date', 'authority'])
    for table in reversed(TENANT_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_district'))
            batch_op.drop_column('district')
