"""raw_frames_partitioned: on PostgreSQL ``raw_frames`` becomes range-partitioned by month of ``received_at``
(issue 19 item 4), as ``observations`` is by ``period_start``; SQLite unchanged.

The rows are kept: the table is renamed, the partitioned one created with the same columns, defaults (the same
id sequence, so ids go on where they were) and comments, a partition made for every month that holds rows plus
the usual months around today, the rows copied, the old table dropped. A unique constraint of a partitioned
table must hold the partition key, so the primary key becomes (id, received_at) and the replay key (spool,
spool_seq, received_at) (``ecosentry.store.partitions.raw_frame_key``). The copy takes time in proportion to the
archive (it runs in the migration's transaction); on a very large archive run it in a maintenance window.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:00:00
"""
from alembic import op

from ecosentry.store.partitions import create_month_partition, ensure_month_partitions


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _rename_old() -> None:
    op.execute('ALTER TABLE raw_frames RENAME TO raw_frames_old')
    op.execute('ALTER TABLE raw_frames_old RENAME CONSTRAINT pk_raw_frames TO pk_raw_frames_old')
    op.execute('ALTER TABLE raw_frames_old RENAME CONSTRAINT uq_raw_frames_spool_seq TO uq_raw_frames_spool_seq_old')
    op.execute('ALTER INDEX ix_raw_frames_mn RENAME TO ix_raw_frames_mn_old')
    op.execute('ALTER INDEX ix_raw_frames_received_at RENAME TO ix_raw_frames_received_at_old')


def _move_rows_and_drop_old() -> None:
    op.execute('ALTER SEQUENCE raw_frames_id_seq OWNED BY raw_frames.id')  # else dropping the old table drops it
    op.execute('INSERT INTO raw_frames SELECT * FROM raw_frames_old')
    op.execute('DROP TABLE raw_frames_old')
    op.execute('CREATE INDEX ix_raw_frames_mn ON raw_frames (mn)')
    op.execute('CREATE INDEX ix_raw_frames_received_at ON raw_frames (received_at)')


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != 'postgresql':
        return
    _rename_old()
    op.execute('CREATE TABLE raw_frames (LIKE raw_frames_old INCLUDING DEFAULTS INCLUDING COMMENTS) '
               'PARTITION BY RANGE (received_at)')
    op.execute('ALTER TABLE raw_frames ADD CONSTRAINT pk_raw_frames PRIMARY KEY (id, received_at)')
    op.execute('ALTER TABLE raw_frames ADD CONSTRAINT uq_raw_frames_spool_seq '
               'UNIQUE (spool, spool_seq, received_at)')
    # months get their own partitions (store/partitions.py); anything else lands here
    op.execute('CREATE TABLE raw_frames_default PARTITION OF raw_frames DEFAULT')
    months = conn.exec_driver_sql(
        "SELECT DISTINCT date_trunc('month', received_at AT TIME ZONE 'UTC')::date FROM raw_frames_old").scalars()
    for month in months:
        create_month_partition(conn, 'raw_frames', month)
    ensure_month_partitions(conn, tables=('raw_frames',))
    _move_rows_and_drop_old()


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != 'postgresql':
        return
    _rename_old()
    op.execute('CREATE TABLE raw_frames (LIKE raw_frames_old INCLUDING DEFAULTS INCLUDING COMMENTS)')
    op.execute('ALTER TABLE raw_frames ADD CONSTRAINT pk_raw_frames PRIMARY KEY (id)')
    op.execute('ALTER TABLE raw_frames ADD CONSTRAINT uq_raw_frames_spool_seq UNIQUE (spool, spool_seq)')
    _move_rows_and_drop_old()  # the partitions go with the partitioned table
