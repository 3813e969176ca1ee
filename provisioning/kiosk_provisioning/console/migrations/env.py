"""Alembic's environment for the console's database (run by :func:`..database.migrate`,
never by a hand-written ``alembic.ini``)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from kiosk_provisioning.console.models import Base

config = context.config
connectable = config.attributes.get("connection")


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters a table by copying it
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connectable is not None:
    _run(connectable)
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        _run(connection)
