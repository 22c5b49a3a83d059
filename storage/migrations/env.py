"""Alembic environment for forumwatch's schema.

``storage.db.upgrade_schema`` hands over an open connection (``config.attributes["connection"]``)
already inside a transaction that holds the migration lock. Without one, the URL is read from
the ``sqlalchemy.url`` option (e.g. for ``alembic revision --autogenerate`` run through
``storage.db.alembic_config()``); offline mode (``--sql``) renders the SQL for that URL.
"""

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.db import make_engine
from storage.search import owned_by_search

config = context.config
target_metadata = SQLModel.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite alters tables by copying them
        include_name=_include_name,
    )


def _include_name(name: str | None, _type: str, _parents: object) -> bool:
    """Autogenerate leaves the search index's objects alone (raw DDL of migration 0007)."""
    return not owned_by_search(name)


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url option set")
    engine = make_engine(url)
    try:
        with engine.connect() as own_connection:
            _configure(own_connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
