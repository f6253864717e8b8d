"""policy versions: the workbench's drafts, proposed and published versions of policy documents

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-07

* ``policy_versions``: a district's policy document (or the next version of one) drafted from its
  text in the workbench — the text, the YAML, who wrote, proposed, reviewed and published it. A
  published version is loaded alongside the files under ``policies/``.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'policy_versions',
        sa.Column('district', sa.String(length=50), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('document_id', sa.String(length=100), nullable=True),
        sa.Column('supersedes', sa.String(length=100), nullable=True),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('source_name', sa.String(length=300), nullable=False),
        sa.Column('source_text', sa.Text(), nullable=False),
        sa.Column('yaml_text', sa.Text(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('editors', sa.JSON(), nullable=False),
        sa.Column('proposed_by', sa.Integer(), nullable=True),
        sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('proposed_sha256', sa.String(length=64), nullable=True),
        sa.Column('reviewed_by', sa.Integer(), nullable=True),
        sa.Column('review_note', sa.Text(), nullable=True),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_policy_versions_author_id_users')),
        sa.ForeignKeyConstraint(['proposed_by'], ['users.id'], name=op.f('fk_policy_versions_proposed_by_users')),
        sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_policy_versions_reviewed_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_versions')),
    )
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_versions_district'), ['district'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_versions_document_id'), ['document_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_versions_document_id'))
        batch_op.drop_index(batch_op.f('ix_policy_versions_district'))
    op.drop_table('policy_versions')
