"""enterprise records, proactive matching, notifications and deadlines (issue 19)

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-07

New tables only (nothing existing changes):

* ``enterprise_facts`` — versioned facts of an enterprise's record (a row per change, latest wins);
* ``match_results`` — per (enterprise, programme, claim) the latest proactive match (eligible or near);
* ``notifications`` — inbox and e-mail, unique per (event, recipient, channel); e-mail retries;
* ``notification_prefs`` — what each enterprise receives, and its e-mail address;
* ``deadlines`` — due dates officers set for progress reports and change decisions;
* ``dispatch_cursor`` — the last audit entry the dispatcher read: set here to the log's present
  head, so the first dispatch after the upgrade notifies what happens from now on, not the
  database's whole history (an empty log starts at 0).
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import huiqi.store


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dispatch_cursor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_cursor'))
    )
    last = op.get_bind().execute(sa.text('SELECT MAX(seq) FROM audit_log')).scalar()
    op.bulk_insert(
        sa.table('dispatch_cursor', sa.column('id', sa.Integer), sa.column('seq', sa.Integer), sa.column('data', sa.JSON)),
        [{'id': 1, 'seq': int(last or 0), 'data': {'set_by': 'migration 0007'}}],
    )
    op.create_table('match_results',
    sa.Column('district', sa.String(length=50), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.String(length=50), nullable=False),
    sa.Column('claim_key', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ceiling', huiqi.store.Money(), nullable=True),
    sa.Column('possible_ceiling', huiqi.store.Money(), nullable=True),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('trigger', sa.String(length=50), nullable=False),
    sa.Column('policy_version', sa.String(length=64), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_match_results_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_results')),
    sa.UniqueConstraint('enterprise_id', 'programme_id', 'claim_key', name=op.f('uq_match_results_enterprise_id'))
    )
    with op.batch_alter_table('match_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_results_district'), ['district'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_results_programme_id'), ['programme_id'], unique=False)

    op.create_table('notification_prefs',
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('muted', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_notification_prefs_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_prefs')),
    sa.UniqueConstraint('enterprise_id', name=op.f('uq_notification_prefs_enterprise_id'))
    )
    with op.batch_alter_table('notification_prefs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_prefs_district'), ['district'], unique=False)

    op.create_table('enterprise_facts',
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=True),
    sa.Column('fact', sa.String(length=150), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('source_ref', sa.String(length=200), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_enterprise_facts_actor_id_users')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_enterprise_facts_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['import_id'], ['import_runs.id'], name=op.f('fk_enterprise_facts_import_id_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_facts'))
    )
    with op.batch_alter_table('enterprise_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_facts_district'), ['district'], unique=False)
        batch_op.create_index('ix_enterprise_facts_enterprise_fact', ['enterprise_id', 'fact'], unique=False)

    op.create_table('notifications',
    sa.Column('event_key', sa.String(length=150), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('programme_id', sa.String(length=50), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('title_zh', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('body_zh', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_notifications_application_id_applications')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_notifications_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('event_key', 'user_id', 'channel', name=op.f('uq_notifications_event_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_district'), ['district'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)

    op.create_table('deadlines',
    sa.Column('district', sa.String(length=50), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_deadlines_actor_id_users')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_deadlines_application_id_applications')),
    sa.ForeignKeyConstraint(['change_id'], ['change_requests.id'], name=op.f('fk_deadlines_change_id_change_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadlines_district'), ['district'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadlines_district'))

    op.drop_table('deadlines')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_district'))

    op.drop_table('notifications')
    with op.batch_alter_table('enterprise_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_enterprise_facts_enterprise_fact')
        batch_op.drop_index(batch_op.f('ix_enterprise_facts_district'))

    op.drop_table('enterprise_facts')
    with op.batch_alter_table('notification_prefs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_prefs_district'))

    op.drop_table('notification_prefs')
    with op.batch_alter_table('match_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_results_programme_id'))
        batch_op.drop_index(batch_op.f('ix_match_results_district'))

    op.drop_table('match_results')
    op.drop_table('dispatch_cursor')
