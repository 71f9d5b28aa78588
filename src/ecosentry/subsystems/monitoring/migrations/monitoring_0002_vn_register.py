"""monitoring: the Vietnamese connection register (Decree 08/2022 Art. 97–98 facilities and their stations)

Revision ID: monitoring_0002_vn_register
Revises: monitoring_0001
Create Date: 2026-12-05 22:00:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'monitoring_0002_vn_register'
down_revision = 'monitoring_0001'
branch_labels = None
depends_on = None

_UTC = ecosentry.store.schema.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'vn_register_facilities',
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('district', sa.String(length=100), nullable=True,
                  comment='district (quận/huyện/thị xã) of the facility'),
        sa.Column('industrial_zone', sa.String(length=150), nullable=True,
                  comment='industrial zone or cluster (KCN/CCN) the facility is in; NULL = outside any'),
        sa.Column('category', sa.String(length=24), nullable=False,
                  comment='Decree 08/2022 Art. 97–98 category code (rules/vn/register.py CATEGORIES)'),
        sa.Column('obliged_from', sa.Date(), nullable=True,
                  comment='first day of the obligation; NULL = Decree 08 in force (2022-01-10)'),
        sa.Column('deadline', sa.Date(), nullable=True,
                  comment="the facility's own deadline; NULL = the legal one (2024-12-31)"),
        sa.Column('updated_at', _UTC(), nullable=True),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'],
                                name=op.f('fk_vn_register_facilities_enterprise_id_enterprises')),
        sa.PrimaryKeyConstraint('enterprise_id', name=op.f('pk_vn_register_facilities')),
    )
    op.create_table(
        'vn_register_stations',
        sa.Column('point_id', sa.Integer(), nullable=False),
        sa.Column('installed_on', sa.Date(), nullable=True,
                  comment='day the station was installed (entered by the officer)'),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('updated_at', _UTC(), nullable=True),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_vn_register_stations_point_id_points')),
        sa.PrimaryKeyConstraint('point_id', name=op.f('pk_vn_register_stations')),
    )


def downgrade() -> None:
    op.drop_table('vn_register_stations')
    op.drop_table('vn_register_facilities')
