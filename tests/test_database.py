"""piao load: a real SQLite file and a real, throwaway PostgreSQL server.

The PostgreSQL server is Debian's ``postgresql`` package (``initdb``/``pg_ctl`` on a temporary
folder, loopback, a free port), run as ``nobody`` when the tests run as root (initdb refuses root).
The PostgreSQL tests skip only when those binaries are not installed (``scripts/setup.sh``
installs them, so CI runs them).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.cli import main
from outputs.data import write_json
from pipeline.allocation import allocate
from pipeline.checks import run_checks
from pipeline.record import Source
from tests.records import expected_record

YEARS = (2025, 2026)


def _bins() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    bins = _bins()
    if bins is None:
        pytest.skip("PostgreSQL non installato (/usr/lib/postgresql/*/bin/initdb)")
    # Not under pytest's tmp_path: its parents are private to root, and the server runs as nobody.
    base = Path(tempfile.mkdtemp(prefix="piao-pg-"))
    data, port = base / "data", _free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        import pwd

        nobody = pwd.getpwnam("nobody")
        os.chown(base, nobody.pw_uid, nobody.pw_gid)
        as_user = ["runuser", "-u", "nobody", "--"]
    env = {**os.environ, "LC_ALL": "C.UTF-8"}

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, env=env, cwd=base,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    try:
        run(str(bins / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        run(str(bins / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-t", "60",
            "-o", f"-h 127.0.0.1 -p {port} -k {base} -F", "start")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bins / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       env=env, cwd=base, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def year_edition(year: int):
    """The Chiari record as edition ``year``: one objective fewer per later year, its own file."""
    record = expected_record()
    drop = year - YEARS[0]
    record = record.model_copy(update={
        "source": Source(file=f"chiari-{year}.pdf", sha256=f"{year:064d}", pages=49),
        "plan": record.plan.model_copy(update={"year": year}),
        "objectives": record.objectives[: len(record.objectives) - drop],
    })
    return run_checks(allocate(record))


@pytest.fixture(scope="module")
def out_dirs(tmp_path_factory):
    base = tmp_path_factory.mktemp("runs")
    dirs = []
    for year in YEARS:
        folder = base / f"chiari-{year}"
        folder.mkdir()
        write_json(year_edition(year), folder / "plan.json")
        dirs.append(str(folder))
    return dirs


def _sqlite(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'storia.db'}"


def _objectives_per_year(url: str) -> dict[int, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT year, COUNT(*) FROM objectives WHERE entity = :e GROUP BY year ORDER BY year"),
                {"e": "Comune di Chiari"}).all()
            return {int(y): int(n) for y, n in rows}
    finally:
        engine.dispose()


def _cross_year_amounts(url: str) -> list[tuple]:
    """Amount per year and settore: a query across years that joins three tables."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(
                "SELECT p.year, o.number, o.title, a.amount_eur FROM plans p "
                "JOIN objectives o ON o.sha256 = p.sha256 "
                "JOIN allocations a ON a.sha256 = o.sha256 AND a.objective = o.number "
                "WHERE o.number = 1 ORDER BY p.year")).all()]
    finally:
        engine.dispose()


def _dump(url: str) -> dict[str, list]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {n: sorted(map(repr, conn.execute(sa.text(f"SELECT * FROM {n}")).all())) for n in names}
    finally:
        engine.dispose()


def _check_two_years_loaded_twice(url: str, out_dirs) -> None:
    expected = {y: len(year_edition(y).objectives) for y in YEARS}
    assert expected[2025] != expected[2026]
    assert main(["load", *out_dirs, "--db", url, "--quiet"]) == 0
    assert main(["load", *out_dirs, "--db", url, "--quiet"]) == 0
    assert main(["load", out_dirs[0], "--db", url, "--quiet"]) == 0
    assert _objectives_per_year(url) == expected
    rows = _cross_year_amounts(url)
    assert [r[0] for r in rows] == list(YEARS)
    for (year, number, title, amount) in rows:
        alloc = next(a for a in year_edition(year).allocations if a.objective == 1)
        assert amount == pytest.approx(alloc.amount_eur, abs=0.005)
    # every indicator arrives once, with its card
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT COUNT(*) FROM indicators i JOIN objectives o ON "
                                 "o.sha256 = i.sha256 AND o.ordinal = i.objective_ordinal")).scalar()
        version = conn.execute(sa.text("SELECT version FROM schema_version")).all()
    engine.dispose()
    assert n == sum(len(o.indicators) for y in YEARS for o in year_edition(y).objectives)
    assert version == [(1,)]


def test_sqlite_two_years_loaded_twice_once_each(tmp_path, out_dirs):
    _check_two_years_loaded_twice(_sqlite(tmp_path), out_dirs)


def test_postgresql_two_years_loaded_twice_once_each(postgres_url, out_dirs):
    _check_two_years_loaded_twice(postgres_url, out_dirs)


def _fail_in_the_middle(monkeypatch):
    """The second plan's findings fail to insert, after its objectives went in."""
    import outputs.database as database

    real = database.records
    calls = {"n": 0}

    def failing(df, columns=None):
        if "rule" in df.columns:
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("disco pieno")
        return real(df, columns)

    monkeypatch.setattr(database, "records", failing)


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_failure_mid_load_leaves_the_database_as_it_was(db, tmp_path, out_dirs, monkeypatch, request):
    url = _sqlite(tmp_path) if db == "sqlite" else request.getfixturevalue("postgres_url")
    if db == "postgresql":  # the module's server is shared: start from an empty schema
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
    assert main(["load", out_dirs[0], "--db", url, "--quiet"]) == 0
    before = _dump(url)
    _fail_in_the_middle(monkeypatch)
    # 2025 again (its rows deleted, re-inserted), then 2026, whose findings fail
    assert main(["load", out_dirs[0], out_dirs[1], "--db", url, "--quiet"]) == 1
    assert _dump(url) == before


def test_failure_on_a_new_database_leaves_no_tables(tmp_path, out_dirs, monkeypatch):
    url = _sqlite(tmp_path)
    _fail_in_the_middle(monkeypatch)
    assert main(["load", *out_dirs, "--db", url, "--quiet"]) == 1
    assert _dump(url) == {}  # the CREATE TABLEs were rolled back too


def test_an_older_database_gains_the_new_columns(tmp_path, out_dirs):
    """A database made by an earlier release (fewer columns, no schema_version) is migrated."""
    url = _sqlite(tmp_path)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE objectives (entity TEXT, year INTEGER, sha256 TEXT NOT NULL, "
                             "ordinal INTEGER NOT NULL, number INTEGER, title TEXT, PRIMARY KEY (sha256, ordinal))")
    engine.dispose()
    assert main(["load", out_dirs[0], "--db", url, "--quiet"]) == 0
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("objectives")}
        codes = conn.execute(sa.text("SELECT COUNT(*), COUNT(threshold_pct) FROM objectives")).one()
        version = conn.execute(sa.text("SELECT version FROM schema_version")).scalar()
    engine.dispose()
    assert {"code", "printed_label", "objective_weight", "threshold_pct"} <= columns
    record = year_edition(2025)
    assert tuple(codes) == (len(record.objectives),
                            sum(o.threshold_pct is not None for o in record.objectives))
    assert version == 1


def test_bad_input_is_refused_before_the_database_is_touched(tmp_path, out_dirs, capsys):
    url = _sqlite(tmp_path)
    (tmp_path / "rotto").mkdir()
    (tmp_path / "rotto" / "plan.json").write_text('{"schema_version": "1"}', encoding="utf-8")
    assert main(["load", out_dirs[0], str(tmp_path / "rotto"), "--db", url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rotto" in err[0] and "plan.json" in err[0]
    assert not (tmp_path / "storia.db").exists()
    assert main(["load", out_dirs[0], "--db", "nonundatabase://x"]) == 2


def test_default_database_is_piao_db_in_the_working_folder(tmp_path, out_dirs, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["load", *out_dirs]) == 0
    assert "2 piani" in capsys.readouterr().out
    assert _objectives_per_year("sqlite:///piao.db") == {y: len(year_edition(y).objectives) for y in YEARS}
