"""access_version: one counter raised by triggers whenever what a principal's scope is read from changes
(accounts, regions, enterprises, outlets, points, point maintainers: ``schema.SCOPE_COLUMNS``), so the API can
keep resolved scopes between requests and see an administrator's change at the next request, in every process
(``ecosentry.auth.scope_cache``). PostgreSQL: statement triggers (one raise per statement); SQLite: row triggers.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 11:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

#: The scope columns as this revision knows them (a copy: a migration does not follow later code).
SCOPE_COLUMNS = {
    'users': ('id', 'username', 'display_name', 'role', 'region_code', 'enterprise_id', 'active', 'park_code',
              'locale'),
    'regions': ('code', 'parent_code'),
    'enterprises': ('id', 'region_code', 'park_code', 'published'),
    'outlets': ('id', 'enterprise_id'),
    'points': ('id', 'outlet_id', 'region_code'),
    'point_maintainers': ('user_id', 'point_id'),
}
_BUMP = 'UPDATE access_version SET version = version + 1 WHERE id = 1'


def upgrade() -> None:
    op.create_table('access_version',
    sa.Column('id', sa.Integer(), nullable=False, comment='the one row: 1'),
    sa.Column('version', sa.BigInteger(), nullable=False, comment='raised by triggers whenever the accounts or the registry change a scope (SCOPE_COLUMNS)'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_version')),
    comment="version of everything the principals' scopes are read from: the API's scope cache is valid while it holds"
    )
    pg = op.get_bind().dialect.name == 'postgresql'
    # a random start: a database re-created at the same address hardly ever starts where the old one was
    start = "(random() * 1e15)::bigint" if pg else "abs(random() % 1000000000000000)"
    op.execute(f'INSERT INTO access_version (id, version) VALUES (1, {start})')
    if pg:
        op.execute('CREATE FUNCTION bump_access_version() RETURNS trigger LANGUAGE plpgsql AS '
                   f"$$ BEGIN {_BUMP}; RETURN NULL; END $$")
        for table, cols in SCOPE_COLUMNS.items():
            op.execute(f'CREATE TRIGGER access_version_{table} AFTER INSERT OR DELETE OR UPDATE OF {", ".join(cols)} '
                       f'OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version()')
        return
    for table, cols in SCOPE_COLUMNS.items():
        for event, name in (('INSERT', 'ins'), ('DELETE', 'del'), (f'UPDATE OF {", ".join(cols)}', 'upd')):
            op.execute(f'CREATE TRIGGER access_version_{table}_{name} AFTER {event} ON {table} '
                       f'BEGIN {_BUMP}; END')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in SCOPE_COLUMNS:
            op.execute(f'DROP TRIGGER access_version_{table} ON {table}')
        op.execute('DROP FUNCTION bump_access_version()')
    else:
        for table in SCOPE_COLUMNS:
            for name in ('ins', 'del', 'upd'):
                op.execute(f'DROP TRIGGER access_version_{table}_{name}')
    op.drop_table('access_version')
