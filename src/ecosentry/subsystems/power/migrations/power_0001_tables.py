"""power: the electricity subsystem's tables (registry, thresholds, readings, findings, emergency measures)

Revision ID: power_0001
Revises:
Create Date: 2026-12-06 01:00:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'power_0001'
down_revision = None  # the first revision of the subsystem's own branch ...
branch_labels = ('power',)
depends_on = '0009'  # ... applied once the core has its heavy-pollution alerts


def upgrade() -> None:
    op.create_table('power_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('mn', sa.String(length=24), nullable=False, comment='HJ 212 MN of a power logger, or the MQTT client id / user name of a device'),
    sa.Column('password', sa.String(length=64), nullable=True, comment='HJ 212 access password PW (power loggers)'),
    sa.Column('mqtt_secret_hash', sa.String(length=200), nullable=True, comment="hash of the device's MQTT password (the broker's password file is written from it)"),
    sa.Column('transport', sa.String(length=12), server_default='hj212', nullable=False, comment='hj212 | mqtt | csv'),
    sa.Column('tz', sa.String(length=40), server_default='Asia/Shanghai', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('last_seen_at', ecosentry.store.schema.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_power_devices_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_power_devices')),
    sa.UniqueConstraint('mn', name=op.f('uq_power_devices_mn'))
    )
    op.create_table('power_meters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False, comment='meter id in the registry (SB001 ...)'),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True, comment="how the device names the meter in what it sends: HJ 212 'SB1', an MQTT meter id"),
    sa.Column('meter_no', sa.String(length=40), nullable=True, comment="the meter's serial number (表号)"),
    sa.Column('ct_ratio', sa.Float(), server_default='1', nullable=False, comment='current-transformer ratio (200/5 = 40)'),
    sa.Column('phases', sa.SmallInteger(), server_default='3', nullable=False),
    sa.Column('rated_kw', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['power_devices.id'], name=op.f('fk_power_meters_device_id_power_devices')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_power_meters_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_power_meters')),
    sa.UniqueConstraint('device_id', 'channel', name='uq_power_meters_device_channel'),
    sa.UniqueConstraint('enterprise_id', 'code', name='uq_power_meters_enterprise_code')
    )
    op.create_table('power_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_power_lines_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_power_lines')),
    sa.UniqueConstraint('enterprise_id', 'code', name='uq_power_lines_enterprise_code')
    )
    op.create_table('power_equipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False, comment='production | treatment | total'),
    sa.Column('kind', sa.String(length=24), nullable=True, comment='treatment kind (registry.TREATMENT_KINDS)'),
    sa.Column('line_id', sa.Integer(), nullable=True),
    sa.Column('meter_id', sa.Integer(), nullable=True),
    sa.Column('rated_kw', sa.Float(), nullable=True),
    sa.Column('normal_kw', sa.Float(), nullable=True, comment='normal running load (load share denominator)'),
    sa.Column('safety_load', sa.Boolean(), server_default='0', nullable=False, comment='保安用电: declared in advance, not named by stop orders'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_power_equipment_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['line_id'], ['power_lines.id'], name=op.f('fk_power_equipment_line_id_power_lines')),
    sa.ForeignKeyConstraint(['meter_id'], ['power_meters.id'], name=op.f('fk_power_equipment_meter_id_power_meters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_power_equipment')),
    sa.UniqueConstraint('enterprise_id', 'code', name='uq_power_equipment_enterprise_code'),
    sa.UniqueConstraint('meter_id', name=op.f('uq_power_equipment_meter_id'))
    )
    op.create_table('power_linkage',
    sa.Column('treatment_id', sa.Integer(), nullable=False),
    sa.Column('production_id', sa.Integer(), nullable=False),
    sa.Column('grace_minutes', sa.Integer(), nullable=True, comment='NULL = the setting power.linkage.grace_minutes'),
    sa.ForeignKeyConstraint(['production_id'], ['power_equipment.id'], name=op.f('fk_power_linkage_production_id_power_equipment')),
    sa.ForeignKeyConstraint(['treatment_id'], ['power_equipment.id'], name=op.f('fk_power_linkage_treatment_id_power_equipment')),
    sa.PrimaryKeyConstraint('treatment_id', 'production_id', name=op.f('pk_power_linkage'))
    )
    op.create_table('power_thresholds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meter_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('on_kw', sa.Float(), nullable=False),
    sa.Column('off_kw', sa.Float(), nullable=False),
    sa.Column('dwell', sa.SmallInteger(), server_default='3', nullable=False, comment='samples a change must hold'),
    sa.Column('source', sa.String(length=12), nullable=False, comment='learned | set | registry'),
    sa.Column('valid_from', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('set_by', sa.String(length=64), nullable=True),
    sa.Column('set_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('explanation', sa.JSON(), nullable=True, comment='what the learning saw (levels, separation, share on)'),
    sa.ForeignKeyConstraint(['meter_id'], ['power_meters.id'], name=op.f('fk_power_thresholds_meter_id_power_meters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_power_thresholds')),
    sa.UniqueConstraint('meter_id', 'version', name='uq_power_thresholds_meter_version')
    )
    op.create_table('power_readings',
    sa.Column('meter_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.String(length=8), nullable=False, comment='P kW | E kWh | I A | Ia Ib Ic A | U V | Ua Ub Uc V | PF | RS run state'),
    sa.Column('at', ecosentry.store.schema.UTCDateTime(), nullable=False, comment='the minute (UTC) the value is for'),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('flag', sa.String(length=4), nullable=True, comment='HJ 212 data flag as sent'),
    sa.Column('received_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('meter_id', 'quantity', 'at', name=op.f('pk_power_readings'))
    )
    op.create_table('power_findings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False, comment='rule code PWR-...'),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False, comment="the equipment codes (sorted, ',') the finding is about"),
    sa.Column('start_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('end_at', ecosentry.store.schema.UTCDateTime(), nullable=True, comment='NULL while the condition holds'),
    sa.Column('detected_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=True, comment="the sentence's parameters"),
    sa.Column('evidence', sa.JSON(), nullable=True),
    sa.Column('alert_id', sa.Integer(), nullable=True, comment='pollution_alerts.id of an order finding'),
    sa.Column('alarm_id', sa.Integer(), nullable=True, comment='alarms.id raised for it'),
    sa.Column('updated_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_power_findings_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_power_findings')),
    sa.UniqueConstraint('enterprise_id', 'code', 'key', 'start_at', name='uq_power_findings_span')
    )
    op.create_table('power_measures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False, comment='alert level the measure applies from: yellow | orange | red'),
    sa.Column('equipment_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=8), nullable=False, comment='stop | limit'),
    sa.Column('limit_pct', sa.Float(), nullable=True, comment='share of the baseline a limit allows [%]'),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('updated_at', ecosentry.store.schema.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_power_measures_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['equipment_id'], ['power_equipment.id'], name=op.f('fk_power_measures_equipment_id_power_equipment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_power_measures')),
    sa.UniqueConstraint('enterprise_id', 'level', 'equipment_id', name='uq_power_measures_level_equipment')
    )
    op.create_table('power_baselines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True, comment='pollution_alerts.id; NULL = the standing baseline'),
    sa.Column('hours_kwh', sa.JSON(), nullable=False, comment='24 hourly values of production energy [kWh]'),
    sa.Column('edited_by', sa.String(length=64), nullable=True),
    sa.Column('edited_at', ecosentry.store.schema.UTCDateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_power_baselines_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_power_baselines')),
    sa.UniqueConstraint('enterprise_id', 'alert_id', name='uq_power_baselines_enterprise_alert')
    )
    op.create_index(op.f('ix_power_devices_enterprise_id'), 'power_devices', ['enterprise_id'], unique=False)
    op.create_index(op.f('ix_power_meters_device_id'), 'power_meters', ['device_id'], unique=False)
    op.create_index(op.f('ix_power_meters_enterprise_id'), 'power_meters', ['enterprise_id'], unique=False)
    op.create_index(op.f('ix_power_lines_enterprise_id'), 'power_lines', ['enterprise_id'], unique=False)
    op.create_index(op.f('ix_power_equipment_enterprise_id'), 'power_equipment', ['enterprise_id'], unique=False)
    op.create_index(op.f('ix_power_thresholds_meter_id'), 'power_thresholds', ['meter_id'], unique=False)
    op.create_index('ix_power_readings_at', 'power_readings', ['at'], unique=False)
    op.create_index(op.f('ix_power_findings_enterprise_id'), 'power_findings', ['enterprise_id'], unique=False)
    op.create_index(op.f('ix_power_measures_enterprise_id'), 'power_measures', ['enterprise_id'], unique=False)
    op.create_index(op.f('ix_power_baselines_enterprise_id'), 'power_baselines', ['enterprise_id'], unique=False)


def downgrade() -> None:
    for table in ('power_baselines', 'power_measures', 'power_findings', 'power_readings', 'power_thresholds',
                  'power_linkage', 'power_equipment', 'power_lines', 'power_meters', 'power_devices'):
        op.drop_table(table)
