"""om: the end a mark had when it was judged (om_mark_checks.judged_end): a mark judged while open is judged
again once it is closed

Revision ID: om_0003_mark_judged_end
Revises: om_0002_camera_seen
Create Date: 2026-12-06 17:30:00
"""
from alembic import op
import sqlalchemy as sa
import ecosentry.store.schema


revision = 'om_0003_mark_judged_end'
down_revision = 'om_0002_camera_seen'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('om_mark_checks') as batch:
        batch.add_column(sa.Column('judged_end', ecosentry.store.schema.UTCDateTime(timezone=True), nullable=True,
                                   comment="the mark's end when it was judged (NULL: judged while still open)"))
    # the verdicts given before this revision stand as given: a judged mark is taken as judged with its end now
    op.execute('UPDATE om_mark_checks SET judged_end = (SELECT marks."end" FROM marks '
               'WHERE marks.id = om_mark_checks.mark_id)')


def downgrade() -> None:
    with op.batch_alter_table('om_mark_checks') as batch:
        batch.drop_column('judged_end')
