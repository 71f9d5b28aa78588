"""monitoring: the parameter mapping page (issue 14 item 3): conversions and audit columns on the mapping, and
the per-station count of unmapped parameter names and units

Revision ID: monitoring_0003_vn_mapping
Revises: monitoring_0002_vn_register
Create Date: 2026-12-05 22:20:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'monitoring_0003_vn_mapping'
down_revision = 'monitoring_0002_vn_register'
branch_labels = None
depends_on = None

_UTC = ecosentry.store.schema.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table('vn_parameter_map', schema=None) as batch_op:
        batch_op.alter_column('factor_code', existing_type=sa.String(length=12), nullable=True,
                              comment="NULL with conversion 'ignore': the line is deliberately not a factor")
        batch_op.add_column(sa.Column('conversion', sa.String(length=16), nullable=True,
                                      comment='gauge | gauge_auto | normal | ignore (vn/mapping.py CONVERSIONS); '
                                              'NULL = scale/offset only'))
        batch_op.add_column(sa.Column('note', sa.String(length=200), nullable=True,
                                      comment='how scale/offset were obtained (shown on the page)'))
        batch_op.add_column(sa.Column('changed_at', _UTC(), nullable=True,
                                      comment='last edit; the sink reloads the mapping when it moves'))
        batch_op.add_column(sa.Column('changed_by', sa.String(length=64), nullable=True))
    op.create_table(
        'vn_unmapped',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('point_id', sa.Integer(), nullable=False),
        sa.Column('name_key', sa.String(length=100), nullable=False),
        sa.Column('unit_key', sa.String(length=20), server_default='', nullable=False),
        sa.Column('raw_name', sa.String(length=100), nullable=False, comment='the name as last written'),
        sa.Column('raw_unit', sa.String(length=20), server_default='', nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False,
                  comment='unknown_parameter | unit | no_conditions'),
        sa.Column('n_lines', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('first_seen', _UTC(), nullable=False),
        sa.Column('last_seen', _UTC(), nullable=False),
        sa.Column('last_file', sa.String(length=200), nullable=True,
                  comment='vn_files.file_name of the last file with the line'),
        sa.Column('last_value', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_vn_unmapped_point_id_points')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vn_unmapped')),
        sa.UniqueConstraint('point_id', 'name_key', 'unit_key', name='uq_vn_unmapped_point_name_unit'),
    )


def downgrade() -> None:
    op.drop_table('vn_unmapped')
    with op.batch_alter_table('vn_parameter_map', schema=None) as batch_op:
        batch_op.drop_column('changed_by')
        batch_op.drop_column('changed_at')
        batch_op.drop_column('note')
        batch_op.drop_column('conversion')
        batch_op.alter_column('factor_code', existing_type=sa.String(length=12), nullable=False)
