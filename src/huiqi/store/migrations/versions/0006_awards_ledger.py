"""awards ledger (已享受支持台账), project identity, extensions, the round's notice length

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-07

* ``awards``: one row per approved award (programme, document, district, enterprise, support year,
  amount, count-once key values, project identity, application, decision, decided_on; revoked and
  clawed-back awards marked with what was released, never deleted), with the approved completion
  date and its extensions (``award_extensions``). **Back-filled** from the approved decisions of
  applications that are approved or revoked: the document and the count-once key are read from the
  loaded policies where the programme is found (else document ``unknown`` and no key); the support
  year is the application's cap year; revoked ones are marked, with the unpaid part released.
* ``applications.project``: the project's identity (同一项目).
* ``rounds.notice_working_days`` / ``rounds.notice_basis``: the notice length the yearly call sets
  where the policy says only “向社会公示”; ``notice_batches.days_basis``: where a notice's length came from.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import huiqi.store


revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('awards',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('district', sa.String(length=50), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.String(length=100), nullable=False),
    sa.Column('programme', sa.String(length=50), nullable=False),
    sa.Column('claim_id', sa.String(length=100), nullable=True),
    sa.Column('round_code', sa.String(length=50), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount', huiqi.store.Money(), nullable=False),
    sa.Column('key', sa.JSON(), nullable=False),
    sa.Column('project', sa.String(length=200), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('revoked_on', sa.Date(), nullable=True),
    sa.Column('released', huiqi.store.Money(), nullable=False),
    sa.Column('completion_due', sa.Date(), nullable=True),
    sa.Column('extended_due', sa.Date(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_awards_application_id_applications')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_awards_decision_id_decisions')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_awards_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_awards')),
    sa.UniqueConstraint('application_id', name=op.f('uq_awards_application_id'))
    )
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_awards_district'), ['district'], unique=False)
        batch_op.create_index(batch_op.f('ix_awards_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_awards_project'), ['project'], unique=False)

    op.create_table('award_extensions',
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=True),
    sa.Column('district', sa.String(length=50), nullable=True),
    sa.Column('previous_due', sa.Date(), nullable=False),
    sa.Column('new_due', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_award_extensions_actor_id_users')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_award_extensions_application_id_applications')),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_award_extensions_award_id_awards')),
    sa.ForeignKeyConstraint(['change_id'], ['change_requests.id'], name=op.f('fk_award_extensions_change_id_change_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_extensions'))
    )
    with op.batch_alter_table('award_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_extensions_award_id'), ['award_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_extensions_district'), ['district'], unique=False)

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project', sa.String(length=200), nullable=True))

    with op.batch_alter_table('notice_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('days_basis', sa.JSON(), nullable=True))

    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_working_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('notice_basis', sa.String(length=300), nullable=True))

    _backfill()


def _backfill() -> None:
    """One award per application with an approved decision, in the approval's own terms."""
    import datetime as dt
    from decimal import Decimal
    from types import SimpleNamespace

    bind = op.get_bind()
    apps = sa.table('applications', sa.column('id', sa.Integer), sa.column('enterprise_id', sa.Integer), sa.column('district', sa.String),
                    sa.column('programme_id', sa.String), sa.column('claim_id', sa.String), sa.column('round_id', sa.Integer),
                    sa.column('year', sa.Integer), sa.column('cap_year', sa.Integer), sa.column('state', sa.String),
                    sa.column('approved_amount', huiqi.store.Money), sa.column('approved_on', sa.Date), sa.column('evaluation', sa.JSON),
                    sa.column('profile', sa.JSON))
    decisions = sa.table('decisions', sa.column('id', sa.Integer), sa.column('application_id', sa.Integer), sa.column('outcome', sa.String),
                         sa.column('created_at', sa.DateTime))
    rounds = sa.table('rounds', sa.column('id', sa.Integer), sa.column('code', sa.String))
    payments = sa.table('payments', sa.column('application_id', sa.Integer), sa.column('amount', huiqi.store.Money))
    receivables = sa.table('receivables', sa.column('application_id', sa.Integer), sa.column('amount', huiqi.store.Money), sa.column('state', sa.String))
    revocations = sa.table('revocations', sa.column('application_id', sa.Integer), sa.column('revoked_on', sa.Date))
    awards = sa.table('awards', *[sa.column(c) for c in ('application_id', 'decision_id', 'district', 'enterprise_id', 'document', 'programme',
                      'claim_id', 'round_code', 'year', 'project', 'decided_on', 'state', 'revoked_on', 'created_at')],
                      sa.column('key', sa.JSON), sa.column('amount', huiqi.store.Money), sa.column('released', huiqi.store.Money))
    rows = bind.execute(sa.select(apps).where(apps.c.state.in_(('approved', 'revoked')), apps.c.approved_amount.isnot(None)).order_by(apps.c.id)).mappings().all()
    if not rows:
        return
    try:
        from huiqi.workflow.policy import default_policies, programme

        policies = default_policies()
    except Exception:  # noqa: BLE001 - no policies to read: awards without document or key
        policies = None
    from huiqi.workflow.awards.service import key_of, once_rule

    codes = dict(bind.execute(sa.select(rounds.c.id, rounds.c.code)).all())
    now = dt.datetime.now(dt.timezone.utc)
    for a in rows:
        doc_id, key = 'unknown', {}
        if policies is not None:
            try:
                prog, doc = programme(policies, a['programme_id'])
                doc_id = doc.id
                key = key_of(SimpleNamespace(evaluation=a['evaluation'], profile=a['profile'], claim_id=a['claim_id']), once_rule(prog)) or {}
            except Exception:  # noqa: BLE001 - a programme no longer in the policies
                pass
        dec = bind.execute(sa.select(decisions.c.id, decisions.c.created_at).where(decisions.c.application_id == a['id'], decisions.c.outcome == 'approved')
                           .order_by(decisions.c.id.desc()).limit(1)).first()
        decided_on = a['approved_on'] or (dec.created_at.date() if dec is not None and dec.created_at else now.date())
        amount = a['approved_amount']
        state, released, revoked_on = 'active', Decimal(0), None
        if a['state'] == 'revoked':
            # summed here, row by row: the Money type turns each stored fen into yuan (a SQL SUM would not)
            paid = sum(bind.execute(sa.select(payments.c.amount).where(payments.c.application_id == a['id'])).scalars(), Decimal(0))
            recovered = sum(bind.execute(sa.select(receivables.c.amount).where(
                receivables.c.application_id == a['id'], receivables.c.state == 'recovered')).scalars(), Decimal(0))
            released = min(amount, max(amount - paid, Decimal(0)) + recovered)
            state = 'clawed_back' if released >= amount else 'revoked'
            revoked_on = bind.execute(sa.select(revocations.c.revoked_on).where(revocations.c.application_id == a['id'])).scalar()
        bind.execute(awards.insert().values(
            application_id=a['id'], decision_id=dec.id if dec is not None else None, district=a['district'], enterprise_id=a['enterprise_id'],
            document=doc_id, programme=a['programme_id'], claim_id=a['claim_id'], round_code=codes.get(a['round_id']),
            year=a['cap_year'] if a['cap_year'] is not None else a['year'], amount=amount, key=key, project=None, decided_on=decided_on,
            state=state, released=released, revoked_on=revoked_on, created_at=now))


def downgrade() -> None:
    columns = (('rounds', 'notice_basis'), ('rounds', 'notice_working_days'), ('notice_batches', 'days_basis'), ('applications', 'project'))
    if op.get_bind().dialect.name == 'sqlite':
        # plain nullable columns: SQLite (≥ 3.35) drops them in place — batch mode would re-create
        # tables other rows reference, which the enforced foreign keys refuse
        for table, column in columns:
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        for table, column in columns:
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.drop_column(column)

    with op.batch_alter_table('award_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_extensions_district'))
        batch_op.drop_index(batch_op.f('ix_award_extensions_award_id'))

    op.drop_table('award_extensions')
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_awards_project'))
        batch_op.drop_index(batch_op.f('ix_awards_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_awards_district'))

    op.drop_table('awards')
