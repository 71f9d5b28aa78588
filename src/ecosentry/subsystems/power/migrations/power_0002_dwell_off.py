"""power: a stop dwell per threshold version; an index for the live engine's cursor

``power_thresholds.dwell_off``: the samples a stop must hold (``dwell`` stays the samples a start must hold,
§7 item 2's 3 minutes); versions stored before get 2, the new default (``docs/power.md`` "Detection delay").
``power_readings.received_at`` is indexed: the engine asks every pass for the readings received since its last.

Revision ID: power_0002
Revises: power_0001
Create Date: 2026-12-06 02:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'power_0002'
down_revision = 'power_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('power_thresholds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dwell_off', sa.SmallInteger(), server_default='2', nullable=False,
                                      comment='samples a stop must hold'))
        batch_op.alter_column('dwell', existing_type=sa.SmallInteger(), existing_nullable=False,
                              existing_server_default='3', comment='samples a start must hold',
                              existing_comment='samples a change must hold')
    op.create_index('ix_power_readings_received_at', 'power_readings', ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_power_readings_received_at', table_name='power_readings')
    with op.batch_alter_table('power_thresholds', schema=None) as batch_op:
        batch_op.alter_column('dwell', existing_type=sa.SmallInteger(), existing_nullable=False,
                              existing_server_default='3', comment='samples a change must hold',
                              existing_comment='samples a start must hold')
        batch_op.drop_column('dwell_off')
