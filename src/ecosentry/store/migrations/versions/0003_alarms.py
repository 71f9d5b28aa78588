"""alarms: alarms, events, links, subscriptions, deliveries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 08:00:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_UTC = ecosentry.store.schema.UTCDateTime
_BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('alarms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False, comment='alarm type code ALM-... (ecosentry.alarms.catalogue)'),
    sa.Column('source_type', sa.String(length=24), nullable=False, comment='originator kind: point | enterprise | gate | ...'),
    sa.Column('source_id', sa.String(length=64), nullable=False, comment='originator id within its kind'),
    sa.Column('state', sa.String(length=12), nullable=False, comment='active | acknowledged | cleared'),
    sa.Column('severity', sa.String(length=10), nullable=False, comment='info | warning | critical'),
    sa.Column('previous_severity', sa.String(length=10), nullable=True, comment='severity before the latest occurrence'),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=True, comment='latest explanation'),
    sa.Column('evidence', sa.JSON(), nullable=True, comment='latest evidence'),
    sa.Column('point_id', sa.Integer(), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('factor_codes', sa.String(length=400), nullable=True, comment='comma-separated HJ 212 codes'),
    sa.Column('occurrences', sa.Integer(), server_default='1', nullable=False),
    sa.Column('first_at', _UTC(timezone=True), nullable=False),
    sa.Column('last_at', _UTC(timezone=True), nullable=False),
    sa.Column('acknowledged_at', _UTC(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.Column('assignee', sa.String(length=64), nullable=True),
    sa.Column('cleared_at', _UTC(timezone=True), nullable=True),
    sa.Column('cleared_by', sa.String(length=64), nullable=True, comment="user, or 'data' when the condition ended"),
    sa.Column('clear_reason', sa.Text(), nullable=True),
    sa.Column('escalation_level', sa.Integer(), server_default='0', nullable=False, comment='region levels added above the initial routing'),
    sa.Column('repeats', sa.Integer(), server_default='0', nullable=False, comment='repeat notifications sent'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_alarms_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_alarms_point_id_points')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_alarms_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarms'))
    )
    with op.batch_alter_table('alarms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarms_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alarms_last_at'), ['last_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alarms_point_id'), ['point_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alarms_region_code'), ['region_code'], unique=False)
    # one non-cleared alarm per (originator, type): the target of INSERT ... ON CONFLICT
    op.create_index('ux_alarms_open', 'alarms', ['source_type', 'source_id', 'type'], unique=True,
                    sqlite_where=sa.text("state != 'cleared'"), postgresql_where=sa.text("state != 'cleared'"))

    op.create_table('alarm_events',
    sa.Column('id', _BIGID, autoincrement=True, nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=False),
    sa.Column('at', _UTC(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=True, comment="user, or 'system' / 'data'"),
    sa.Column('kind', sa.String(length=16), nullable=False, comment='raised | updated | acknowledged | assigned | commented | cleared | linked | escalated | repeat'),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], name=op.f('fk_alarm_events_alarm_id_alarms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_events'))
    )
    with op.batch_alter_table('alarm_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_events_alarm_id'), ['alarm_id'], unique=False)

    op.create_table('alarm_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False, comment='mark | work_order'),
    sa.Column('target_id', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', _UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], name=op.f('fk_alarm_links_alarm_id_alarms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_links')),
    sa.UniqueConstraint('alarm_id', 'kind', 'target_id', name='uq_alarm_links_alarm_kind_target')
    )
    with op.batch_alter_table('alarm_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_links_alarm_id'), ['alarm_id'], unique=False)

    op.create_table('alarm_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False, comment='email | webhook | sms | live'),
    sa.Column('address', sa.String(length=300), nullable=False, comment='e-mail, URL, phone number or user name'),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('alarm_types', sa.String(length=400), nullable=True, comment='comma-separated ALM codes; NULL = all'),
    sa.Column('min_severity', sa.String(length=10), server_default='info', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('created_at', _UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_alarm_subscriptions_region_code_regions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alarm_subscriptions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_subscriptions'))
    )
    with op.batch_alter_table('alarm_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_subscriptions_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_alarm_subscriptions_user_id'), ['user_id'], unique=False)

    op.create_table('alarm_deliveries',
    sa.Column('id', _BIGID, autoincrement=True, nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=True),
    sa.Column('event', sa.String(length=16), nullable=False, comment='raised | updated | escalated | repeat | ...'),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=300), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('at', _UTC(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], name=op.f('fk_alarm_deliveries_alarm_id_alarms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_deliveries'))
    )
    with op.batch_alter_table('alarm_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_deliveries_alarm_id'), ['alarm_id'], unique=False)


def downgrade() -> None:
    op.drop_table('alarm_deliveries')
    op.drop_table('alarm_subscriptions')
    op.drop_table('alarm_links')
    op.drop_table('alarm_events')
    op.drop_index('ux_alarms_open', table_name='alarms')
    op.drop_table('alarms')
