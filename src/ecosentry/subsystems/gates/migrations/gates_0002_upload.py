"""gates: the upload outbox and its delivery log (issue 16 item 7); the retention job's indexes (item 6)

Revision ID: gates_0002_upload
Revises: gates_0001
Create Date: 2026-12-06 07:40:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'gates_0002_upload'
down_revision = 'gates_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gates_upload_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('ledger_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='the ledger row to send; its id is the delivery id (the receiver\'s deduplication key)'),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('at', ecosentry.store.schema.UTCDateTime(), nullable=False, comment="the ledger row's time (timeliness is measured from it)"),
    sa.Column('queued_at', ecosentry.store.schema.UTCDateTime(), nullable=False, comment='when the ledger row was stored'),
    sa.Column('state', sa.String(length=8), server_default='pending', nullable=False, comment='pending | sent | failed | retry | dead (rules/upload.py)'),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False, comment='failed attempts'),
    sa.Column('due_at', ecosentry.store.schema.UTCDateTime(), nullable=True, comment='next attempt not before'),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('sent_at', ecosentry.store.schema.UTCDateTime(), nullable=True, comment='acknowledged by the platform'),
    sa.Column('delay_s', sa.Float(), nullable=True, comment="from the row's time to the acknowledgement [s]"),
    sa.Column('late', sa.Boolean(), nullable=True, comment='acknowledged later than gates.upload.late_after_s (VEH-UPLOAD-LATE)'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_gates_upload_outbox_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['ledger_id'], ['gates_ledger.id'], name=op.f('fk_gates_upload_outbox_ledger_id_gates_ledger')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_upload_outbox')),
    sa.UniqueConstraint('ledger_id', name=op.f('uq_gates_upload_outbox_ledger_id'))
    )
    op.create_index('ix_gates_upload_outbox_state_due', 'gates_upload_outbox', ['state', 'due_at'], unique=False)
    op.create_index('ix_gates_upload_outbox_enterprise', 'gates_upload_outbox', ['enterprise_id', 'state'], unique=False)
    op.create_table('gates_upload_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('outbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False, comment='1 for the first attempt of the delivery'),
    sa.Column('at', ecosentry.store.schema.UTCDateTime(), nullable=False, comment='when the attempt started'),
    sa.Column('ok', sa.Boolean(), nullable=False, comment='acknowledged'),
    sa.Column('http_status', sa.Integer(), nullable=True, comment='NULL: no answer (refused, timed out) or not sent'),
    sa.Column('latency_ms', sa.Float(), nullable=True, comment='request to answer'),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['outbox_id'], ['gates_upload_outbox.id'], name=op.f('fk_gates_upload_log_outbox_id_gates_upload_outbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_upload_log'))
    )
    op.create_index(op.f('ix_gates_upload_log_outbox_id'), 'gates_upload_log', ['outbox_id'], unique=False)
    # the retention job's look-ups: is a picture still named by a passage, is an entry row still paired
    op.create_index('ix_gates_passages_picture', 'gates_passages', ['picture'], unique=False)
    op.create_index('ix_gates_ledger_pairs_with', 'gates_ledger', ['pairs_with'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_gates_ledger_pairs_with', table_name='gates_ledger')
    op.drop_index('ix_gates_passages_picture', table_name='gates_passages')
    op.drop_index(op.f('ix_gates_upload_log_outbox_id'), table_name='gates_upload_log')
    op.drop_table('gates_upload_log')
    op.drop_index('ix_gates_upload_outbox_enterprise', table_name='gates_upload_outbox')
    op.drop_index('ix_gates_upload_outbox_state_due', table_name='gates_upload_outbox')
    op.drop_table('gates_upload_outbox')
