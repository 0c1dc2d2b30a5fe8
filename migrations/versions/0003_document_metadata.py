"""document metadata: 公文 fields, deadlines, attachment texts, the attachment a route matched

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import monitor.models

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attachmenttext',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.PrimaryKeyConstraint('document_id', 'seq')
    )
    # Plain ADD COLUMN, not batch mode: on SQLite a batch copies and drops the table, which the
    # foreign keys of stored items forbid.
    op.add_column('alert', sa.Column('attachment_match', sa.JSON(), nullable=True))
    op.add_column('document', sa.Column('doc_number', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.add_column('document', sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.add_column('document', sa.Column('signed_at', sa.Date(), nullable=True))
    op.add_column('document', sa.Column('deadlines', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('deadlines')
        batch_op.drop_column('signed_at')
        batch_op.drop_column('issuer')
        batch_op.drop_column('doc_number')

    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_column('attachment_match')

    op.drop_table('attachmenttext')
