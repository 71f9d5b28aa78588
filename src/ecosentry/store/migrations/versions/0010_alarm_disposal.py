"""alarm_disposal: the supervision (督办) of alarms: cases, their steps, evidence files

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:00:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_UTC = ecosentry.store.schema.UTCDateTime
_BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'alarm_disposals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('alarm_id', sa.Integer(), nullable=False, comment='one supervision case per alarm'),
        sa.Column('state', sa.String(length=12), nullable=False,
                  comment='pushed | handling | feedback | returned | verified | closed'),
        sa.Column('request', sa.Text(), nullable=False, comment='what the regulator asks of the enterprise (督办要求)'),
        sa.Column('pushed_by', sa.String(length=64), nullable=False),
        sa.Column('pushed_at', _UTC(), nullable=False),
        sa.Column('feedback_due_at', _UTC(), nullable=False, comment='the feedback deadline given with the push'),
        sa.Column('owed_by', sa.String(length=12), nullable=True,
                  comment='enterprise | regulator: who must act next; NULL closed'),
        sa.Column('due_at', _UTC(), nullable=True, comment='deadline of the step owed now'),
        sa.Column('since', _UTC(), nullable=False, comment='when the current state began'),
        sa.Column('overdue_notified_at', _UTC(), nullable=True,
                  comment='the level above was told that the current step is overdue'),
        sa.Column('rounds', sa.Integer(), server_default='0', nullable=False, comment='feedbacks given'),
        sa.Column('closed_at', _UTC(), nullable=True),
        sa.Column('closed_by', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], name=op.f('fk_alarm_disposals_alarm_id_alarms')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_disposals')),
        sa.UniqueConstraint('alarm_id', name=op.f('uq_alarm_disposals_alarm_id')),
    )
    with op.batch_alter_table('alarm_disposals') as batch:
        batch.create_index('ix_alarm_disposals_due', ['state', 'due_at'], unique=False)
    op.create_table(
        'alarm_disposal_steps',
        sa.Column('id', _BIGID, autoincrement=True, nullable=False),
        sa.Column('disposal_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=12), nullable=False,
                  comment='push | handle | feedback | accept | return | close'),
        sa.Column('at', _UTC(), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('party', sa.String(length=12), nullable=False, comment='regulator | enterprise'),
        sa.Column('from_state', sa.String(length=12), nullable=True),
        sa.Column('to_state', sa.String(length=12), nullable=False),
        sa.Column('text', sa.Text(), nullable=True, comment='request, comment, reason of a return, or conclusion'),
        sa.Column('cause', sa.Text(), nullable=True, comment='feedback: the cause found'),
        sa.Column('measures', sa.Text(), nullable=True, comment='feedback: the measures taken'),
        sa.Column('due_at', _UTC(), nullable=True, comment='deadline of the next step set by this one'),
        sa.ForeignKeyConstraint(['disposal_id'], ['alarm_disposals.id'],
                                name=op.f('fk_alarm_disposal_steps_disposal_id_alarm_disposals')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_disposal_steps')),
    )
    with op.batch_alter_table('alarm_disposal_steps') as batch:
        batch.create_index(batch.f('ix_alarm_disposal_steps_disposal_id'), ['disposal_id'], unique=False)
    op.create_table(
        'alarm_disposal_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('step_id', _BIGID, nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False,
                  comment='decided from the checked kind, not the upload'),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_by', sa.String(length=64), nullable=False),
        sa.Column('uploaded_at', _UTC(), nullable=False),
        sa.ForeignKeyConstraint(['step_id'], ['alarm_disposal_steps.id'],
                                name=op.f('fk_alarm_disposal_files_step_id_alarm_disposal_steps')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_disposal_files')),
    )
    with op.batch_alter_table('alarm_disposal_files') as batch:
        batch.create_index(batch.f('ix_alarm_disposal_files_step_id'), ['step_id'], unique=False)


def downgrade() -> None:
    op.drop_table('alarm_disposal_files')
    op.drop_table('alarm_disposal_steps')
    op.drop_table('alarm_disposals')
