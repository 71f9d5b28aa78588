"""om: marks judged once for their support (work order, door) after a grace period

Revision ID: om_0002_mark_checks
Revises: om_0002_instruments
Create Date: 2026-12-06 10:50:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'om_0002_mark_checks'
down_revision = 'om_0002_instruments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('om_mark_checks',
    sa.Column('mark_id', sa.Integer(), nullable=False,
              comment="the core's mark, judged once after its grace period (jobs.check_marks)"),
    sa.Column('checked_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.Column('supported', sa.Boolean(), nullable=False),
    sa.Column('codes', sa.String(length=80), nullable=True,
              comment="the findings' codes, comma-separated (none when supported)"),
    sa.ForeignKeyConstraint(['mark_id'], ['marks.id'], name=op.f('fk_om_mark_checks_mark_id_marks'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mark_id', name=op.f('pk_om_mark_checks'))
    )


def downgrade() -> None:
    op.drop_table('om_mark_checks')
