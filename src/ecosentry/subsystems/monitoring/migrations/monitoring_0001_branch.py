"""monitoring: the subsystem's own branch of revisions starts here

Revision ID: monitoring_0001
Revises:
Create Date: 2026-12-05 21:50:00
"""

revision = 'monitoring_0001'
down_revision = None  # the first revision of the subsystem's own branch ...
branch_labels = ('monitoring',)
depends_on = '0008'  # ... applied once the core's schema is at 0008


def upgrade() -> None:
    """Nothing to create: the branch's root, so that the subsystem's later revisions have one parent."""


def downgrade() -> None:
    """Nothing to drop."""
