"""Children (the caseload), where each came from, and their case notes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date

from .database import Reader, Tx


def get(r: Reader, child_id: str) -> dict | None:
    """A child's row, ``key_dates`` as a dict and ``is_open`` as a bool."""
    row = r.one("SELECT * FROM children WHERE child_id = ?", [child_id])
    if row is not None:
        row["key_dates"] = json.loads(row["key_dates"] or "{}")
        row["is_open"] = bool(row["is_open"])
    return row


def exists(r: Reader, child_id: str) -> bool:
    return bool(r.scalar("SELECT 1 FROM children WHERE child_id = ?", [child_id]))


def facts(r: Reader, child_id: str) -> dict | None:
    """What a message may say about a child: id and name."""
    return r.one("SELECT child_id, name FROM children WHERE child_id = ?", [child_id])


def sources(r: Reader, child_id: str) -> list[dict]:
    """The lists a child came from, by source, ``key_dates`` decoded."""
    rows = r.query(
        "SELECT source, cohort, worker, team, family_id, ended_on, present, key_dates, updated_at"
        " FROM child_sources WHERE child_id = ? ORDER BY source", [child_id])
    for s in rows:
        s["key_dates"] = json.loads(s["key_dates"] or "{}")
        s["present"] = bool(s["present"])
    return rows


def siblings(r: Reader, family_id: str, child_id: str) -> list[str]:
    """The other children of a family group."""
    return [row[0] for row in r.rows(
        "SELECT child_id FROM children WHERE family_id = ? AND child_id != ? ORDER BY child_id",
        [family_id, child_id])]


def counts(r: Reader) -> dict:
    """children, open_cases, unallocated (open with no worker), sibling_groups, teams."""
    row = r.one(
        "SELECT count(*) AS children, coalesce(sum(is_open), 0) AS open_cases,"
        " sum(CASE WHEN is_open = 1 AND worker IS NULL THEN 1 ELSE 0 END) AS unallocated,"
        " count(DISTINCT family_id) AS sibling_groups,"
        " count(DISTINCT team) AS teams FROM children")
    row["unallocated"] = row["unallocated"] or 0
    return row


# --- case notes -----------------------------------------------------------------------
def case_notes(r: Reader, child_id: str, *, kind: str | None = None,
               limit: int | None = None) -> list[dict]:
    """A child's case notes, newest first; ``kind`` limits them to one canonical kind."""
    sql = "SELECT note_id, date, kind, type, author, summary FROM case_notes WHERE child_id = ?"
    params: list = [child_id]
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    sql += " ORDER BY date DESC, note_id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return r.query(sql, params)


def note_kinds(r: Reader, child_id: str) -> set[str]:
    """The canonical kinds a child's notes include."""
    return {row[0] for row in r.rows("SELECT DISTINCT kind FROM case_notes WHERE child_id = ?",
                                     [child_id])}


def notes_until(r: Reader, child_id: str, day: date) -> list[dict]:
    """``kind`` and ``date`` of a child's notes dated on or before ``day``, oldest first."""
    return r.query("SELECT kind, date FROM case_notes WHERE child_id = ? AND date <= ? ORDER BY date",
                   [child_id, day.isoformat()])


def count_notes(r: Reader) -> int:
    return r.scalar("SELECT count(*) FROM case_notes")


# --- the draw's population ------------------------------------------------------------
# The worker a child is allocated to: the matched person's login when the directory knows
# them, else the name as the extract spells it ("Walt Two" in List 7 and w.two in the
# canonical file are one worker, drawn from once).
WORKER_KEY = "COALESCE(NULLIF(TRIM(worker_login), ''), TRIM(COALESCE(worker, '')))"


def _draw_scope(day: date, tiers: dict[str, int], teams: list[str]) -> tuple[str, str, str, dict]:
    """The draw's SQL pieces: an open, allocated case; the tier from the cohort -> tier map
    (a cohort missing from it is tier 3, as ``Settings.tier_of``); the teams filter; their
    parameters."""
    # "+is_open" keeps SQLite off the (is_open, worker) index: most children are open, and
    # a scan of the table is ~1.5x faster than an index walk with a lookup per row.
    open_case = ("+is_open = 1 AND (closed_on IS NULL OR closed_on = '' OR substr(closed_on, 1, 10) > :today)"
                 " AND TRIM(COALESCE(worker, '')) != ''")
    tier_sql = "CASE cohort " + " ".join(
        f"WHEN :c{i} THEN :t{i}" for i in range(len(tiers))) + " ELSE 3 END"
    params: dict = {"today": day.isoformat()}
    for i, (cohort, tier) in enumerate(sorted(tiers.items())):
        params[f"c{i}"], params[f"t{i}"] = cohort, tier
    in_team = ""
    if teams:
        in_team = " AND TRIM(team) COLLATE NOCASE IN (" + ", ".join(f":team{i}" for i in range(len(teams))) + ")"
        params |= {f"team{i}": t for i, t in enumerate(teams)}
    return open_case, tier_sql, in_team, params


def draw_population(r: Reader, *, day: date, tiers: dict[str, int],
                    teams: list[str]) -> tuple[list[tuple], list[tuple]]:
    """Every child a draw considers, in two parts:

    - open and allocated, per worker and tier, in order of the worker, then the tier:
      (worker, tier, child ids sorted, family ids). The ids come as one JSON array per
      pool, so no child is a row of its own (at 100,000 children a row each costs more
      than the draw's own work); family ids are a JSON object, child id -> family id, of
      the pool's children in a family group, decoded only for a pool the draw walks
      (``json.loads``). What the draw says of the few children it picks or leaves out it
      reads with ``draw_details``;
    - the rest (closed on or before ``day``, or no allocated worker): (child_id, tier,
      cohort, worker or None, team, is_open, closed_on, worker as spelt).

    The worker is ``WORKER_KEY``. The tier is computed in SQL from the cohort -> tier map
    (a cohort missing from it is tier 3, as ``Settings.tier_of``). ``teams`` limits both
    to those teams. SQLite's text order (bytes of UTF-8) is Python's (code points).
    Read both (and ``draw_details``, ``draw_teams``) in one transaction: one snapshot.
    """
    open_case, tier_sql, in_team, params = _draw_scope(day, tiers, teams)
    # The order of a JSON array's elements is SQLite's to choose: sorted here.
    eligible = [(worker, tier, sorted(json.loads(ids)), families) for worker, tier, ids, families in r.rows(
        f"SELECT {WORKER_KEY} AS k, {tier_sql} AS t, json_group_array(child_id),"
        " json_group_object(child_id, family_id) FILTER (WHERE family_id IS NOT NULL)"
        f" FROM children WHERE {open_case}{in_team} GROUP BY k, t ORDER BY k, t", params)]
    shut = r.rows(
        f"SELECT child_id, {tier_sql}, cohort, NULLIF({WORKER_KEY}, ''), team,"
        f" is_open, closed_on, TRIM(worker) FROM children WHERE NOT ({open_case}){in_team}", params)
    return eligible, shut


def draw_details(r: Reader, child_ids: Iterable[str]) -> dict[str, tuple[str, str | None, str]]:
    """(cohort, team, worker as spelt) of each of ``child_ids`` (the children a draw picks,
    leaves out or names a worker by), by primary key."""
    ids = sorted(set(child_ids))
    if not ids:
        return {}
    return {row[0]: row[1:] for row in r.rows(
        "SELECT child_id, cohort, team, TRIM(worker) FROM children"
        " WHERE child_id IN (SELECT value FROM json_each(?))", [json.dumps(ids)])}


def draw_teams(r: Reader, *, day: date, teams: list[str]) -> list[str | None]:
    """The teams of the open, allocated children ``draw_population`` gives (each once)."""
    open_case, _tier_sql, in_team, params = _draw_scope(day, {}, teams)
    return [row[0] for row in r.rows(f"SELECT DISTINCT team FROM children WHERE {open_case}{in_team}", params)]


def ids(r: Reader) -> set[str]:
    """Every child id held."""
    return {row[0] for row in r.rows("SELECT child_id FROM children")}


# The rule of ``core.importers.matching.Workers`` in SQL: login first, else the first
# login (alphabetically) with that name.
_REMATCH = """
UPDATE children SET worker_login = m.login
FROM (
    SELECT c.child_id,
           COALESCE(
               (SELECT p.login FROM people p WHERE p.login = c.worker),
               (SELECT p.login FROM people p WHERE p.name = TRIM(c.worker) COLLATE NOCASE
                ORDER BY p.login LIMIT 1)
           ) AS login
    FROM children c
) AS m
WHERE children.child_id = m.child_id AND children.worker_login IS NOT m.login
"""


def rematch_workers(tx: Tx) -> int:
    """Match every child's allocated worker to the people directory again; children changed."""
    return tx.execute(_REMATCH).rowcount


def held_note_keys(r: Reader, keys: Sequence[str]) -> dict[str, str]:
    """The keys among ``keys`` already in case_notes, each with its stored kind (chunked:
    SQLite caps bound parameters)."""
    held: dict[str, str] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        held.update(r.rows(
            f"SELECT note_key, kind FROM case_notes WHERE note_key IN ({', '.join('?' * len(chunk))})", chunk))
    return held


def retype_notes(tx: Tx, kinds: Iterable[tuple[str, str]]) -> None:
    """Held notes given the kind the note types now map their type to: (kind, note_key)."""
    tx.executemany("UPDATE case_notes SET kind = ? WHERE note_key = ?", kinds)


def add_notes(tx: Tx, notes: Iterable[tuple]) -> None:
    """Case notes (child_id, date, kind, type, author, summary, note_key), imported now;
    a note already held (by key) is left as it is."""
    tx.executemany(
        "INSERT OR IGNORE INTO case_notes (child_id, date, kind, type, author, summary, note_key,"
        " imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*n, tx.at) for n in notes],
    )


def any_child(r: Reader) -> bool:
    return bool(r.scalar("SELECT EXISTS (SELECT 1 FROM children)"))
