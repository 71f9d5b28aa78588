"""vn ingest: Circular 10/2021 station files and per-station parameter mapping (filled by the FTP gateway work)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 08:40:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_UTC = ecosentry.store.schema.UTCDateTime
_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('vn_files',
    sa.Column('id', _BigId, autoincrement=True, nullable=False),
    sa.Column('station', sa.String(length=64), nullable=False,
              comment='station key Province_Facility_Station (= points.mn)'),
    sa.Column('point_id', sa.Integer(), nullable=True, comment='NULL when the station is not registered'),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('file_time', _UTC(timezone=True), nullable=True,
              comment='time in the file name (station local time), in UTC'),
    sa.Column('received_at', _UTC(timezone=True), nullable=False),
    sa.Column('delay_s', sa.Float(), nullable=True, comment='received_at − file_time [s]'),
    sa.Column('late', sa.Boolean(), server_default='0', nullable=False,
              comment='delay > the 5-minute rule (Art. 39)'),
    sa.Column('backfill', sa.Boolean(), server_default='0', nullable=False,
              comment="sent from the logger's buffer"),
    sa.Column('status', sa.String(length=12), nullable=False,
              comment='accepted | duplicate | rejected | quarantined'),
    sa.Column('reason', sa.String(length=40), nullable=True,
              comment='why not accepted (too_old, conflict, bad_line ...)'),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('line', sa.Integer(), nullable=True, comment='line of the error, if any'),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('n_lines', sa.Integer(), nullable=True),
    sa.Column('n_readings', sa.Integer(), nullable=True),
    sa.Column('unmapped', sa.JSON(), nullable=True,
              comment='lines not turned into readings: parameter, unit, reason'),
    sa.Column('transport', sa.String(length=16), nullable=False, comment='ftp | vn-folder'),
    sa.Column('peer', sa.String(length=64), nullable=True),
    sa.Column('spool', sa.String(length=16), nullable=True, comment='raw_frames.spool of the archived bytes'),
    sa.Column('spool_seq', sa.BigInteger(), nullable=True, comment='raw_frames.spool_seq of the archived bytes'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vn_files'))
    )
    op.create_index('ix_vn_files_station_name', 'vn_files', ['station', 'file_name'], unique=False)
    op.create_index('ix_vn_files_point_time', 'vn_files', ['point_id', 'file_time'], unique=False)
    op.create_table('vn_parameter_map',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('raw_name', sa.String(length=100), nullable=False,
              comment='parameter name as the station writes it'),
    sa.Column('raw_unit', sa.String(length=20), server_default='', nullable=False,
              comment="unit as written; '' = any unit"),
    sa.Column('name_key', sa.String(length=100), nullable=False,
              comment='raw_name normalised (case, spaces, diacritics)'),
    sa.Column('unit_key', sa.String(length=20), server_default='', nullable=False, comment='raw_unit normalised'),
    sa.Column('factor_code', sa.String(length=12), nullable=False),
    sa.Column('scale', sa.Float(), server_default='1', nullable=False, comment='canonical = raw × scale + offset'),
    sa.Column('offset', sa.Float(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['factor_code'], ['factors.code'],
                            name=op.f('fk_vn_parameter_map_factor_code_factors')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_vn_parameter_map_point_id_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vn_parameter_map')),
    sa.UniqueConstraint('point_id', 'name_key', 'unit_key', name='uq_vn_parameter_map_point_name_unit')
    )
    op.create_index(op.f('ix_vn_parameter_map_point_id'), 'vn_parameter_map', ['point_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_vn_parameter_map_point_id'), table_name='vn_parameter_map')
    op.drop_table('vn_parameter_map')
    op.drop_index('ix_vn_files_point_time', table_name='vn_files')
    op.drop_index('ix_vn_files_station_name', table_name='vn_files')
    op.drop_table('vn_files')
