"""Storage: SQLAlchemy models, engines, migrations, the checkpointer and embedded Postgres."""
