"""access: parks, published enterprises, user scopes and lock-out, O&M point assignments, API keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 08:30:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_UTC = ecosentry.store.schema.UTCDateTime


def upgrade() -> None:
    op.create_table('parks',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_parks_region_code_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_parks'))
    )
    with op.batch_alter_table('enterprises') as batch:
        batch.add_column(sa.Column('park_code', sa.String(length=20), nullable=True, comment='chemical park (化工园区)'))
        batch.add_column(sa.Column('published', sa.Boolean(), server_default='0', nullable=False,
                                   comment='data shown on the public page (信息公开)'))
        batch.create_foreign_key(op.f('fk_enterprises_park_code_parks'), 'parks', ['park_code'], ['code'])
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('park_code', sa.String(length=20), nullable=True, comment='scope for park committees'))
        batch.add_column(sa.Column('organisation', sa.String(length=200), nullable=True,
                                   comment='O&M contractor or authority name'))
        batch.add_column(sa.Column('locale', sa.String(length=8), nullable=True,
                                   comment='preferred UI language: zh | vi | en'))
        batch.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('locked_until', _UTC(timezone=True), nullable=True,
                                   comment='lock-out after repeated failed logins'))
        batch.add_column(sa.Column('last_login_at', _UTC(timezone=True), nullable=True))
        batch.create_foreign_key(op.f('fk_users_park_code_parks'), 'parks', ['park_code'], ['code'])
    op.create_table('point_maintainers',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_point_maintainers_point_id_points')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_point_maintainers_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'point_id', name=op.f('pk_point_maintainers')),
    comment='O&M contractor accounts and the points they maintain (their scope)'
    )
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False, comment='first characters of the key, shown'),
    sa.Column('key_hash', sa.String(length=200), nullable=False, comment='SHA-256 of the whole key'),
    sa.Column('rate_limit_per_minute', sa.Integer(), nullable=True, comment='NULL = the default limit'),
    sa.Column('created_at', _UTC(timezone=True), nullable=False),
    sa.Column('last_used_at', _UTC(timezone=True), nullable=True),
    sa.Column('revoked_at', _UTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_keys_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix'))
    )
    op.create_index(op.f('ix_api_keys_user_id'), 'api_keys', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_api_keys_user_id'), table_name='api_keys')
    op.drop_table('api_keys')
    op.drop_table('point_maintainers')
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint(op.f('fk_users_park_code_parks'), type_='foreignkey')
        for col in ('last_login_at', 'locked_until', 'failed_logins', 'locale', 'organisation', 'park_code'):
            batch.drop_column(col)
    with op.batch_alter_table('enterprises') as batch:
        batch.drop_constraint(op.f('fk_enterprises_park_code_parks'), type_='foreignkey')
        batch.drop_column('published')
        batch.drop_column('park_code')
    op.drop_table('parks')
