"""power: a stop dwell per threshold version; enterprise power settings; an index for the engine's cursor

``power_thresholds.dwell_off``: the samples a stop must hold (``dwell`` stays the samples a start must hold,
§7 item 2's 3 minutes); versions stored before get 2, the new default (``docs/power.md`` "Detection delay").
``power_enterprises``: per enterprise the unmetered load (``unmetered_kw``, judged by PWR-ZERO-ALL-PHASES) and
the declared operating schedule (the utility-meter analytics), imported by the fleet file's ``power:`` key and
edited on the registry page. ``power_readings.received_at`` is indexed: the engine asks every pass for the readings received since its last.

Revision ID: power_0002
Revises: power_0001
Create Date: 2026-12-06 02:30:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


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
    op.create_table('power_enterprises',
    sa.Column('enterprise_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('unmetered_kw', sa.Float(), server_default='0', nullable=False, comment='load the total meter sees and no sub-meter does (lighting, offices) [kW]'),
    sa.Column('schedule', sa.String(length=12), server_default='day', nullable=False, comment='declared operating schedule: day | continuous | three_shift | night'),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('updated_at', ecosentry.store.schema.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_power_enterprises_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('enterprise_id', name=op.f('pk_power_enterprises'))
    )


def downgrade() -> None:
    op.drop_table('power_enterprises')
    op.drop_index('ix_power_readings_received_at', table_name='power_readings')
    with op.batch_alter_table('power_thresholds', schema=None) as batch_op:
        batch_op.alter_column('dwell', existing_type=sa.SmallInteger(), existing_nullable=False,
                              existing_server_default='3', comment='samples a change must hold',
                              existing_comment='samples a start must hold')
        batch_op.drop_column('dwell_off')
