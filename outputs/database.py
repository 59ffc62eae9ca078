"""``piao load``: the tables of many records in one relational database, across years.

SQLAlchemy Core over the tables of :func:`pipeline.tables.record_tables` (their columns, types
and keys come from ``pipeline/tables.yaml``). Any SQLAlchemy URL works; the default is a SQLite
file. Loading is

- idempotent: a plan's rows are keyed by its source file's ``sha256``; loading it again first
  deletes the rows it left, in every table, then inserts the new ones;
- transactional: all the plans given in one call are loaded in one transaction (DDL included,
  SQLite too), so a failure leaves the database as it was;
- self-migrating: missing tables are created, missing columns added (``ALTER TABLE ... ADD
  COLUMN``, nullable), and the ``schema_version`` table records the version the database has.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from pipeline.errors import InputError
from pipeline.record import PlanRecord
from pipeline.tables import record_tables, records, table_specs

DEFAULT_URL = "sqlite:///piao.db"
#: Bumped whenever tables.yaml gains a table or a column.
SCHEMA_VERSION = 1

_MONEY = sa.Numeric(14, 2, asdecimal=False)
_TYPES = {"integer": sa.Integer, "number": sa.Float, "boolean": sa.Boolean, "string": sa.Text}


def metadata() -> sa.MetaData:
    """The database schema: one table per table of ``tables.yaml``, plus ``schema_version``."""
    meta = sa.MetaData()
    sa.Table("schema_version", meta, sa.Column("version", sa.Integer, nullable=False))
    for spec in table_specs().values():
        columns = [
            sa.Column(c["name"], _MONEY if c.get("unit") == "EUR" else _TYPES[c["type"]](), nullable=c["name"] not in spec.primary_key,
                      comment=c.get("description"))
            for c in spec.columns
        ]
        constraints: list[Any] = [sa.PrimaryKeyConstraint(*spec.primary_key)]
        constraints += [
            sa.ForeignKeyConstraint(list(fk["fields"]),
                                    [f"{fk['reference']['resource']}.{f}" for f in fk["reference"]["fields"]])
            for fk in spec.foreign_keys
        ]
        sa.Table(spec.name, meta, *columns, *constraints, comment=spec.description)
        sa.Index(f"ix_{spec.name}_entity_year", meta.tables[spec.name].c.entity, meta.tables[spec.name].c.year)
    return meta


def shown(url: str) -> str:
    """The URL as it may be printed (password hidden)."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def engine_for(url: str) -> Engine:
    """An engine for ``url``; with SQLite, DDL joins the transaction too (pysqlite would not)."""
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as err:
        raise InputError(shown(url), "indirizzo del database non valido") from None
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection, _record):  # pragma: no cover - trivial
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):  # pragma: no cover - trivial
            conn.exec_driver_sql("BEGIN")
    return engine


def migrate(conn: Connection, meta: sa.MetaData) -> int:
    """Create missing tables and add missing columns; returns the version the database had (0: new)."""
    inspector = sa.inspect(conn)
    existing = set(inspector.get_table_names())
    had = 0
    if "schema_version" in existing:
        had = conn.execute(sa.select(sa.func.max(meta.tables["schema_version"].c.version))).scalar() or 0
    meta.create_all(conn, checkfirst=True)
    preparer = conn.dialect.identifier_preparer
    for table in meta.sorted_tables:
        if table.name not in existing:
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                conn.exec_driver_sql(
                    f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN "
                    f"{preparer.format_column(column)} {column.type.compile(dialect=conn.dialect)}"
                )
    if had != SCHEMA_VERSION:
        conn.execute(meta.tables["schema_version"].delete())
        conn.execute(meta.tables["schema_version"].insert(), {"version": SCHEMA_VERSION})
    return had


def load_records(plans: Iterable[PlanRecord], url: str = DEFAULT_URL) -> dict[str, int]:
    """Load the records into the database at ``url``, all in one transaction.

    Returns the number of rows inserted per table.
    """
    meta = metadata()
    engine = engine_for(url)
    counts = {name: 0 for name in table_specs()}
    order = [t for t in meta.sorted_tables if t.name in counts]  # parents before children
    try:
        with engine.begin() as conn:
            migrate(conn, meta)
            for record in plans:
                sha = record.source.sha256
                for table in reversed(order):
                    conn.execute(table.delete().where(table.c.sha256 == sha))
                tables = record_tables(record)
                for table in order:
                    rows = records(tables[table.name]) if table.name in tables else []
                    if rows:
                        conn.execute(table.insert(), rows)
                        counts[table.name] += len(rows)
    except sa.exc.OperationalError as err:
        if "connect" in str(err).lower() or "unable to open" in str(err).lower():
            raise InputError(shown(url), "database non raggiungibile") from None
        raise
    finally:
        engine.dispose()
    return counts
