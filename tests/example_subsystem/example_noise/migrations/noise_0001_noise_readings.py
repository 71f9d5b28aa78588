"""noise: the readings of the boundary noise meters

Revision ID: noise_0001
Revises:
Create Date: 2026-12-10 12:00:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'noise_0001'
down_revision = None  # the first revision of the subsystem's own branch ...
branch_labels = ('noise',)
depends_on = '0008'  # ... applied once the core's schema is at 0008

_UTC = ecosentry.store.schema.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'noise_readings',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('meter', sa.String(length=24), nullable=False,
                  comment='the sound level meter at the boundary (its serial)'),
        sa.Column('measured_at', _UTC(), nullable=False, comment='start of the measurement interval'),
        sa.Column('laeq_db', sa.Float(), nullable=False, comment='A-weighted equivalent continuous level LAeq [dB(A)]'),
        sa.Column('period', sa.String(length=8), nullable=False, comment='day | night (GB 3096-2008 §3.4-3.5)'),
        sa.Column('limit_db', sa.Float(), nullable=False, comment='GB 12348-2008 Table 1 limit when stored [dB(A)]'),
        sa.Column('exceeds', sa.Boolean(), nullable=False, comment='NOISE-BOUNDARY-LAEQ'),
        sa.Column('received_at', _UTC(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_noise_readings')),
        sa.UniqueConstraint('meter', 'measured_at', name='uq_noise_readings_meter'),
    )


def downgrade() -> None:
    op.drop_table('noise_readings')
