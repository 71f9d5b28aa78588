"""Alembic environment: runs migrations against the URL given by ecosentry.store.db.migrate.

The version locations (the core's ``versions/`` and each installed subsystem's migrations package) come from
:func:`ecosentry.store.db.alembic_config`; here the installed subsystems' schema modules are loaded, so the
target metadata (what ``alembic revision --autogenerate`` compares the database with) holds their tables too.
"""

from alembic import context
from sqlalchemy import create_engine, pool

from ecosentry.installed import load_schemas
from ecosentry.store.schema import metadata

config = context.config
load_schemas(config.attributes.get("subsystems"))


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
