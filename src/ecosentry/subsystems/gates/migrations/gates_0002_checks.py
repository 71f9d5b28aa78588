"""gates: the checks over the stored tables (findings, the job's progress per enterprise, camera snapshots)

Revision ID: gates_0002_checks
Revises: gates_0002_upload
Create Date: 2026-12-06 07:40:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'gates_0002_checks'
down_revision = 'gates_0002_upload'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gates_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('camera_id', sa.Integer(), nullable=False),
    sa.Column('at', ecosentry.store.schema.UTCDateTime(), nullable=False, comment='when the camera took the snapshot'),
    sa.Column('picture', sa.String(length=64), nullable=False, comment='sha256 of the snapshot (gates_pictures)'),
    sa.Column('received_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('similarity', sa.Float(), nullable=True, comment='against the reference view when checked; NULL unchecked'),
    sa.Column('blank', sa.Boolean(), nullable=True, comment='covered or black when checked'),
    sa.ForeignKeyConstraint(['camera_id'], ['gates_cameras.id'], name=op.f('fk_gates_snapshots_camera_id_gates_cameras')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_snapshots'))
    )
    with op.batch_alter_table('gates_snapshots', schema=None) as batch_op:
        batch_op.create_index('uq_gates_snapshots_camera_at', ['camera_id', 'at'], unique=True)

    op.create_table('gates_findings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False, comment='the rule\'s code (VEH-…)'),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=64), server_default='', nullable=False, comment='what the finding is about: the plate, the camera, else empty (part of the key)'),
    sa.Column('plate', sa.String(length=16), server_default='', nullable=False),
    sa.Column('start', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('end', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('detected_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('msgid', sa.Text(), nullable=False, comment='the sentence (catalogue msgid) …'),
    sa.Column('params', sa.JSON(), nullable=True, comment='… and its parameters'),
    sa.Column('evidence', sa.JSON(), nullable=True),
    sa.Column('open', sa.Boolean(), server_default='0', nullable=False, comment='a camera still silent or turned at the last pass'),
    sa.Column('alarm_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='the core alarm it raised or counted in'),
    sa.Column('found_at', ecosentry.store.schema.UTCDateTime(), nullable=False, comment='when the job first stored it'),
    sa.Column('updated_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_gates_findings_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_findings')),
    sa.UniqueConstraint('enterprise_id', 'code', 'subject', 'start', name='uq_gates_findings_key')
    )
    with op.batch_alter_table('gates_findings', schema=None) as batch_op:
        batch_op.create_index('ix_gates_findings_enterprise_start', ['enterprise_id', 'start'], unique=False)

    op.create_table('gates_check_state',
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('passage_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), server_default='0', nullable=False, comment='the last passage the checks read'),
    sa.Column('ledger_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), server_default='0', nullable=False, comment='the last ledger row the checks read'),
    sa.Column('checked_to', ecosentry.store.schema.UTCDateTime(), nullable=True, comment='data up to here were settled at the last pass'),
    sa.Column('checked_at', ecosentry.store.schema.UTCDateTime(), nullable=True, comment='the last pass'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_gates_check_state_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('enterprise_id', name=op.f('pk_gates_check_state'))
    )


def downgrade() -> None:
    op.drop_table('gates_check_state')
    with op.batch_alter_table('gates_findings', schema=None) as batch_op:
        batch_op.drop_index('ix_gates_findings_enterprise_start')
    op.drop_table('gates_findings')
    with op.batch_alter_table('gates_snapshots', schema=None) as batch_op:
        batch_op.drop_index('uq_gates_snapshots_camera_at')
    op.drop_table('gates_snapshots')
