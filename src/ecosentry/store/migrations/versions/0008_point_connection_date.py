"""points: connection (联网) and decommission times, the bounds of the data a point is expected to send

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 20:30:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_UTC = ecosentry.store.schema.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table('points') as batch:
        batch.add_column(sa.Column('connected_at', _UTC(), nullable=True,
                                   comment='联网时间: data are expected from here on (NULL: from the first data received)'))
        batch.add_column(sa.Column('decommissioned_at', _UTC(), nullable=True,
                                   comment='撤销时间: no data are expected from here on (NULL: still in service)'))


def downgrade() -> None:
    with op.batch_alter_table('points') as batch:
        batch.drop_column('decommissioned_at')
        batch.drop_column('connected_at')
