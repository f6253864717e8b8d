"""integrity: the audit chain keyed with a secret kept outside the database; import look-ups by file hash

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

* ``audit_head.key_id`` (fingerprint of the audit key the chain is written with) and
  ``audit_head.mac`` (HMAC of the head: rewinding it needs the key).
* **Re-key on upgrade**: an existing chain (unkeyed SHA-256 before this revision) is checked, then
  every entry's MAC is recomputed with the audit key (``$HUIQI_AUDIT_KEY``, or the key file —
  created here if there is none) and an ``audit.rekey`` entry records how many entries were
  re-keyed, the old head, and whether the old chain was intact (and where it broke, if not), so
  tampering done before the upgrade stays on record (``huiqi audit verify`` prints it as a note).
  An empty log is left alone. Downgrade recomputes the unkeyed chain.
* ``import_runs.sha256`` indexed: an import of a file already imported is refused by its hash.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_runs_sha256'), ['sha256'], unique=False)

    from huiqi.audit import rekey_legacy_chain

    rekey_legacy_chain(op.get_bind(), revision=revision)


def downgrade() -> None:
    from huiqi.audit import unkey_chain

    unkey_chain(op.get_bind())
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_runs_sha256'))
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('mac')
        batch_op.drop_column('key_id')
