"""Alembic environment: runs with the URL and embedding space handed over by ``migrate.py``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from asoto.persistence.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = create_engine(
        config.attributes["sqlalchemy_url"],
        poolclass=pool.NullPool,
        connect_args={"prepare_threshold": None},
    )
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
