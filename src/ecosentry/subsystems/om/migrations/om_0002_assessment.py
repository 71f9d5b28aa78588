"""om: the monthly assessment (om_assessments, om_station_health) and the cameras' last answer (coverage)

Revision ID: om_0002_assessment
Revises: om_0002_photos
Create Date: 2026-12-06 08:00:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'om_0002_assessment'
down_revision = 'om_0002_photos'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('om_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False, comment='local month YYYY-MM'),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False, comment='1 = best score of the month'),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('grade', sa.String(length=4), nullable=False, comment='优 | 良 | 差'),
    sa.Column('points', sa.Integer(), nullable=False, comment='points under contract in the month'),
    sa.Column('expected', sa.Integer(), nullable=False, comment="expected hours (M) of the points' assessed factors"),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False, comment='the assessment: counts, components, weights, formula'),
    sa.Column('computed_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['om_organisations.id'], name=op.f('fk_om_assessments_organisation_id_om_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_assessments')),
    sa.UniqueConstraint('month', 'organisation_id', name='uq_om_assessments_month_organisation')
    )
    op.create_table('om_station_health',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False, comment='local month YYYY-MM'),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('health', sa.String(length=8), nullable=False, comment='green | yellow | red'),
    sa.Column('critical', sa.Integer(), nullable=False, comment='critical findings of the month at the point'),
    sa.Column('detail', sa.JSON(), nullable=False, comment="the station's assessment and its findings' codes"),
    sa.Column('computed_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['om_organisations.id'], name=op.f('fk_om_station_health_organisation_id_om_organisations')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_om_station_health_point_id_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_station_health')),
    sa.UniqueConstraint('month', 'organisation_id', 'point_id', name='uq_om_station_health_month_org_point')
    )
    op.create_index('ix_om_station_health_month_point', 'om_station_health', ['month', 'point_id'], unique=False)
    with op.batch_alter_table('om_cameras') as batch:
        batch.add_column(sa.Column('last_seen_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True,
                                   comment='the camera\'s last answer (snapshot, heartbeat): networked for the coverage (om_0002)'))


def downgrade() -> None:
    with op.batch_alter_table('om_cameras') as batch:
        batch.drop_column('last_seen_at')
    op.drop_index('ix_om_station_health_month_point', table_name='om_station_health')
    op.drop_table('om_station_health')
    op.drop_table('om_assessments')
