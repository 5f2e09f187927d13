"""Import a caseload: Ofsted Annex A Lists 6-9 (CSV or one .xlsx workbook) or the canonical CSV.

The rules (design.md "Input files", field notes "Ofsted Annex A"):

- Each list a child appears in is a *source* (``child_sources``); the child is ONE
  row in ``children`` with the highest-risk cohort among its open sources
  (unborn, cp, care_leaver, cla, cin), and the worker and team of that source.
- Unborn: a blank Date of Birth (with no age), a Date of Birth after the import
  date (it is the expected date), an expected date of birth, or age -1.
- A source whose episode ended (CIN closure, CP plan end, ceased to be looked
  after, ``closed_on``) on or before the import date is not open. A child is open
  while any present source is open.
- An import is a snapshot of the sources it contains: a child missing from a
  newer extract of a list is no longer present in it; a child with no open source
  left is closed (never deleted, history kept).
- Same file twice changes nothing: unchanged rows are recognised by their hash.
- One transaction, one ``imports`` row and one event per import; no per-row events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from ..clock import today as london_today
from ..context import Context
from ..errors import Fault, InputError
from ..people import require_role
from .annexa import ANNEX_A, CANONICAL, COHORT_ORDER, Layout, cohort_of, recognise
from .common import (
    Faults,
    ImportResult,
    Progress,
    Table,
    cell,
    code,
    match_columns,
    parse_int,
    parse_iso,
    read_source,
    report_progress,
    row_hash,
    settle_faults,
    text,
)
from .matching import Workers

RANK = {c: i for i, c in enumerate(COHORT_ORDER)}
CHILD_FIELDS = (
    "name", "date_of_birth", "expected_date_of_birth", "cohort", "tier", "worker",
    "worker_login", "team", "family_id", "is_open", "closed_on", "key_dates",
)
SOURCE_FIELDS = (
    "cohort", "name", "date_of_birth", "expected_date_of_birth", "worker", "team",
    "family_id", "ended_on", "present", "key_dates", "row_hash",
)


# Positions in a stored child_sources tuple (child_id, source, *SOURCE_FIELDS).
_PRESENT = 2 + SOURCE_FIELDS.index("present")
_HASH = 2 + SOURCE_FIELDS.index("row_hash")


@dataclass(slots=True)
class SourceRow:
    """A child as one source (list) has them."""

    child_id: str
    source: str
    cohort: str
    name: str | None
    date_of_birth: str | None
    expected_date_of_birth: str | None
    worker: str | None
    team: str | None
    family_id: str | None
    ended_on: str | None
    present: int
    key_dates: str  # JSON, keys sorted
    row_hash: str

    def is_open(self, today: str) -> bool:
        return bool(self.present) and (self.ended_on is None or self.ended_on > today)


@dataclass
class _Plan:
    """Everything an import would write, worked out before writing any of it."""

    sources: list[str]
    children: list[tuple]  # CHILD_FIELDS rows (with child_id first) to upsert
    source_rows: list[SourceRow]  # to upsert
    dropped: list[tuple[str, str]]  # (child_id, source) no longer in the extract
    teams: set[str]
    closed: list[str]
    result: ImportResult


def import_caseload(
    ctx: Context,
    path: str | Path,
    *,
    list_number: int | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects_path: str | Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a caseload snapshot. Admins only, once a people directory exists.

    All-or-nothing unless ``skip_invalid`` (then rejected rows go to a rejects CSV
    and are never treated as missing from the snapshot). ``dry_run`` writes nothing.
    """
    require_role(ctx, "admin", doing="import a caseload", bootstrap=True)
    name = str(path)
    if list_number is not None and list_number not in ANNEX_A:
        raise InputError(name, f"there is no Annex A list {list_number} here: lists 6, 7, 8 and 9 are caseloads")
    src = read_source(path)
    today = london_today(ctx.clock)
    tables = _layouts(src.name, src.tables, list_number)
    faults = Faults(src.name)
    rows, rejected_ids = _read_rows(tables, today, faults, progress)
    if not rows:  # every row rejected: never a snapshot with nobody in it
        raise faults.error()
    rejected, rejects_file = settle_faults(
        src, faults, skip_invalid=skip_invalid, dry_run=dry_run, rejects_path=rejects_path
    )
    sources = sorted({layout.source for _, layout, _ in tables})

    def plan() -> _Plan:
        p = _plan(ctx, rows, sources, rejected_ids, today.isoformat())
        p.result.rejected, p.result.rejects_file = rejected, rejects_file
        return p

    if dry_run:
        with ctx.store.lock:
            return plan().result
    with ctx.tx() as tx:
        p = plan()
        _write(tx, p)
        counts = p.result.model_dump(exclude={"rejects_file"})
        cur = tx.execute(
            "INSERT INTO imports (kind, file, sha256, at, by, counts) VALUES ('caseload', ?, ?, ?, ?, ?)",
            [src.name, src.sha256, tx.at, ctx.user, json.dumps(counts)],
        )
        tx.event(
            "import", cur.lastrowid, "caseload",
            after={"file": src.name, "sha256": src.sha256, "sources": sources, "rows": len(rows),
                   "counts": counts, "closed": p.closed, "rejects_file": rejects_file},
        )
    return p.result


# -- reading -------------------------------------------------------------------
def _layouts(name: str, tables: list[Table], list_number: int | None) -> list[tuple[Table, Layout, dict]]:
    """Each table with its layout and column positions; unreadable layouts fail the whole file."""
    plans, faults, recognised = [], [], 0
    workbook = any(t.sheet is not None for t in tables)
    for table in tables:
        if workbook and list_number is not None and len(tables) > 1:
            layout = recognise(table, None)
            if layout is not ANNEX_A[list_number]:
                continue  # --list N picks that list's sheet from a workbook
        else:
            layout = recognise(table, list_number)
        if layout is None:
            if not workbook:
                shown = ", ".join(h for h in table.headings if h)[:200]
                raise InputError(
                    name,
                    Fault(1, None, "unrecognised caseload: no Annex A List 6-9 or canonical headings "
                          f"(found: {shown}); a canonical caseload has child_id and cohort columns; "
                          "name an Annex A list with --list N"),
                )
            continue  # a workbook may hold other sheets (notes, pivots)
        recognised += 1
        at = match_columns(table.headings, layout.columns)
        for group in layout.required:
            if not any(k in at for k in group):
                wanted = " or ".join(f"'{layout.column(k).heading}'" for k in group)
                faults.append(Fault(1, None, table.where(f"missing column {wanted} ({layout.title})")))
        if table.rows:
            plans.append((table, layout, at))
    if faults:
        raise InputError(name, faults)
    if not plans:
        if recognised:
            raise InputError(name, "no data rows: an empty caseload is refused")
        sheets = ", ".join(f"'{t.sheet}'" for t in tables)
        wanted = f"Annex A List {list_number}" if list_number else "Annex A List 6-9 or canonical"
        raise InputError(name, f"no sheet with {wanted} headings (sheets: {sheets})")
    return plans


def _read_rows(
    tables: list[tuple[Table, Layout, dict]], today: date, faults: Faults, progress: Progress | None
) -> tuple[dict[tuple[str, str], SourceRow], set[str]]:
    """Valid rows keyed by (source, child id), and the ids of rejected rows."""
    total = sum(len(t.rows) for t, _, _ in tables)
    done = 0
    rows: dict[tuple[str, str], SourceRow] = {}
    first_row: dict[tuple[str, str], int] = {}
    rejected_ids: set[str] = set()
    for table, layout, at in tables:
        reader = _RowReader(table, layout, at, today, faults)
        id_at = at.get("child_id")
        for number, cells in table.rows:
            row = reader.read(number, cells)
            done += 1
            report_progress(progress, done, total)
            if row is None:
                if cid := text(cell(cells, id_at)):
                    rejected_ids.add(cid)
                continue
            key = (row.source, row.child_id)
            kept = rows.get(key)
            if kept is None:
                rows[key] = row
                first_row[key] = number
            elif layout is CANONICAL:
                faults.add(table, number, table.headings[id_at],
                           f"child id '{row.child_id}' is already on row {first_row[key]}")
                rejected_ids.add(row.child_id)
            else:
                # Annex A repeats a child with several episodes: keep the open or latest one.
                rows[key] = _later_episode(kept, row, today.isoformat())
    return rows, rejected_ids


def _later_episode(a: SourceRow, b: SourceRow, today: str) -> SourceRow:
    if a.is_open(today) != b.is_open(today):
        return a if a.is_open(today) else b
    return a if (a.ended_on or "9999") > (b.ended_on or "9999") else b


class _RowReader:
    """Turns one row of a table into a SourceRow, or faults naming row and column."""

    def __init__(self, table: Table, layout: Layout, at: dict[str, int], today: date, faults: Faults):
        self.table, self.layout, self.at, self.faults = table, layout, at, faults
        self.today = today.isoformat()
        self.width = len(table.headings)
        keys = ("date_of_birth", "expected_date_of_birth", *layout.dates, layout.end)
        self.date_at = [(k, at[k]) for k in dict.fromkeys(keys) if k and k in at]
        self.key_dates = set(layout.dates)
        # Column positions, None when the file has no such column.
        self.i = {c.key: at.get(c.key) for c in layout.columns}
        self.i.setdefault("personal_advisor", None)
        self.i.setdefault("case_status", None)

    def heading(self, key: str) -> str:
        return self.table.headings[self.at[key]]

    def read(self, number: int, cells: list) -> SourceRow | None:
        table, layout, faults, i = self.table, self.layout, self.faults, self.i
        if len(cells) < self.width:
            cells = [*cells, *[None] * (self.width - len(cells))]

        def get(key: str):
            return None if i[key] is None else cells[i[key]]

        ok = True
        child_id = text(cells[i["child_id"]])
        if not child_id:
            faults.add(table, number, self.heading("child_id"), "child id is blank")
            ok = False
        dates: dict[str, str | None] = {}
        for key, at in self.date_at:
            try:
                dates[key] = parse_iso(cells[at])
            except ValueError as exc:
                faults.add(table, number, self.table.headings[at], str(exc))
                ok = False
        age = None
        if i.get("age") is not None:
            try:
                age = parse_int(cells[i["age"]])
            except ValueError as exc:
                faults.add(table, number, self.heading("age"), str(exc))
                ok = False
        dob, edob = dates.get("date_of_birth"), dates.get("expected_date_of_birth")
        if dob and dob > self.today:  # a future date of birth is the expected one
            dob, edob = None, edob or dob
        unborn = edob is not None or age == -1 or (dob is None and age is None)
        cohort = self._cohort(get, number, unborn, dates)
        if cohort is None or not ok:
            return None
        key_dates = {k: v for k, v in dates.items() if v and k in self.key_dates}
        values = (
            cohort,
            text(get("name")),
            dob,
            edob,
            text(get("worker")) or text(get("personal_advisor")),
            text(get("team")),
            text(get("family_id")),
            dates.get(layout.end) if layout.end else None,
        )
        kd = json.dumps(key_dates, sort_keys=True) if key_dates else "{}"
        return SourceRow(child_id, layout.source, *values, 1, kd, row_hash(*values, kd))

    def _cohort(self, get, number: int, unborn: bool, dates: dict) -> str | None:
        layout = self.layout
        if layout.cohort is not None:
            if unborn:
                return "unborn"
            if layout is ANNEX_A[6]:
                # List 6 "Case Status" may say the plan the child is on ("b) Child Protection plan").
                return cohort_of(code(get("case_status"))) or "cin"
            return layout.cohort
        raw = code(get("cohort"))
        if raw:
            found = cohort_of(raw)
            if found is None:
                self.faults.add(self.table, number, self.heading("cohort"),
                                f"'{raw}' is not a cohort (expected one of {', '.join(COHORT_ORDER)})")
            return found
        derived = _derive_cohort(unborn, dates)
        if derived is None:
            column = self.heading("cohort") if "cohort" in self.at else "cohort"
            self.faults.add(self.table, number, column,
                            "cohort is blank and cannot be derived from the dates given")
        return derived


def _derive_cohort(unborn: bool, dates: dict) -> str | None:
    """A canonical row without a cohort: derived from the dates it carries."""
    if unborn:
        return "unborn"
    for key, cohort in (("cp_plan_start", "cp"), ("latest_pathway_plan_review", "care_leaver"),
                        ("latest_contact", "care_leaver"), ("date_looked_after", "cla"), ("cin_start", "cin")):
        if dates.get(key):
            return cohort
    return None


# -- working out the changes -----------------------------------------------------
def _plan(ctx: Context, rows: dict[tuple[str, str], SourceRow], sources: list[str],
          rejected_ids: set[str], today: str) -> _Plan:
    conn = ctx.store.db.conn
    # Stored sources as plain tuples; a SourceRow is built only where a child needs merging.
    stored: dict[str, dict[str, tuple]] = {}
    for r in conn.execute(
        "SELECT child_id, source, " + ", ".join(SOURCE_FIELDS) + " FROM child_sources"
    ):
        stored.setdefault(r[0], {})[r[1]] = r
    existing = {r[0]: r[1:] for r in conn.execute(
        "SELECT child_id, " + ", ".join(CHILD_FIELDS) + " FROM children")}
    workers = Workers.load(conn)

    def held(child_id: str, but: str | None = None) -> dict[str, SourceRow]:
        return {s: SourceRow(*t) for s, t in stored.get(child_id, {}).items() if s != but}

    touched: dict[str, dict[str, SourceRow]] = {}
    writes: list[SourceRow] = []
    for (source, child_id), row in rows.items():
        old = stored.get(child_id, {}).get(source)
        if old is None or old[_HASH] != row.row_hash or not old[_PRESENT]:
            writes.append(row)
        merged = touched.get(child_id)
        if merged is None:
            merged = touched[child_id] = held(child_id, but=source)
        merged[source] = row
    dropped: list[tuple[str, str]] = []
    in_import = set(sources)
    for child_id, by_source in stored.items():
        if child_id in rejected_ids:
            continue  # a rejected row is not evidence the child left the list
        for source, old in by_source.items():
            if source in in_import and old[_PRESENT] and (source, child_id) not in rows:
                dropped.append((child_id, source))
                merged = touched.get(child_id)
                if merged is None:
                    merged = touched[child_id] = held(child_id)
                merged[source] = replace(merged[source], present=0)

    added = updated = unchanged = 0
    changed: list[tuple] = []
    closed: list[str] = []
    tier_of = ctx.settings.tier_of
    is_open = CHILD_FIELDS.index("is_open")
    for child_id, by_source in touched.items():
        before = existing.get(child_id)
        after = _child(by_source.values(), before, today, tier_of, workers)
        if before is None:
            added += 1
        elif before == after:
            unchanged += 1
            continue
        elif before[is_open] and not after[is_open]:
            closed.append(child_id)
        else:
            updated += 1
        changed.append((child_id, *after))
    teams = {r.team for r in rows.values() if r.team}
    result = ImportResult(added=added, updated=updated, unchanged=unchanged, closed=len(closed))
    return _Plan(sources, changed, writes, dropped, teams, sorted(closed), result)


def _child(sources, before: tuple | None, today: str, tier_of, workers: Workers) -> tuple:
    """The child as its sources make them (CHILD_FIELDS order)."""
    if len(sources) == 1:  # most children are in one list
        (s,) = sources
        if s.is_open(today):
            edob = None if s.date_of_birth and s.cohort != "unborn" else s.expected_date_of_birth
            return (s.name, s.date_of_birth, edob, s.cohort, tier_of(s.cohort), s.worker,
                    workers.match(s.worker), s.team, s.family_id, 1, None, s.key_dates)
    present = sorted((s for s in sources if s.present), key=lambda s: RANK[s.cohort])
    open_ = [s for s in present if s.is_open(today)]
    pool = open_ or present or sorted(sources, key=lambda s: RANK[s.cohort])
    rest = [s for s in present if s not in pool]
    order = pool + rest

    def first(attr: str):
        return next((v for s in order if (v := getattr(s, attr))), None)

    cohort = pool[0].cohort
    worker = next((s.worker for s in pool if s.worker), None)
    team = next((s.team for s in pool if s.worker == worker and s.team), None) or first("team")
    # Key dates of the lists the child is in; of every list they were in once they have left all.
    dated = present or sorted(sources, key=lambda s: RANK[s.cohort])
    if len(dated) == 1:
        key_dates = dated[0].key_dates
    else:
        merged: dict = {}
        for s in reversed(dated):  # higher risk sources win a shared key (e.g. last seen)
            merged.update(json.loads(s.key_dates))
        key_dates = json.dumps(merged, sort_keys=True)
    is_open = 1 if open_ else 0
    if is_open:
        closed_on = None
    elif before is not None and not before[CHILD_FIELDS.index("is_open")]:
        closed_on = before[CHILD_FIELDS.index("closed_on")]  # closed already: keep when
    else:
        ends = [s.ended_on for s in present if s.ended_on]
        # Closed by its episodes' end dates, or (missing from the extract) on the import date.
        closed_on = max(ends) if present and len(ends) == len(present) else today
    dob = first("date_of_birth")
    edob = None if dob and cohort != "unborn" else first("expected_date_of_birth")
    return (
        first("name"), dob, edob, cohort, tier_of(cohort), worker, workers.match(worker), team,
        first("family_id"), is_open, closed_on, key_dates,
    )


# -- writing -------------------------------------------------------------------
def _write(tx, p: _Plan) -> None:
    conn = tx.db.conn
    at = tx.at
    conn.executemany("INSERT OR IGNORE INTO teams (name) VALUES (?)", [(t,) for t in sorted(p.teams)])
    cols = ("child_id", *CHILD_FIELDS, "updated_at")
    conn.executemany(
        f"INSERT INTO children ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        f" ON CONFLICT(child_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in cols[1:]),
        [(*row, at) for row in p.children],
    )
    scols = ("child_id", "source", *SOURCE_FIELDS, "updated_at")
    conn.executemany(
        f"INSERT INTO child_sources ({', '.join(scols)}) VALUES ({', '.join('?' * len(scols))})"
        f" ON CONFLICT(child_id, source) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in scols[2:]),
        [(r.child_id, r.source, r.cohort, r.name, r.date_of_birth, r.expected_date_of_birth, r.worker,
          r.team, r.family_id, r.ended_on, 1, r.key_dates, r.row_hash, at) for r in p.source_rows],
    )
    conn.executemany(
        "UPDATE child_sources SET present = 0, updated_at = ? WHERE child_id = ? AND source = ?",
        [(at, child_id, source) for child_id, source in p.dropped],
    )
