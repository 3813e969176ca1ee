"""The console's database schema comes only from its Alembic revisions, and they
build exactly the tables of ``models.py``; ``console serve`` brings an older database
up to date and refuses one it cannot."""

import io
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select
from sqlalchemy.dialects import postgresql

from kiosk_provisioning.console.accounts import SignInOutcome, add_staff, sign_in
from kiosk_provisioning.console.app import create_app
from kiosk_provisioning.console.database import (
    MIGRATIONS,
    Database,
    make_engine,
    migrate,
    newest_revision,
    revision_of,
)
from kiosk_provisioning.console.models import Base, Role, SignIn
from kiosk_provisioning.console.settings import ConsoleSettings
from tests.console.server import KIOSK_PROVISION, Clerk, ConsoleServer

TABLES = {"staff", "sign_in", "call", "activity", "meeting_question", "meeting_answer"}


def _config(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'console.db'}")
    yield engine
    engine.dispose()


def test_the_revisions_build_exactly_the_models(engine: Engine) -> None:
    migrate(str(engine.url))
    assert revision_of(engine) == newest_revision()
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    assert _differences(engine) == []


def test_the_comparison_sees_a_missing_column(engine: Engine) -> None:
    """The check above would catch a model changed without a revision."""
    migrate(str(engine.url))
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE activity DROP COLUMN detail")
    assert [d[0] for d in _differences(engine)] == ["add_column"]  # type: ignore[index]


def test_down_and_up_again(engine: Engine) -> None:
    migrate(str(engine.url))
    with engine.begin() as connection:
        command.downgrade(_config(connection), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert revision_of(engine) is None
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    assert revision_of(engine) == newest_revision()
    assert _differences(engine) == []


def test_the_console_refuses_a_database_behind_its_revisions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'console.db'}"
    with pytest.raises(RuntimeError, match="kiosk-provision console migrate"):
        create_app(ConsoleSettings(repo=tmp_path, database_url=url, secure_cookies=False))


def test_serve_migrates_a_new_database_first(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    with ConsoleServer(repo, tmp_path / "console") as server:
        assert Clerk(server.url).get("/login").status_code == 200
        engine = make_engine(server.database)
        try:
            assert revision_of(engine) == newest_revision()
        finally:
            engine.dispose()


def test_serve_refuses_a_database_from_a_newer_console(tmp_path: Path) -> None:
    path = tmp_path / "console.db"
    migrate(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    done = subprocess.run(
        [str(KIOSK_PROVISION), "console", "serve", str(tmp_path), "--database",
         f"sqlite:///{path}", "--listen", "127.0.0.1:1", "--no-broker"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "9999" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert "ready" not in done.stdout


# PostgreSQL: a throwaway cluster of Debian's PostgreSQL 15. The revisions run both as
# Alembic's SQL script ("offline", through psql) and through the console's own code
# with the pinned driver (psycopg).

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _offline_sql(destination: str, start: str | None) -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    out = io.StringIO()

    def steps(revision: str, _context: object) -> Sequence[object]:
        if destination == "base":
            return script._downgrade_revs(destination, start)
        return script._upgrade_revs(destination, revision)

    with EnvironmentContext(
        config, script, fn=steps, as_sql=True, starting_rev=start, destination_rev=destination
    ) as env:
        env.configure(dialect_name="postgresql", output_buffer=out, target_metadata=Base.metadata)
        with env.begin_transaction():
            env.run_migrations()
    return out.getvalue()


class PostgreSQL:
    """A cluster of Debian's PostgreSQL 15 in *folder*, run as the ``postgres`` user,
    reached only over its Unix socket; ``psql`` runs SQL in it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        shutil.chown(folder, "postgres", "postgres")
        self._as_postgres(
            PG_BIN / "initdb", "-D", str(folder / "data"), "-A", "trust", "-U", "postgres"
        )
        self._as_postgres(
            PG_BIN / "pg_ctl", "-D", str(folder / "data"), "-w", "-l", str(folder / "log"),
            "-o", f"-k {folder} -c listen_addresses=''", "start",
        )  # fmt: skip

    def _as_postgres(self, *argv: object) -> str:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, argv)],
            capture_output=True, text=True, timeout=60, check=False, cwd=self.folder,
        )  # fmt: skip
        assert done.returncode == 0, f"{argv[0]}: {done.stderr}"
        return done.stdout

    def psql(self, sql: str) -> str:
        script = self.folder / "script.sql"
        script.write_text(sql)
        shutil.chown(script, "postgres", "postgres")
        return self._as_postgres(
            "psql", "-h", self.folder, "-U", "postgres", "-X", "-q", "-A", "-t",
            "-v", "ON_ERROR_STOP=1", "-f", script,
        )  # fmt: skip

    def stop(self) -> None:
        self._as_postgres(PG_BIN / "pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "stop")


@pytest.fixture
def postgres() -> Iterator[PostgreSQL]:
    # Not under pytest's tmp_path: its folders are root's alone, and PostgreSQL
    # refuses to run as root.
    with tempfile.TemporaryDirectory(prefix="console-pg-") as folder:
        cluster = PostgreSQL(Path(folder))
        try:
            yield cluster
        finally:
            cluster.stop()


COLUMNS = """SELECT c.relname || '.' || a.attname || '|' || format_type(a.atttypid, a.atttypmod)
    || '|' || CASE WHEN a.attnotnull THEN 'not null' ELSE 'null' END
FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped;"""
"""Every column of the database as ``table.column|type|null``."""


def _columns(postgres: PostgreSQL) -> set[str]:
    return set(postgres.psql(COLUMNS).splitlines())


def _models_on_postgresql() -> set[str]:
    dialect = postgresql.dialect()
    return {"alembic_version.version_num|character varying(32)|not null"} | {
        f"{table.name}.{column.name}|"
        f"{column.type.compile(dialect=dialect).lower().replace('varchar', 'character varying')}|"
        f"{'null' if column.nullable else 'not null'}"
        for table in Base.metadata.tables.values()
        for column in table.columns
    }


def test_the_revisions_on_postgresql(postgres: PostgreSQL) -> None:
    expected = _models_on_postgresql()
    assert "staff.locked_until|timestamp without time zone|null" in expected
    postgres.psql(_offline_sql("head", None))
    assert _columns(postgres) == expected
    assert postgres.psql("SELECT version_num FROM alembic_version;").strip() == newest_revision()
    postgres.psql(_offline_sql("base", newest_revision()))
    assert _columns(postgres) == {"alembic_version.version_num|character varying(32)|not null"}
    assert postgres.psql("SELECT count(*) FROM alembic_version;").strip() == "0"
    # An offline script makes alembic_version itself; online, Alembic would reuse it.
    postgres.psql("DROP TABLE alembic_version;")
    postgres.psql(_offline_sql("head", None))
    assert _columns(postgres) == expected


@pytest.mark.allow_warnings  # the wrong passwords are logged, as they should be
def test_the_console_runs_on_postgresql_with_the_same_code(postgres: PostgreSQL) -> None:
    """migrate(), the accounts and the sign-in rule, through SQLAlchemy and psycopg:
    what a city that runs PostgreSQL gets with ``--database postgresql+psycopg://…``."""
    url = f"postgresql+psycopg://postgres@/postgres?host={postgres.folder}"
    migrate(url)
    assert _columns(postgres) == _models_on_postgresql()
    database = Database(url)
    try:
        assert database.is_current()
        with database.session() as db:
            add_staff(db, "kim", "김복지", "긴-비밀번호-2026", frozenset({Role.CALLER}))
        for _ in range(5):
            with database.session() as db:
                wrong = sign_in(db, "kim", "틀린 비밀번호", "10.0.0.9", 5, 15)
        assert wrong.outcome is SignInOutcome.LOCKED
        with database.session() as db:
            refused = sign_in(db, "kim", "긴-비밀번호-2026", "10.0.0.9", 5, 15)
            assert refused.outcome is SignInOutcome.LOCKED, "locked means locked"
            outcomes = db.scalars(select(SignIn.outcome).order_by(SignIn.id)).all()
        assert outcomes == ["wrong"] * 4 + ["locked"] * 2
    finally:
        database.close()
    migrate(url)  # again: nothing to do
