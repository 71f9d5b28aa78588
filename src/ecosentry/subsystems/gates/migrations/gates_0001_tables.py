"""gates: the gates subsystem's tables (registry, pictures, passages, decisions, ledger, heartbeats)

Revision ID: gates_0001
Revises: (none: the branch starts here, on the core's 0009)
Create Date: 2026-12-06 03:58:39.505990
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'gates_0001'
down_revision = None
branch_labels = ('gates',)
depends_on = '0009'  # applied once the core has its heavy-pollution alerts (pollution_alerts), as power


def upgrade() -> None:
    op.create_table('gates_pictures',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=16), nullable=False, comment='image/jpeg | image/png'),
    sa.Column('size', sa.Integer(), nullable=False, comment='bytes'),
    sa.Column('stored_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_gates_pictures'))
    )
    op.create_table('gates_enterprises',
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=8), nullable=False, comment='performance grade: leading | A | B | B- | C | D (绩效分级)'),
    sa.Column('small_volume_exempt', sa.Boolean(), server_default='0', nullable=False, comment='claims the small-volume exemption (≤ 10 vehicles a day)'),
    sa.Column('tz', sa.String(length=40), server_default='Asia/Shanghai', nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_gates_enterprises_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('enterprise_id', name=op.f('pk_gates_enterprises'))
    )
    op.create_table('gates_gates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('barrier', sa.Boolean(), server_default='0', nullable=False, comment='a barrier (道闸) is fitted'),
    sa.Column('side', sa.Boolean(), server_default='0', nullable=False, comment='a side gate (not the main entrance)'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_gates_gates_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_gates')),
    sa.UniqueConstraint('enterprise_id', 'code', name='uq_gates_gates_enterprise_code')
    )
    with op.batch_alter_table('gates_gates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gates_gates_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('gates_loading_places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_gates_loading_places_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_loading_places')),
    sa.UniqueConstraint('enterprise_id', 'code', name='uq_gates_loading_places_enterprise_code')
    )
    with op.batch_alter_table('gates_loading_places', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gates_loading_places_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('gates_machinery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('registration_code', sa.String(length=32), nullable=False, comment='environmental registration code (登记编码)'),
    sa.Column('production_date', sa.String(length=10), nullable=True, comment='YYYY-MM-DD'),
    sa.Column('emission_stage', sa.String(length=1), nullable=True, comment='0–6, d electric, x no stage (table 5)'),
    sa.Column('machine_code', sa.String(length=64), nullable=True),
    sa.Column('engine_no', sa.String(length=32), nullable=True),
    sa.Column('machine_type', sa.String(length=40), nullable=True),
    sa.Column('fuel', sa.String(length=16), nullable=True),
    sa.Column('nameplate_picture', sa.String(length=64), nullable=True, comment='sha256 of the engine nameplate picture'),
    sa.Column('label_picture', sa.String(length=64), nullable=True, comment='sha256 of the environmental label picture'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_gates_machinery_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_machinery')),
    sa.UniqueConstraint('enterprise_id', 'registration_code', name='uq_gates_machinery_enterprise_code')
    )
    with op.batch_alter_table('gates_machinery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gates_machinery_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('gates_vehicles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=16), nullable=False, comment='plate, or the in-plant registration / internal number'),
    sa.Column('plate_colour', sa.String(length=16), nullable=True, comment='blue | yellow | green | yellow_green | white | black'),
    sa.Column('vin', sa.String(length=17), nullable=True),
    sa.Column('engine_no', sa.String(length=32), nullable=True),
    sa.Column('vehicle_type', sa.String(length=40), nullable=True),
    sa.Column('fuel', sa.String(length=16), nullable=True),
    sa.Column('emission_stage', sa.String(length=1), nullable=True, comment='0–6, d electric (2020 guide table 3)'),
    sa.Column('registration_date', sa.String(length=10), nullable=True, comment='YYYY-MM-DD'),
    sa.Column('owner', sa.String(length=100), nullable=True, comment='owner or transport company (车队名称)'),
    sa.Column('in_plant', sa.Boolean(), server_default='0', nullable=False, comment='an in-plant vehicle (table 4)'),
    sa.Column('list_picture', sa.String(length=64), nullable=True, comment='sha256 of the 随车清单 picture'),
    sa.Column('licence_picture', sa.String(length=64), nullable=True, comment='sha256 of the 行驶证 picture'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_gates_vehicles_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_vehicles')),
    sa.UniqueConstraint('enterprise_id', 'plate', name='uq_gates_vehicles_enterprise_plate')
    )
    with op.batch_alter_table('gates_vehicles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gates_vehicles_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('gates_cameras',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False, comment='plate | video (plate recognition or surveillance)'),
    sa.Column('gate_id', sa.Integer(), nullable=True),
    sa.Column('loading_place_id', sa.Integer(), nullable=True),
    sa.Column('reference_picture', sa.String(length=64), nullable=True, comment='sha256 of the registered reference view'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_gates_cameras_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['gate_id'], ['gates_gates.id'], name=op.f('fk_gates_cameras_gate_id_gates_gates')),
    sa.ForeignKeyConstraint(['loading_place_id'], ['gates_loading_places.id'], name=op.f('fk_gates_cameras_loading_place_id_gates_loading_places')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_cameras')),
    sa.UniqueConstraint('enterprise_id', 'code', name='uq_gates_cameras_enterprise_code')
    )
    with op.batch_alter_table('gates_cameras', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gates_cameras_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gates_cameras_gate_id'), ['gate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gates_cameras_loading_place_id'), ['loading_place_id'], unique=False)

    op.create_table('gates_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False, comment="the device's name in the push"),
    sa.Column('gate_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False, comment="sha256 of the device's bearer token (the token itself is never kept)"),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('last_seen_at', ecosentry.store.schema.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['gate_id'], ['gates_gates.id'], name=op.f('fk_gates_devices_gate_id_gates_gates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_devices')),
    sa.UniqueConstraint('code', name=op.f('uq_gates_devices_code')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_gates_devices_token_hash'))
    )
    with op.batch_alter_table('gates_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gates_devices_gate_id'), ['gate_id'], unique=False)

    op.create_table('gates_heartbeats',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='ok', nullable=False, comment='ok | power_cut | camera_fault'),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['gates_devices.id'], name=op.f('fk_gates_heartbeats_device_id_gates_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_heartbeats'))
    )
    with op.batch_alter_table('gates_heartbeats', schema=None) as batch_op:
        batch_op.create_index('uq_gates_heartbeats_device_at', ['device_id', 'at'], unique=True)

    op.create_table('gates_passages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('spool', sa.String(length=32), nullable=False),
    sa.Column('spool_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('gate_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('at', ecosentry.store.schema.UTCDateTime(), nullable=False, comment='when the camera read the plate'),
    sa.Column('received_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('inbound', sa.Boolean(), nullable=False, comment='True entry, False exit'),
    sa.Column('plate', sa.String(length=16), nullable=False, comment='normalised plate; empty when none was read'),
    sa.Column('plate_colour', sa.String(length=16), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('picture', sa.String(length=64), nullable=True, comment='sha256 of the capture'),
    sa.Column('peer', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['gates_devices.id'], name=op.f('fk_gates_passages_device_id_gates_devices')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_gates_passages_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['gate_id'], ['gates_gates.id'], name=op.f('fk_gates_passages_gate_id_gates_gates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_passages')),
    sa.UniqueConstraint('spool', 'spool_seq', name='uq_gates_passages_spool_seq')
    )
    with op.batch_alter_table('gates_passages', schema=None) as batch_op:
        batch_op.create_index('ix_gates_passages_enterprise_at', ['enterprise_id', 'at'], unique=False)
        batch_op.create_index('ix_gates_passages_plate_at', ['enterprise_id', 'plate', 'at'], unique=False)

    op.create_table('gates_decisions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('passage_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False, comment="rule (at the passage) | override (the guard's)"),
    sa.Column('allowed', sa.Boolean(), nullable=True, comment='NULL: the guard must complete the record'),
    sa.Column('reason', sa.String(length=24), nullable=False, comment="the decision's reason code (rules/decision.py)"),
    sa.Column('stage', sa.String(length=1), nullable=True),
    sa.Column('level', sa.String(length=8), nullable=True, comment='the alert level in force, NULL none'),
    sa.Column('grade', sa.String(length=8), nullable=True),
    sa.Column('params', sa.JSON(), nullable=True, comment="the sentence's parameters"),
    sa.Column('operator', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True, comment="the override's reason"),
    sa.Column('decided_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['passage_id'], ['gates_passages.id'], name=op.f('fk_gates_decisions_passage_id_gates_passages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_decisions'))
    )
    with op.batch_alter_table('gates_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gates_decisions_passage_id'), ['passage_id'], unique=False)
        batch_op.create_index('uq_gates_decisions_rule', ['passage_id'], unique=True, sqlite_where=sa.text("kind = 'rule'"), postgresql_where=sa.text("kind = 'rule'"))

    op.create_table('gates_ledger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False, comment='camera | csv | manual'),
    sa.Column('passage_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('at', ecosentry.store.schema.UTCDateTime(), nullable=False, comment='进出厂时间'),
    sa.Column('inbound', sa.Boolean(), nullable=False),
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.Column('plate_colour', sa.String(length=16), nullable=True),
    sa.Column('vehicle_id', sa.Integer(), nullable=True, comment='NULL: not registered'),
    sa.Column('vin', sa.String(length=17), nullable=True),
    sa.Column('engine_no', sa.String(length=32), nullable=True),
    sa.Column('emission_stage', sa.String(length=1), nullable=True),
    sa.Column('stage_unknown', sa.Boolean(), server_default='0', nullable=False, comment='no stage from the register: the guard must complete it'),
    sa.Column('fuel', sa.String(length=16), nullable=True),
    sa.Column('cargo', sa.String(length=32), nullable=True, comment='运输货物名称'),
    sa.Column('weight_t', sa.Float(), nullable=True, comment='运输量 [t], number(4,1)'),
    sa.Column('transport_company', sa.String(length=100), nullable=True, comment='车队名称'),
    sa.Column('purpose', sa.String(length=16), server_default='transport', nullable=False, comment='transport | in_plant | maintenance | testing | commissioning | other'),
    sa.Column('pairs_with', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='an exit: the entry row it pairs with'),
    sa.Column('entered_by', sa.String(length=64), nullable=True),
    sa.Column('entered_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('source_key', sa.String(length=200), nullable=True, comment='what makes a CSV or manual row unique (re-import changes nothing)'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_gates_ledger_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['pairs_with'], ['gates_ledger.id'], name=op.f('fk_gates_ledger_pairs_with_gates_ledger')),
    sa.ForeignKeyConstraint(['passage_id'], ['gates_passages.id'], name=op.f('fk_gates_ledger_passage_id_gates_passages')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['gates_vehicles.id'], name=op.f('fk_gates_ledger_vehicle_id_gates_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates_ledger')),
    sa.UniqueConstraint('enterprise_id', 'source_key', name='uq_gates_ledger_source_key'),
    sa.UniqueConstraint('passage_id', name=op.f('uq_gates_ledger_passage_id'))
    )
    with op.batch_alter_table('gates_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_gates_ledger_enterprise_at', ['enterprise_id', 'at'], unique=False)
        batch_op.create_index('ix_gates_ledger_plate_at', ['enterprise_id', 'plate', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('gates_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_gates_ledger_plate_at')
        batch_op.drop_index('ix_gates_ledger_enterprise_at')

    op.drop_table('gates_ledger')
    with op.batch_alter_table('gates_decisions', schema=None) as batch_op:
        batch_op.drop_index('uq_gates_decisions_rule', sqlite_where=sa.text("kind = 'rule'"), postgresql_where=sa.text("kind = 'rule'"))
        batch_op.drop_index(batch_op.f('ix_gates_decisions_passage_id'))

    op.drop_table('gates_decisions')
    with op.batch_alter_table('gates_passages', schema=None) as batch_op:
        batch_op.drop_index('ix_gates_passages_plate_at')
        batch_op.drop_index('ix_gates_passages_enterprise_at')

    op.drop_table('gates_passages')
    with op.batch_alter_table('gates_heartbeats', schema=None) as batch_op:
        batch_op.drop_index('uq_gates_heartbeats_device_at')

    op.drop_table('gates_heartbeats')
    with op.batch_alter_table('gates_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gates_devices_gate_id'))

    op.drop_table('gates_devices')
    with op.batch_alter_table('gates_cameras', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gates_cameras_loading_place_id'))
        batch_op.drop_index(batch_op.f('ix_gates_cameras_gate_id'))
        batch_op.drop_index(batch_op.f('ix_gates_cameras_enterprise_id'))

    op.drop_table('gates_cameras')
    with op.batch_alter_table('gates_vehicles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gates_vehicles_enterprise_id'))

    op.drop_table('gates_vehicles')
    with op.batch_alter_table('gates_machinery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gates_machinery_enterprise_id'))

    op.drop_table('gates_machinery')
    with op.batch_alter_table('gates_loading_places', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gates_loading_places_enterprise_id'))

    op.drop_table('gates_loading_places')
    with op.batch_alter_table('gates_gates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gates_gates_enterprise_id'))

    op.drop_table('gates_gates')
    op.drop_table('gates_enterprises')
    op.drop_table('gates_pictures')
