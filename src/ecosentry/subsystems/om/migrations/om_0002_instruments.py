"""om: instrument parameters reported over HJ 212 (CN 3020), stored findings, camera devices and snapshots

Revision ID: om_0002_instruments
Revises: om_0002_assessment
Create Date: 2026-12-06 07:40:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'om_0002_instruments'
down_revision = 'om_0002_assessment'  # chained after the photos of the work orders and the assessment
branch_labels = None
depends_on = None

_UTC = ecosentry.store.schema.UTCDateTime(timezone=True)
_BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('om_parameter_reports',
    sa.Column('id', _BIG, nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('factor_code', sa.String(length=16), nullable=False, comment='PolId of the report; * = the whole point'),
    sa.Column('name', sa.String(length=40), nullable=False, comment='the parameter (its name, or its HJ 212 info code)'),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('at', _UTC, nullable=False, comment='DataTime of the report (UTC)'),
    sa.Column('source', sa.String(length=12), server_default='hj212', nullable=False, comment='hj212 (CN 3020) | api'),
    sa.Column('received_at', _UTC, nullable=False),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_om_parameter_reports_point_id_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_parameter_reports')),
    sa.UniqueConstraint('point_id', 'factor_code', 'name', 'at', name='uq_om_parameter_reports_key')
    )
    op.create_table('om_findings',
    sa.Column('id', _BIG, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False, comment="the rule's code (OM-PARAM-CHANGE-NO-ORDER ...)"),
    sa.Column('point_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=100), nullable=False, comment='what it is about: point:factor:parameter ...'),
    sa.Column('start', _UTC, nullable=False),
    sa.Column('end', _UTC, nullable=False),
    sa.Column('msgid', sa.Text(), nullable=False, comment="the sentence (English msgid), said again in the reader's language"),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=True),
    sa.Column('found_at', _UTC, nullable=False),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_om_findings_point_id_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_findings')),
    sa.UniqueConstraint('code', 'subject', 'start', name='uq_om_findings_code_subject_start')
    )
    op.create_index('ix_om_findings_point_start', 'om_findings', ['point_id', 'start'], unique=False)
    op.create_table('om_camera_devices',
    sa.Column('camera_id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=200), nullable=True, comment="Argon2id hash of the camera's (NVR's) push secret"),
    sa.Column('last_seen_at', _UTC, nullable=True, comment='last heartbeat or snapshot'),
    sa.ForeignKeyConstraint(['camera_id'], ['om_cameras.id'], name=op.f('fk_om_camera_devices_camera_id_om_cameras'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('camera_id', name=op.f('pk_om_camera_devices'))
    )
    op.create_table('om_snapshots',
    sa.Column('id', _BIG, nullable=False),
    sa.Column('camera_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('at', _UTC, nullable=False, comment='when the camera took it'),
    sa.Column('picture', sa.String(length=64), nullable=False, comment='sha256 in the core picture store'),
    sa.Column('content_type', sa.String(length=16), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('door_event_id', _BIG, nullable=True, comment='the door event it shows (nearest within the link window)'),
    sa.Column('received_at', _UTC, nullable=False),
    sa.ForeignKeyConstraint(['camera_id'], ['om_cameras.id'], name=op.f('fk_om_snapshots_camera_id_om_cameras'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['door_event_id'], ['om_door_events.id'], name=op.f('fk_om_snapshots_door_event_id_om_door_events')),
    sa.ForeignKeyConstraint(['room_id'], ['om_rooms.id'], name=op.f('fk_om_snapshots_room_id_om_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_snapshots')),
    sa.UniqueConstraint('camera_id', 'at', name='uq_om_snapshots_camera_at')
    )
    op.create_index('ix_om_snapshots_room_at', 'om_snapshots', ['room_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_om_snapshots_room_at', table_name='om_snapshots')
    op.drop_table('om_snapshots')
    op.drop_table('om_camera_devices')
    op.drop_index('ix_om_findings_point_start', table_name='om_findings')
    op.drop_table('om_findings')
    op.drop_table('om_parameter_reports')
