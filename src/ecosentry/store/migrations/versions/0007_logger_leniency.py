"""logger leniency: points.lenient_length (accept a wrong HJ 212 frame length when the CRC is right)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 20:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('points') as batch:
        batch.add_column(sa.Column('lenient_length', sa.Boolean(), server_default='0', nullable=False,
                                   comment='accept HJ 212 frames whose declared length is wrong when the CRC is '
                                           'right (field practice)'))


def downgrade() -> None:
    with op.batch_alter_table('points') as batch:
        batch.drop_column('lenient_length')
