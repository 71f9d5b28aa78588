"""om: photos taken on site, linked to their work order (the pictures themselves in the core's picture store)

Revision ID: om_0002_photos
Revises: om_0001
Create Date: 2026-12-06 08:00:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'om_0002_photos'
down_revision = 'om_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('om_work_order_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False, comment='the picture in the picture store (ecosentry.store.pictures)'),
    sa.Column('content_type', sa.String(length=16), nullable=False, comment='image/jpeg | image/png (from the bytes)'),
    sa.Column('size', sa.Integer(), nullable=False, comment='bytes'),
    sa.Column('filename', sa.String(length=200), nullable=True, comment='the name the phone gave the file'),
    sa.Column('state', sa.String(length=12), nullable=False, comment="the order's state when the photo came (on_site, done)"),
    sa.Column('uploaded_by', sa.String(length=100), nullable=True),
    sa.Column('uploaded_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['om_work_orders.id'], name=op.f('fk_om_work_order_photos_order_id_om_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_work_order_photos')),
    sa.UniqueConstraint('order_id', 'sha256', name='uq_om_work_order_photos_order_sha256')
    )
    op.create_index(op.f('ix_om_work_order_photos_order_id'), 'om_work_order_photos', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_om_work_order_photos_order_id'), table_name='om_work_order_photos')
    op.drop_table('om_work_order_photos')
