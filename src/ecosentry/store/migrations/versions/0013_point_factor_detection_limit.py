"""point_factors.detection_limit: the analyser's method detection limit (instrument master data, beside its range),
which the detectors read (DET-AT-DETECTION-LIMIT; the quantisation floor of DET-CONST-4H)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 20:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('point_factors') as batch:
        batch.add_column(sa.Column('detection_limit', sa.Float(), nullable=True,
                                   comment="analyser's method detection limit, in the factor's concentration unit "
                                           "(factors.unit)"))


def downgrade() -> None:
    with op.batch_alter_table('point_factors') as batch:
        batch.drop_column('detection_limit')
