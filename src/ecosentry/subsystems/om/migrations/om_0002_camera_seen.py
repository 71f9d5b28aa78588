"""om: a camera's last contact kept once (om_cameras.last_seen_at); om_camera_devices.last_seen_at dropped

Revision ID: om_0002_camera_seen
Revises: om_0002_mark_checks
Create Date: 2026-12-06 11:00:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'om_0002_camera_seen'
down_revision = 'om_0002_mark_checks'
branch_labels = None
depends_on = None

_UTC = ecosentry.store.schema.UTCDateTime(timezone=True)


def upgrade() -> None:
    # the later of the two copies survives (both were set by every heartbeat and snapshot)
    op.execute("UPDATE om_cameras SET last_seen_at = (SELECT d.last_seen_at FROM om_camera_devices d "
               "WHERE d.camera_id = om_cameras.id) WHERE EXISTS (SELECT 1 FROM om_camera_devices d "
               "WHERE d.camera_id = om_cameras.id AND d.last_seen_at IS NOT NULL AND (om_cameras.last_seen_at IS NULL "
               "OR d.last_seen_at > om_cameras.last_seen_at))")
    with op.batch_alter_table('om_camera_devices') as batch:
        batch.drop_column('last_seen_at')


def downgrade() -> None:
    with op.batch_alter_table('om_camera_devices') as batch:
        batch.add_column(sa.Column('last_seen_at', _UTC, nullable=True, comment='last heartbeat or snapshot'))
    op.execute("UPDATE om_camera_devices SET last_seen_at = (SELECT c.last_seen_at FROM om_cameras c "
               "WHERE c.id = om_camera_devices.camera_id)")
