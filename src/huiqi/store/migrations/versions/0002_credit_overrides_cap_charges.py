"""credit overrides, cap charges (released on revocation and claw-back), cap year, credit hold

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

* ``credit_overrides``: an officer's written decision to support an applicant despite
  serious-dishonesty records (原则上不予支持).
* ``cap_charges``: what each approval charged on each cap ledger row, and how much was released.
  Existing approvals are back-filled from their frozen ``cap_limits`` (nothing released).
* ``applications.cap_year`` (back-filled with ``year``) and ``applications.credit_hold``.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import huiqi.store


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('credit_overrides',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('records', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_credit_overrides_actor_id_users')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_credit_overrides_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_overrides'))
    )
    with op.batch_alter_table('credit_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_overrides_application_id'), ['application_id'], unique=False)

    op.create_table('cap_charges',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('ledger_id', sa.Integer(), nullable=False),
    sa.Column('amount', huiqi.store.Money(), nullable=False),
    sa.Column('released', huiqi.store.Money(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_cap_charges_application_id_applications')),
    sa.ForeignKeyConstraint(['ledger_id'], ['cap_ledger.id'], name=op.f('fk_cap_charges_ledger_id_cap_ledger')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cap_charges')),
    sa.UniqueConstraint('application_id', 'ledger_id', name=op.f('uq_cap_charges_application_id'))
    )
    with op.batch_alter_table('cap_charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cap_charges_application_id'), ['application_id'], unique=False)

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cap_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('credit_hold', sa.Boolean(), server_default=sa.false(), nullable=False))

    _backfill()


def _backfill() -> None:
    """cap_year = year; one cap charge per (approved or revoked application, cap) at the approved sum."""
    import datetime as dt

    bind = op.get_bind()
    apps = sa.table('applications', sa.column('id', sa.Integer), sa.column('enterprise_id', sa.Integer), sa.column('year', sa.Integer),
                    sa.column('cap_year', sa.Integer), sa.column('state', sa.String), sa.column('approved_amount', sa.BigInteger), sa.column('cap_limits', sa.JSON))
    ledger = sa.table('cap_ledger', sa.column('id', sa.Integer), sa.column('enterprise_id', sa.Integer), sa.column('year', sa.Integer), sa.column('cap_id', sa.String))
    charges = sa.table('cap_charges', sa.column('application_id', sa.Integer), sa.column('ledger_id', sa.Integer), sa.column('amount', sa.BigInteger),
                       sa.column('released', sa.BigInteger), sa.column('created_at', sa.DateTime(timezone=True)))
    bind.execute(apps.update().values(cap_year=apps.c.year))
    now = dt.datetime.now(dt.timezone.utc)
    rows = bind.execute(sa.select(apps.c.id, apps.c.enterprise_id, apps.c.year, apps.c.approved_amount, apps.c.cap_limits)
                        .where(apps.c.state.in_(('approved', 'revoked')), apps.c.approved_amount.is_not(None))).all()
    for app_id, ent_id, year, fen, caps in rows:
        for cap in caps or []:
            ledger_id = bind.execute(sa.select(ledger.c.id).where(ledger.c.enterprise_id == ent_id, ledger.c.year == year, ledger.c.cap_id == cap['cap'])).scalar()
            if ledger_id is not None:
                bind.execute(charges.insert().values(application_id=app_id, ledger_id=ledger_id, amount=fen, released=0, created_at=now))


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('credit_hold')
        batch_op.drop_column('cap_year')
    with op.batch_alter_table('cap_charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cap_charges_application_id'))
    op.drop_table('cap_charges')
    with op.batch_alter_table('credit_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_overrides_application_id'))
    op.drop_table('credit_overrides')
