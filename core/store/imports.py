"""Imports: the ``imports`` row each import writes, and the caseload import's staging.

A caseload import stages its new and changed rows in TEMP tables of the connection
(``import_*``), works out the children they make and compares them with the stored
ones in SQL, then writes only what changed (``core.importers.caseload`` decides; the
SQL is here). The staging lives in the open transaction: a write's ``Tx``, or a dry
run's ``Store.scratch`` (rolled back, TEMP tables with it); ``unstage`` drops it
after a write.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import repeat
from operator import itemgetter

from .database import Reader, Tx


def record(tx: Tx, kind: str, file: str, sha256: str, by: str, counts: dict) -> int:
    """The ``imports`` row of one import (``kind``: caseload, notes, people); its id."""
    return tx.execute(
        "INSERT INTO imports (kind, file, sha256, at, by, counts) VALUES (?, ?, ?, ?, ?, ?)",
        [kind, file, sha256, tx.at, by, json.dumps(counts)],
    ).lastrowid


# -- the caseload import's staging -------------------------------------------------
# The stored columns of a child, and of a source compared on re-import (row_hash and
# updated_at are not). A source row as the import holds it is (child_id, source,
# *SOURCE_FIELDS, row_hash); a child (child_id, *CHILD_FIELDS).
CHILD_FIELDS = (
    "name", "date_of_birth", "expected_date_of_birth", "cohort", "tier", "worker",
    "worker_login", "team", "family_id", "is_open", "closed_on", "key_dates",
)
SOURCE_FIELDS = (
    "cohort", "name", "date_of_birth", "expected_date_of_birth", "worker", "team",
    "family_id", "ended_on", "present", "key_dates",
)
SOURCE_COLUMNS = ("child_id", "source", *SOURCE_FIELDS)
CHILD_COLUMNS = ("child_id", *CHILD_FIELDS)
_STAGING = ("import_rows", "import_children", "import_complex", "import_workers", "import_updated",
            "import_skip")
_ROW_MARKS = ", ".join("?" * (len(SOURCE_COLUMNS) + 1))
_CHILD_MARKS = ", ".join("?" * len(CHILD_COLUMNS))


def _marks(values: Sequence) -> str:
    return ", ".join("?" * len(values))


def _same(a: str, b: str, fields) -> str:
    """SQL: the row ``a`` holds the same values as ``b`` (NULLs equal)."""
    return f"({', '.join(f'{a}.{f}' for f in fields)}) IS ({', '.join(f'{b}.{f}' for f in fields)})"


def _project(source: str, tiers: dict[str, int], *, stored: bool = True, complex_: bool = True) -> str:
    """SQL selecting the child a one-list row ``n`` makes (import_children's columns), its
    tier from ``tiers`` (cohort -> tier), open unless its episode ended by ``:today``; a
    child closed already keeps its closing date, else it closes on its episode's end.

    ``stored=False``: no child is stored yet (a first import), so none is closed already
    and ``children`` is not read: an INSERT into it can then take the rows as they come,
    where reading the table it writes makes SQLite copy every row aside first.
    ``complex_=False``: no child is built in Python (import_complex is empty)."""
    tier_case = "CASE n.cohort " + " ".join(f"WHEN '{c}' THEN {int(t)}" for c, t in tiers.items()) + " END"
    open_ = "(n.ended_on IS NULL OR n.ended_on > :today)"
    closed_already = (" WHEN EXISTS (SELECT 1 FROM children c WHERE c.child_id = n.child_id AND c.is_open = 0)"
                      " THEN (SELECT c.closed_on FROM children c WHERE c.child_id = n.child_id)") if stored else ""
    return (
        "SELECT n.child_id AS child_id, n.name AS name, n.date_of_birth AS date_of_birth,"
        " CASE WHEN n.date_of_birth IS NOT NULL AND n.cohort != 'unborn' THEN NULL"
        " ELSE n.expected_date_of_birth END AS expected_date_of_birth,"
        f" n.cohort AS cohort, {tier_case} AS tier, n.worker AS worker, w.login AS worker_login,"
        f" n.team AS team, n.family_id AS family_id, CASE WHEN {open_} THEN 1 ELSE 0 END AS is_open,"
        f" CASE WHEN {open_} THEN NULL{closed_already}"
        " ELSE n.ended_on END AS closed_on, n.key_dates AS key_dates"
        f" FROM {source} n LEFT JOIN temp.import_workers w ON w.worker = n.worker"
        + (" WHERE n.child_id NOT IN (SELECT child_id FROM temp.import_complex)" if complex_ else " WHERE 1")
    )


def _changed_only(select: str) -> str:
    """SQL: the children of ``select`` that differ from (or are not in) ``children``."""
    return (f"SELECT p.* FROM ({select}) p LEFT JOIN children c ON c.child_id = p.child_id"
            f" WHERE c.child_id IS NULL OR NOT {_same('c', 'p', CHILD_FIELDS)}")


def stage(tx: Tx) -> None:
    """Empty staging tables (TEMP, this connection's), any left from before dropped:
    import_rows (new and changed source rows), import_children (the children to write),
    import_complex (children built in Python), import_workers (worker -> login),
    import_updated (children updated), import_skip (rows rejected: kept as stored)."""
    unstage(tx)
    tx.execute(f"CREATE TEMP TABLE import_rows ({', '.join(SOURCE_COLUMNS)}, row_hash)")
    tx.execute(f"CREATE TEMP TABLE import_children ({', '.join(CHILD_COLUMNS)})")
    tx.execute("CREATE TEMP TABLE import_complex (child_id PRIMARY KEY)")
    tx.execute("CREATE TEMP TABLE import_workers (worker PRIMARY KEY, login)")
    tx.execute("CREATE TEMP TABLE import_updated (child_id PRIMARY KEY)")
    tx.execute("CREATE TEMP TABLE import_skip (child_id, source, PRIMARY KEY (child_id, source))")


def unstage(tx: Tx) -> None:
    """Drop the staging tables."""
    for t in _STAGING:
        tx.execute(f"DROP TABLE IF EXISTS temp.{t}")


def stamp(r: Reader) -> tuple[int, int]:
    """Which state of the store this connection sees: it differs once another connection
    has committed a change (``PRAGMA data_version``) or this one has written a row."""
    return r.scalar("PRAGMA data_version"), r.db.conn.total_changes


def present_hashes(r: Reader, source: str) -> dict[str, str]:
    """row_hash -> child_id of the stored rows of ``source`` present in its latest extract."""
    return dict(r.rows("SELECT row_hash, child_id FROM child_sources WHERE source = ? AND present = 1",
                       [source]))


def any_source_row(r: Reader) -> bool:
    return bool(r.scalar("SELECT EXISTS (SELECT 1 FROM child_sources)"))


def last_at(r: Reader, kind: str) -> str | None:
    """When the latest import of ``kind`` was written (``imports.at``), if any was."""
    return r.scalar("SELECT max(at) FROM imports WHERE kind = ?", [kind])


def stage_rows(tx: Tx, rows: Iterable[tuple], skipped: Iterable[tuple[str, str]]) -> None:
    """The new and changed source rows (with their hash), and the (child_id, source) of
    rows rejected in this file (their stored row stands)."""
    tx.executemany(f"INSERT INTO temp.import_rows VALUES ({_ROW_MARKS})", rows)
    tx.executemany("INSERT INTO temp.import_skip VALUES (?, ?)", skipped)


def stored_in_several(r: Reader, sources: Sequence[str]) -> list[str]:
    """Children with a stored, present row of ``sources`` (not rejected here) that is not
    their only list; and children staged in one list and stored in another."""
    found = [cid for (cid,) in r.rows(
        f"SELECT a.child_id FROM child_sources a WHERE a.source IN ({_marks(sources)}) AND a.present = 1"
        " AND EXISTS (SELECT 1 FROM child_sources b WHERE b.child_id = a.child_id AND b.source != a.source)"
        " AND NOT EXISTS (SELECT 1 FROM temp.import_skip k WHERE k.child_id = a.child_id AND k.source = a.source)",
        sources)]
    found += [cid for (cid,) in r.rows(
        "SELECT DISTINCT n.child_id FROM temp.import_rows n"
        " JOIN child_sources o ON o.child_id = n.child_id AND o.source != n.source")]
    return found


def stage_complex(tx: Tx, child_ids: Iterable[str]) -> None:
    """The children built in Python, not projected in SQL."""
    tx.executemany("INSERT INTO temp.import_complex VALUES (?)", ((c,) for c in child_ids))


def workers_named(r: Reader, sources: Sequence[str]) -> list[str]:
    """Every worker named by a staged row or a stored row of ``sources``."""
    return [w for (w,) in r.rows(
        "SELECT worker FROM temp.import_rows WHERE worker IS NOT NULL UNION"
        f" SELECT worker FROM child_sources WHERE source IN ({_marks(sources)}) AND worker IS NOT NULL",
        sources)]


def stage_workers(tx: Tx, matches: Iterable[tuple[str, str | None]]) -> None:
    """(worker as written, login matched or None)."""
    tx.executemany("INSERT INTO temp.import_workers VALUES (?, ?)", matches)


def stage_first_children(tx: Tx, tiers: dict[str, int], today: str) -> None:
    """Into a database with no children yet: every one-list child of the staged rows."""
    tx.execute("INSERT INTO temp.import_children " + _project("temp.import_rows", tiers), {"today": today})


def stage_changed_children(tx: Tx, tiers: dict[str, int], sources: Sequence[str], today: str,
                           *, index: bool) -> None:
    """The one-list children that differ from the stored ones: from their staged row, or
    (unchanged) their stored present row of ``sources`` (the tiers, the directory and
    the date may have changed since). ``index``: index the staged rows first (worth it
    when there are any)."""
    if index:
        tx.execute("CREATE INDEX temp.import_rows_key ON import_rows (child_id, source)")
    tx.execute("INSERT INTO temp.import_children " + _changed_only(_project("temp.import_rows", tiers)),
               {"today": today})
    named = {f"s{i}": s for i, s in enumerate(sources)}
    tx.execute(
        "INSERT INTO temp.import_children " + _changed_only(
            _project("child_sources", tiers)
            + f" AND n.source IN ({', '.join(':' + k for k in named)}) AND n.present = 1"
            " AND NOT EXISTS (SELECT 1 FROM temp.import_rows r WHERE r.child_id = n.child_id"
            " AND r.source = n.source)"
            " AND NOT EXISTS (SELECT 1 FROM temp.import_skip k WHERE k.child_id = n.child_id"
            " AND k.source = n.source)"),
        {"today": today, **named})


def complex_held(r: Reader) -> tuple[list[str], list[tuple], list[tuple]]:
    """For the children built in Python: their ids, their stored source rows
    (SOURCE_COLUMNS) and their stored children rows (CHILD_COLUMNS)."""
    ids = [cid for (cid,) in r.rows("SELECT child_id FROM temp.import_complex")]
    sources = r.rows(f"SELECT {', '.join('s.' + c for c in SOURCE_COLUMNS)}"
                     " FROM temp.import_complex x JOIN child_sources s ON s.child_id = x.child_id")
    children = r.rows(f"SELECT {', '.join('c.' + c for c in CHILD_COLUMNS)}"
                      " FROM temp.import_complex x JOIN children c ON c.child_id = x.child_id")
    return ids, sources, children


def stage_children(tx: Tx, children: Iterable[tuple]) -> None:
    """Children built in Python (CHILD_COLUMNS)."""
    tx.executemany(f"INSERT INTO temp.import_children VALUES ({_CHILD_MARKS})", children)


def staged_child_ids(r: Reader) -> list[str]:
    return [cid for (cid,) in r.rows("SELECT child_id FROM temp.import_children ORDER BY child_id")]


def staged_changes(r: Reader) -> list[tuple[str, int, int | None, int]]:
    """(child_id, added, was open, is open) of each staged child that differs from the stored one."""
    return r.rows(
        "SELECT n.child_id, c.child_id IS NULL, c.is_open, n.is_open"
        " FROM temp.import_children n LEFT JOIN children c ON c.child_id = n.child_id"
        f" WHERE c.child_id IS NULL OR NOT {_same('c', 'n', CHILD_FIELDS)} ORDER BY n.child_id")


def updated_fields(tx: Tx, child_ids: Iterable[str]) -> list[tuple]:
    """For the children ``child_ids`` (updated, not added): (child_id, *stored
    CHILD_FIELDS, *staged CHILD_FIELDS)."""
    tx.executemany("INSERT INTO temp.import_updated VALUES (?)", ((c,) for c in child_ids))
    return tx.rows(f"SELECT c.child_id, {', '.join('c.' + f for f in CHILD_FIELDS)},"
                   f" {', '.join('n.' + f for f in CHILD_FIELDS)} FROM temp.import_updated u"
                   " JOIN children c ON c.child_id = u.child_id"
                   " JOIN temp.import_children n ON n.child_id = u.child_id")


def write_caseload(tx: Tx, dropped: Sequence[tuple[str, str]], *, bulk: bool) -> None:
    """Write what is staged: the teams named, the children that differ from the stored
    ones, the source rows new or changed, and ``dropped`` ((child_id, source) gone from
    the extract) no longer present. ``bulk``: the children's secondary indexes are
    dropped first and built after (one sort instead of a B-tree insert per row)."""
    at = tx.at
    tx.execute("INSERT OR IGNORE INTO teams (name) SELECT DISTINCT team FROM temp.import_rows"
               " WHERE team IS NOT NULL ORDER BY team")
    cols = (*CHILD_COLUMNS, "updated_at")
    with indexes_rebuilt(tx, "children", bulk=bulk):
        tx.execute(
            f"INSERT INTO children ({', '.join(cols)}) SELECT n.*, ? FROM temp.import_children n"
            " LEFT JOIN children c ON c.child_id = n.child_id"
            f" WHERE c.child_id IS NULL OR NOT {_same('c', 'n', CHILD_FIELDS)}"
            " ON CONFLICT(child_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in cols[1:]),
            [at],
        )
    scols = (*SOURCE_COLUMNS, "row_hash", "updated_at")
    tx.execute(
        f"INSERT INTO child_sources ({', '.join(scols)}) SELECT n.*, ? FROM temp.import_rows n"
        " LEFT JOIN child_sources s ON s.child_id = n.child_id AND s.source = n.source"
        f" WHERE s.child_id IS NULL OR NOT {_same('s', 'n', (*SOURCE_FIELDS, 'row_hash'))}"
        " ON CONFLICT(child_id, source) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in scols[2:]),
        [at],
    )
    tx.executemany(
        "UPDATE child_sources SET present = 0, updated_at = ? WHERE child_id = ? AND source = ?",
        [(at, child_id, source) for child_id, source in dropped],
    )


def write_first(tx: Tx, rows: Sequence[tuple], children: Sequence[tuple], teams: Sequence[str],
                tiers: dict[str, int], sources: Sequence[str], today: str, *, bulk: bool) -> None:
    """Into a database with no children yet: the source ``rows`` (with their hash), the
    ``teams`` they name, and their children: the one-list ones projected in SQL from the
    rows just written (``import_workers`` staged, ``import_complex`` the others), the
    others given (``children``, CHILD_COLUMNS). The rows go in before their children, so
    the foreign key from child_sources is checked at the commit (``defer_foreign_keys``,
    which the commit resets). ``bulk``: as ``write_caseload``."""
    at = tx.at
    tx.execute("PRAGMA defer_foreign_keys = ON")
    tx.executemany("INSERT OR IGNORE INTO teams (name) VALUES (?)", ((t,) for t in teams))
    _insert_first_sources(tx, rows, sources)
    named = {f"s{i}": s for i, s in enumerate(sources)}
    cols = (*CHILD_COLUMNS, "updated_at")
    with indexes_rebuilt(tx, "children", bulk=bulk):
        tx.execute(f"INSERT INTO children ({', '.join(cols)}) SELECT p.*, :at FROM ("
                   + _project("child_sources", tiers, stored=False, complex_=bool(children))
                   + f" AND n.source IN ({', '.join(':' + k for k in named)})) p",
                   {"today": today, "at": at, **named})
        tx.executemany(f"INSERT INTO children ({', '.join(cols)}) VALUES ({_marks(cols)})",
                       map(tuple.__add__, children, repeat((at,))))


def _literal(value: str | int) -> str:
    """``value`` as an SQL literal (text quoted, its quotes doubled)."""
    return str(value) if value.__class__ is int else "'" + value.replace("'", "''") + "'"


def _insert_first_sources(tx: Tx, rows: Sequence[tuple], sources: Sequence[str]) -> None:
    """The source ``rows`` of a first import (SOURCE_COLUMNS and row_hash, every one present),
    with this transaction's ``updated_at``. What is the same on every row (the time, present,
    the list when there is one) is written into the statement rather than bound per row: a
    bound text is copied once per row (100,000 rows, three values each, a tenth of what
    binding the rows costs)."""
    fixed: dict[str, str | int] = {"present": 1, "updated_at": tx.at}
    if len(sources) == 1:
        fixed["source"] = sources[0]
    cols = (*SOURCE_COLUMNS, "row_hash", "updated_at")
    bound = [i for i, c in enumerate(cols[:-1]) if c not in fixed]
    values = ", ".join(_literal(fixed[c]) if c in fixed else "?" for c in cols)
    tx.executemany(f"INSERT INTO child_sources ({', '.join(cols)}) VALUES ({values})", map(itemgetter(*bound), rows))


@contextmanager
def indexes_rebuilt(tx: Tx, table: str, *, bulk: bool) -> Iterator[None]:
    """Around a bulk write into ``table``: its secondary indexes dropped, then recreated
    from their own stored definitions (all inside the one transaction)."""
    if not bulk:
        yield
        return
    indexes = tx.rows("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
                      " AND sql IS NOT NULL ORDER BY name", [table])
    for name, _ in indexes:
        tx.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        tx.execute(sql)
