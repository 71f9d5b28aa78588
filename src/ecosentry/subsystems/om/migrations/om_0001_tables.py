"""om: the O&M subsystem's tables (registry, work orders, calibrations, door events, parameters)

Revision ID: om_0001
Revises:
Create Date: 2026-12-06 05:00:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'om_0001'
down_revision = None  # the first revision of the subsystem's own branch ...
branch_labels = ('om',)
depends_on = '0010'  # ... applied once the core has its alarms with disposal


def upgrade() -> None:
    op.create_table('om_organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False, comment="the organisation's id in the fleet file"),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True, comment='unified social credit code'),
    sa.Column('filing_status', sa.String(length=12), server_default='filed', nullable=False, comment='备案 status: filed | pending | revoked | none'),
    sa.Column('filed_on', sa.Date(), nullable=True),
    sa.Column('qualifications', sa.JSON(), nullable=True, comment='list of {name, number, valid_to}'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_organisations')),
    sa.UniqueConstraint('code', name=op.f('uq_om_organisations_code'))
    )
    op.create_table('om_contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True, comment='NULL: open-ended'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_om_contracts_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['organisation_id'], ['om_organisations.id'], name=op.f('fk_om_contracts_organisation_id_om_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_contracts')),
    sa.UniqueConstraint('organisation_id', 'code', name='uq_om_contracts_organisation_code')
    )
    op.create_index(op.f('ix_om_contracts_enterprise_id'), 'om_contracts', ['enterprise_id'], unique=False)
    op.create_index(op.f('ix_om_contracts_organisation_id'), 'om_contracts', ['organisation_id'], unique=False)
    op.create_table('om_contract_points',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['om_contracts.id'], name=op.f('fk_om_contract_points_contract_id_om_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_om_contract_points_point_id_points')),
    sa.PrimaryKeyConstraint('contract_id', 'point_id', name=op.f('pk_om_contract_points'))
    )
    op.create_table('om_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=True, comment='the account the engineer logs in with'),
    sa.Column('certificates', sa.JSON(), nullable=True, comment='list of {name, number, valid_to}'),
    sa.Column('commitment_signed_on', sa.Date(), nullable=True, comment='date the staff commitment (承诺书) was signed'),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['om_organisations.id'], name=op.f('fk_om_staff_organisation_id_om_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_staff')),
    sa.UniqueConstraint('organisation_id', 'code', name='uq_om_staff_organisation_code')
    )
    op.create_index(op.f('ix_om_staff_organisation_id'), 'om_staff', ['organisation_id'], unique=False)
    op.create_table('om_rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False, comment="the station room's id in the fleet file"),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('door_id', sa.String(length=64), nullable=True, comment='id of the door controller (it pushes events)'),
    sa.Column('door_secret_hash', sa.String(length=200), nullable=True, comment="Argon2id hash of the door controller's secret"),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_om_rooms_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_rooms')),
    sa.UniqueConstraint('code', name=op.f('uq_om_rooms_code')),
    sa.UniqueConstraint('door_id', name=op.f('uq_om_rooms_door_id'))
    )
    op.create_index(op.f('ix_om_rooms_enterprise_id'), 'om_rooms', ['enterprise_id'], unique=False)
    op.create_table('om_room_points',
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_om_room_points_point_id_points')),
    sa.ForeignKeyConstraint(['room_id'], ['om_rooms.id'], name=op.f('fk_om_room_points_room_id_om_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_id', 'point_id', name=op.f('pk_om_room_points'))
    )
    op.create_table('om_cameras',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('rtsp_url', sa.String(length=400), nullable=True),
    sa.Column('gb28181_id', sa.String(length=20), nullable=True, comment='GB/T 28181 device id (20 digits)'),
    sa.ForeignKeyConstraint(['room_id'], ['om_rooms.id'], name=op.f('fk_om_cameras_room_id_om_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_cameras')),
    sa.UniqueConstraint('room_id', 'code', name='uq_om_cameras_room_code')
    )
    op.create_index(op.f('ix_om_cameras_room_id'), 'om_cameras', ['room_id'], unique=False)
    op.create_table('om_work_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False, comment='rules.workorders.KINDS'),
    sa.Column('state', sa.String(length=12), server_default='created', nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=True, comment='the alarm the order answers'),
    sa.Column('fault_start', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True, comment="when the fault began (the alarm's first time)"),
    sa.Column('created_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('assignee', sa.String(length=100), nullable=True),
    sa.Column('assigned_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True),
    sa.Column('on_site_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejected_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deadline', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True, comment='done by (restore within 5 working days; planned window)'),
    sa.Column('report_deadline', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True, comment='a fault reported by (12 h after it began)'),
    sa.Column('photos', sa.JSON(), nullable=True, comment='stored-file references (ecosentry.store.files)'),
    sa.Column('readings', sa.JSON(), nullable=True),
    sa.Column('checklist', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], name=op.f('fk_om_work_orders_alarm_id_alarms')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_om_work_orders_point_id_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_work_orders'))
    )
    op.create_index(op.f('ix_om_work_orders_point_id'), 'om_work_orders', ['point_id'], unique=False)
    op.create_index('ix_om_work_orders_state_deadline', 'om_work_orders', ['state', 'deadline'], unique=False)
    op.create_table('om_work_order_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('from_state', sa.String(length=12), nullable=True),
    sa.Column('to_state', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['om_work_orders.id'], name=op.f('fk_om_work_order_events_order_id_om_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_work_order_events'))
    )
    op.create_index(op.f('ix_om_work_order_events_order_id'), 'om_work_order_events', ['order_id'], unique=False)
    op.create_table('om_calibrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('factor_code', sa.String(length=16), nullable=False),
    sa.Column('analyser', sa.String(length=60), nullable=True, comment="the analyser's serial number or model"),
    sa.Column('kind', sa.String(length=8), nullable=False, comment='zero | span'),
    sa.Column('at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reading', sa.Float(), nullable=True),
    sa.Column('reference', sa.Float(), nullable=True),
    sa.Column('drift_pct', sa.Float(), nullable=True, comment='% of full scale'),
    sa.Column('result', sa.String(length=8), nullable=False, comment='pass | fail as recorded'),
    sa.Column('verdict', sa.String(length=8), nullable=False, comment='pass | fail by the drift rule (the stated result when no drift is given)'),
    sa.Column('source', sa.String(length=12), server_default='api', nullable=False, comment='api | csv | logger'),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('recorded_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_om_calibrations_point_id_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_calibrations')),
    sa.UniqueConstraint('point_id', 'factor_code', 'kind', 'at', name='uq_om_calibrations_check')
    )
    op.create_index('ix_om_calibrations_point_at', 'om_calibrations', ['point_id', 'at'], unique=False)
    op.create_table('om_door_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.Column('event', sa.String(length=8), nullable=False, comment='open | close'),
    sa.Column('source', sa.String(length=12), server_default='http', nullable=False, comment='http | hj212 | csv'),
    sa.Column('received_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['om_rooms.id'], name=op.f('fk_om_door_events_room_id_om_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_door_events')),
    sa.UniqueConstraint('room_id', 'at', 'event', name='uq_om_door_events_room_at_event')
    )
    op.create_table('om_parameters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('factor_code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False, comment='range, slope, intercept, K, dilution ...'),
    sa.Column('registered_value', sa.Float(), nullable=True),
    sa.Column('reported_value', sa.Float(), nullable=True),
    sa.Column('reported_at', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=12), nullable=True, comment='hj212 (CN 3020) | csv'),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_om_parameters_point_id_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_om_parameters')),
    sa.UniqueConstraint('point_id', 'factor_code', 'name', name='uq_om_parameters_point_factor_name')
    )


def downgrade() -> None:
    op.drop_table('om_parameters')
    op.drop_table('om_door_events')
    op.drop_table('om_calibrations')
    op.drop_table('om_work_order_events')
    op.drop_table('om_work_orders')
    op.drop_table('om_cameras')
    op.drop_table('om_room_points')
    op.drop_table('om_rooms')
    op.drop_table('om_staff')
    op.drop_table('om_contract_points')
    op.drop_table('om_contracts')
    op.drop_table('om_organisations')
