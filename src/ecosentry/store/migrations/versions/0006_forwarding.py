"""forwarding: upper-level platforms (MONRE FTP, HJ 212 relay), queue and delivery log (filled by the forwarding work)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 08:40:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_UTC = ecosentry.store.schema.UTCDateTime
_BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('forward_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False, comment='vn-ftp | hj212'),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=True, comment='FTP user (vn-ftp)'),
    sa.Column('password', sa.String(length=200), nullable=True,
              comment="FTP password (vn-ftp); default upper-platform PW (hj212; NULL = keep the logger's)"),
    sa.Column('remote_path', sa.String(length=300), nullable=True, comment='remote folder for the files (vn-ftp)'),
    sa.Column('mn_map', sa.JSON(), nullable=True,
              comment='hj212: {"<local MN>": {"mn": "<upper MN>", "pw": "<upper PW>"}}; unmapped MNs are kept'),
    sa.Column('pass_through', sa.Boolean(), server_default='0', nullable=False,
              comment='hj212: send the frames byte for byte (no MN/PW re-encoding)'),
    sa.Column('ack_mode', sa.String(length=8), server_default='as_sent', nullable=False,
              comment='hj212: as_sent (wait for 9014 when Flag asks) | always (set the A bit) | never'),
    sa.Column('region_code', sa.String(length=12), nullable=True, comment='forward the points of this region subtree'),
    sa.Column('point_ids', sa.JSON(), nullable=True, comment='forward these points (list of points.id)'),
    sa.Column('cns', sa.String(length=200), nullable=True, comment='hj212: comma-separated CNs; NULL = the data uploads'),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('raw_cursor', sa.BigInteger(), server_default='0', nullable=False,
              comment='raw_frames.id up to which the feeder has looked'),
    sa.Column('created_at', _UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_forward_targets_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forward_targets')),
    sa.UniqueConstraint('name', name=op.f('uq_forward_targets_name'))
    )

    op.create_table('forward_queue',
    sa.Column('id', _BIGID, autoincrement=True, nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False, comment='raw_frame | file'),
    sa.Column('source_id', sa.BigInteger(), nullable=True, comment='raw_frames.id'),
    sa.Column('point_id', sa.Integer(), nullable=True),
    sa.Column('mn', sa.String(length=24), nullable=True, comment='local MN / VN station key'),
    sa.Column('name', sa.String(length=200), nullable=True, comment='station file name (vn-ftp)'),
    sa.Column('idem_key', sa.String(length=200), nullable=False, comment='idempotency key: one delivery per target'),
    sa.Column('payload', sa.LargeBinary(), nullable=False, comment='bytes as received (file or frame)'),
    sa.Column('enqueued_at', _UTC(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='pending', nullable=False,
              comment='pending | delivered | failed'),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', _UTC(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', _UTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['target_id'], ['forward_targets.id'], name=op.f('fk_forward_queue_target_id_forward_targets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forward_queue')),
    sa.UniqueConstraint('target_id', 'idem_key', name='uq_forward_queue_target_key')
    )
    op.create_index('ix_forward_queue_target_status_id', 'forward_queue', ['target_id', 'status', 'id'], unique=False)

    op.create_table('forward_deliveries',
    sa.Column('id', _BIGID, autoincrement=True, nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('at', _UTC(timezone=True), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True, comment='what the receiver answered, or the error'),
    sa.ForeignKeyConstraint(['item_id'], ['forward_queue.id'], name=op.f('fk_forward_deliveries_item_id_forward_queue')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forward_deliveries'))
    )
    with op.batch_alter_table('forward_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forward_deliveries_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forward_deliveries_target_id'), ['target_id'], unique=False)


def downgrade() -> None:
    op.drop_table('forward_deliveries')
    op.drop_index('ix_forward_queue_target_status_id', table_name='forward_queue')
    op.drop_table('forward_queue')
    op.drop_table('forward_targets')
