"""latest_values kept with half of each page free (PostgreSQL fillfactor 50), so that the ingest worker's update of
a point's latest value is a heap-only tuple (HOT) update: the new version goes on the same page and the primary key
is not touched (no indexed column changes). The table is updated for every point, factor and kind of every batch;
measured on the bench's frames (300 loggers, 500-frame batches): PostgreSQL's CPU for that upsert 8.7–9.1 → 6.0–6.7 µs
a data point (docs/benchmarks.md, issue 19). The table is small (one row per point, factor and kind): CLUSTER
rewrites it at once so existing pages get the free space too. SQLite has no such setting.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 23:30:00
"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE latest_values SET (fillfactor = 50)")
    op.execute("CLUSTER latest_values USING pk_latest_values")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE latest_values RESET (fillfactor)")
