"""gates: legal holds on an enterprise's records of a period (retention deletes none of them until released)

Revision ID: gates_0002_holds
Revises: gates_0002_checks
Create Date: 2026-12-06 10:45:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'gates_0002_holds'
down_revision = 'gates_0002_checks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gates_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('start', ecosentry.store.schema.UTCDateTime(), nullable=False, comment='the first record time held'),
    sa.Column('end', ecosentry.store.schema.UTCDateTime(), nullable=False, comment='the last record time held (inclusive)'),
    sa.Column('reason', sa.Text(), nullable=False, comment='the inspection or case it is held for'),
    sa.Column('case_ref', sa.String(length=64), nullable=True, comment="the case's or inspection's reference (文书号), if any"),
    sa.Column('placed_by', sa.String(length=64), nullable=False),
    sa.Column('placed_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('released_by', sa.String(length=64), nullable=True),
    sa.Column('released_at', ecosentry.store.schema.UTCDateTime(), nullable=True, comment='NULL: the hold stands'),
    sa.Column('release_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_gates_holds_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_holds'))
    )
    with op.batch_alter_table('gates_holds', schema=None) as batch_op:
        batch_op.create_index('ix_gates_holds_enterprise', ['enterprise_id', 'released_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('gates_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_gates_holds_enterprise')
    op.drop_table('gates_holds')
