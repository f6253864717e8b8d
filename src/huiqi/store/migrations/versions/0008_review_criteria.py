"""review criteria: a round's scoring criteria and whether applicants see scores; per-criterion scores
and the expert's conflict declaration on each assignment

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-07

* ``rounds.criteria`` (JSON, nullable): the dimensions experts score and their weights, e.g.
  创新性 30 / 产业化前景 30 / 经济社会效益 20 / 财务状况 20 (None: one 0–100 score, as before).
* ``rounds.scores_visible`` (boolean, default false): whether applicants see their score and rank
  (scores are normally not disclosed to applicants; existing rounds keep them hidden).
* ``expert_assignments.criterion_scores`` (JSON): the expert's score per criterion; ``score``
  stays the weighted total (what ranking reads).
* ``expert_assignments.declared_at``: when the expert declared it has no conflict of interest with
  the enterprise — before the application's content opens to it.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


# Plain ALTER TABLE ADD / DROP COLUMN on both databases (SQLite ≥ 3.35 drops columns in place): a
# batch "move and copy" of ``rounds`` would drop a table other tables' foreign keys point at.
COLUMNS = (
    ('rounds', sa.Column('criteria', sa.JSON(), nullable=True)),
    ('rounds', sa.Column('scores_visible', sa.Boolean(), nullable=False, server_default=sa.text('false'))),
    ('expert_assignments', sa.Column('criterion_scores', sa.JSON(), nullable=True)),
    ('expert_assignments', sa.Column('declared_at', sa.DateTime(timezone=True), nullable=True)),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, column)


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column.name}')
