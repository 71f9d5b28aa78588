"""pollution_alerts: the regions' heavy-pollution weather alerts (重污染天气预警), a platform concept used by the
electricity and vehicle-gate subsystems

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 01:00:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_UTC = ecosentry.store.schema.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'pollution_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_code', sa.String(length=12), nullable=False,
                  comment='the region the alert covers (its subtree too)'),
        sa.Column('level', sa.String(length=8), nullable=False,
                  comment='yellow | orange | red (重污染天气预警 黄/橙/红)'),
        sa.Column('starts_at', _UTC(), nullable=False, comment='the emergency measures apply from'),
        sa.Column('ends_at', _UTC(), nullable=True, comment='planned or actual end; NULL = until lifted'),
        sa.Column('issued_by', sa.String(length=200), nullable=False,
                  comment='the authority that issued it (应急指挥部)'),
        sa.Column('document', sa.String(length=100), nullable=True, comment="the notice's number (文号)"),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('entered_by', sa.String(length=64), nullable=False),
        sa.Column('entered_at', _UTC(), nullable=False),
        sa.Column('lifted_at', _UTC(), nullable=True, comment='lifted early (解除); the alert ended then'),
        sa.Column('lifted_by', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['region_code'], ['regions.code'],
                                name=op.f('fk_pollution_alerts_region_code_regions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pollution_alerts')),
    )
    with op.batch_alter_table('pollution_alerts') as batch:
        batch.create_index(batch.f('ix_pollution_alerts_region_code'), ['region_code'], unique=False)
        batch.create_index('ix_pollution_alerts_period', ['starts_at', 'ends_at'], unique=False)


def downgrade() -> None:
    op.drop_table('pollution_alerts')
