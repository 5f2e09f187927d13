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
- Same file twice changes nothing: an unchanged row is recognised by comparing it
  with the stored one, column by column.
- One transaction, one ``imports`` row and one event per import. The event names
  every child that changed: ``added`` (ids), ``updated`` (id -> the fields that
  changed), ``closed`` (ids). One event, not one per child: a nightly import of a
  county touches 100,000 children, and 100,000 events would double its cost and the
  trail's size while telling no more than the lists do.

How it is fast (issue 10: within 3x of parsing the file and inserting its rows):
rows are read in chunks and converted a column at a time, each distinct value of a
column (a date, a worker, a code) once; a source row is a plain tuple in the
stored column order, so "unchanged" is one tuple comparison; a child in one list
(most of them) is built straight from its row; only changed rows are written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from hashlib import blake2b
from itertools import compress, repeat
from operator import eq, is_not, itemgetter, not_
from pathlib import Path
from typing import Any

from ..clock import from_iso, local
from ..clock import today as london_today
from ..collector import collector_paused
from ..context import Context
from ..errors import Fault, InputError
from ..people import require_role
from ..store import children as children_store
from ..store import imports
from ..store.imports import CHILD_FIELDS
from .annexa import ANNEX_A, CANONICAL, COHORT_ORDER, LIST6, Layout, cohort_of, recognise
from .common import (
    Faults,
    ImportResult,
    Memo,
    Progress,
    Table,
    cell,
    code,
    convert,
    database_files,
    match_columns,
    parse_int,
    parse_iso,
    read_source,
    settle_faults,
    shown,
    text,
    text_column,
)
from .matching import Workers

RANK = {c: i for i, c in enumerate(COHORT_ORDER)}
# A source row: (child_id, source, *SOURCE_FIELDS) (``core.store.imports``), the order it is selected in; as read
# from a file it carries its content hash too (HASH, ``child_sources.row_hash``).
CID, SRC, COHORT, NAME, DOB, EDOB, WORKER, TEAM, FAMILY, ENDED, PRESENT, KEY_DATES, HASH = range(13)
_NUL, _SEP = "\x00", "\x1f"
_IS_OPEN = CHILD_FIELDS.index("is_open")
_CLOSED_ON = CHILD_FIELDS.index("closed_on")


def _open(r: tuple, today: str) -> bool:
    return bool(r[PRESENT]) and (r[ENDED] is None or r[ENDED] > today)


@dataclass
class _Plan:
    """Everything an import would write, worked out before writing any of it."""

    sources: list[str]
    children: list[tuple]  # (child_id, *CHILD_FIELDS) to upsert
    source_rows: list[tuple]  # source rows to upsert
    dropped: list[tuple[str, str]]  # (child_id, source) no longer in the extract
    teams: set[str]
    added: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)
    result: ImportResult = field(default_factory=ImportResult)
    staged: int = 0  # source rows new or changed


@collector_paused()
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
    today = london_today(ctx.clock)
    with read_source(path) as src:
        tables = _layouts(src.name, src.tables, list_number)
        faults = Faults(src.name)
        # The stored rows' hashes, read before the file (and checked again once the write
        # transaction holds the store: ``_Read.refresh``): a row that hashes the same is
        # not converted at all.
        stamp = imports.stamp(ctx.store)
        held = {layout.source: imports.present_hashes(ctx.store, layout.source) for _, layout, _ in tables}
        read = _read_rows(tables, today, faults, progress, held, stamp, _hashes_hold(ctx.store, today))
        if not read.count:
            raise InputError(src.name, "no data rows: an empty caseload is refused")
        if not any(read.rows.values()):  # every row rejected: never a snapshot with nobody in it
            raise faults.error()
        rejected, rejects_file = settle_faults(
            src, faults, skip_invalid=skip_invalid, dry_run=dry_run, rejects_path=rejects_path,
            inputs=database_files(ctx.store),
        )
    sources = sorted(read.rows)

    def plan(reader) -> _Plan:
        p = _plan(ctx, reader, read, today.isoformat())
        p.result.rejected, p.result.rejects_file = rejected, rejects_file
        return p

    if dry_run:
        with ctx.scratch() as scratch:  # rolled back: the staging tables are all it wrote
            return plan(scratch).result
    with ctx.tx() as tx:
        read.refresh(tx)
        if children_store.any_child(tx) or imports.any_source_row(tx):
            p = plan(tx)
            _write(tx, p)
        else:  # a new database: every child is added, straight from the file's rows
            p = _write_first(ctx, tx, read, today.isoformat())
            p.result.rejected, p.result.rejects_file = rejected, rejects_file
        imports.unstage(tx)
        counts = p.result.model_dump(exclude={"rejects_file"})
        import_id = imports.record(tx, "caseload", src.name, src.sha256, ctx.user, counts)
        tx.event(
            "import", import_id, "caseload",
            after={"file": src.name, "sha256": src.sha256, "sources": sources,
                   "rows": sum(map(len, read.rows.values())), "counts": counts, "added": p.added,
                   "updated": p.updated, "closed": p.closed, "rejects_file": rejects_file},
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
                shown_ = shown(", ".join(h for h in table.headings if h), 200)
                raise InputError(
                    name,
                    Fault(1, None, "unrecognised caseload: no Annex A List 6-9 or canonical headings "
                          f"(found: {shown_}); a canonical caseload has child_id and cohort columns; "
                          "name an Annex A list with --list N"),
                )
            continue  # a workbook may hold other sheets (notes, pivots)
        recognised += 1
        at = match_columns(table.headings, layout.columns)
        for group in layout.required:
            if not any(k in at for k in group):
                wanted = " or ".join(f"'{layout.column(k).heading}'" for k in group)
                faults.append(Fault(1, None, table.where(f"missing column {wanted} ({layout.title})")))
        plans.append((table, layout, at))
    if faults:
        raise InputError(name, faults)
    if not plans:
        sheets = ", ".join(f"'{shown(t.sheet)}'" for t in tables)
        wanted = f"Annex A List {list_number}" if list_number else "Annex A List 6-9 or canonical"
        raise InputError(name, f"no sheet with {wanted} headings (sheets: {sheets})")
    return plans


def _hashes_hold(db, today: date) -> bool:
    """Whether a stored row's hash still says what reading its cells makes of them today:
    a row's reading depends on the date only by whether its birth date is still to come
    (then its hash is marked, and never taken as unchanged), so it holds while no stored
    row was read on a later day than today (the clock never went back)."""
    last = imports.last_at(db, "caseload")
    return last is None or local(from_iso(last)).date() <= today


@dataclass
class _Read:
    """A file's valid rows, and what reading them found.

    ``rows``: by source, then child id: the source row (a tuple, with its HASH), or for a
    row that hashes as its stored one does, that hash alone (a str): it is the stored row,
    and was never converted (``_ChunkReader``). ``held``: by source, the stored present
    rows (row_hash -> child id) as they were when the file was read; ``stamp`` says which
    state of the store that was."""

    rows: dict[str, dict[str, tuple | str]]
    rejected_ids: set[str]
    count: int
    held: dict[str, dict[str, str]]
    stamp: tuple
    readers: dict[str, list[_ChunkReader]]
    today: date

    def refresh(self, db) -> None:
        """In the write transaction (``db``): if the store has changed since the file was
        read (another import between), the stored hashes are read again and each row taken
        as unchanged that no longer is, converted now (it read without a fault then, and
        reads the same now: its hash covers its cells, and whether its birth is to come)."""
        if imports.stamp(db) == self.stamp:
            return
        hold = _hashes_hold(db, self.today)
        for source, rows in self.rows.items():
            now = self.held[source] = imports.present_hashes(db, source)
            moved = [cid for cid, r in rows.items() if r.__class__ is str and (not hold or now.get(r) != cid)]
            if moved:
                rows.update(_reconvert(self.readers[source], moved))


def _reconvert(readers: Sequence[_ChunkReader], child_ids: Sequence[str]) -> dict[str, tuple]:
    """The source rows of ``child_ids``, rows of ``readers`` taken as unchanged, converted now."""
    out: dict[str, tuple] = {}
    for reader in readers:
        same = reader.same()
        mine = [cid for cid in child_ids if cid in same]
        if mine:
            out.update(reader.convert_again(mine))
    return out


def _read_rows(
    tables: list[tuple[Table, Layout, dict]], today: date, faults: Faults, progress: Progress | None,
    held: dict[str, dict[str, str]], stamp: tuple, hold: bool,
) -> _Read:
    """Valid rows by source, then child id; the ids of rejected rows; rows read. ``held``:
    the stored rows' hashes, by source; ``hold``: whether they still hold today."""
    total = sum(t.row_count for t, _, _ in tables)
    done = 0
    rows: dict[str, dict[str, tuple | str]] = {}
    read: dict[str, int] = {}
    readers: dict[str, list[_ChunkReader]] = {}
    rejected_ids: set[str] = set()
    for table, layout, at in tables:
        siblings = readers.setdefault(layout.source, [])
        hints = (held.get(layout.source) or {}) if hold else {}
        reader = _ChunkReader(table, layout, at, today, faults, hints, tuple(siblings))
        siblings.append(reader)
        kept = rows.setdefault(layout.source, {})
        for numbers, block in table.blocks():
            reader.read(numbers, block, kept, rejected_ids)
            done += len(block)
            read[layout.source] = read.get(layout.source, 0) + len(block)
            if progress:
                progress(done, max(total, done))
    if progress and done:
        progress(done, done)
    # A list is in the snapshot when its table had rows (an empty sheet closes nobody).
    return _Read({s: r for s, r in rows.items() if read.get(s)}, rejected_ids, done,
                 {s: held.get(s) or {} for s in rows}, stamp, readers, today)


def _later_episode(a: tuple, b: tuple, today: str) -> tuple:
    if _open(a, today) != _open(b, today):
        return a if _open(a, today) else b
    return a if (a[ENDED] or "9999") > (b[ENDED] or "9999") else b


_DATE_ORDER = 1  # faults of a row in the order a person reads them: id, dates, age, cohort
_AGE_ORDER, _COHORT_ORDER, _DUP_ORDER = 1000, 1001, 1002
# What reading a row makes of its cells. Bump it when that changes (a new date format, a new
# cohort word...): every stored row's hash then matches no row read, and each is read again.
CONVERSION = 1
_FUTURE = "F"  # ends the hash of a row read with its birth to come (``_hashes_hold``)


class _ChunkReader:
    """Turns blocks of a table's rows into source rows, or faults naming row and column.

    Each row is first hashed from its cells as they are in the file (``_hashes``): one
    that hashes as a stored row does (``hints``: row_hash -> child id), with that child's
    id, is that row unchanged, and is read no further. The others are converted a column
    at a time, each distinct value of a repeating column once per import (the memos)."""

    def __init__(self, table: Table, layout: Layout, at: dict[str, int], today: date, faults: Faults,
                 hints: dict[str, str], earlier: tuple[_ChunkReader, ...]):
        self.table, self.layout, self.at, self.faults = table, layout, at, faults
        self.today = today.isoformat()
        keys = ("date_of_birth", "expected_date_of_birth", *layout.dates, layout.end)
        self.date_keys = [k for k in dict.fromkeys(keys) if k and k in at]
        # Key dates kept on the source, in JSON key order (json.dumps(sort_keys=True)).
        self.key_dates = sorted(k for k in self.date_keys if k in set(layout.dates))
        self.memo: dict[str, Memo] = {}
        self.first_row: dict[str, int] = {}
        self.canonical = layout is CANONICAL
        self.fragments: dict[str, dict[str | None, str | None]] = {k: {} for k in self.key_dates}
        self.plain = table.sheet is None  # a CSV: every cell is text
        # The readers of the same source's earlier sheets: a child is first read on this sheet
        # or one of them (sheets are read in order). No reader refers to itself or a later one,
        # so the readers make no reference cycle: the file's rows are freed by reference
        # counting as the import ends, not left for the collector's first pass after the
        # import to walk (``core.collector``).
        self.earlier = earlier
        self.hints = hints
        self.id_cell = itemgetter(at["child_id"])
        # Rows taken as unchanged: (child ids, row numbers, cells) a block at a time.
        self.same_blocks: list[tuple[list[str], list[int], list[list]]] = []
        self._same: dict[str, tuple[int, list]] = {}
        # The hash's input: a row's cells, a CSV's joined by a separator no cell holds (else
        # the row's repr), with a tag naming the reading (the conversion, the list, the
        # headings and the columns matched to them).
        self.joined = self.plain and table.separators_free
        scheme = repr((CONVERSION, layout.source, table.headings, sorted(at.items()), self.joined))
        self.tag = blake2b(scheme.encode(), digest_size=8).hexdigest()
        self.sep = f"{_SEP}{self.tag}{_SEP}"

    def _column(self, rows: list[list], key: str) -> list | None:
        """A column of ``rows`` (None: the file has no such column)."""
        i = self.at.get(key)
        return None if i is None else list(map(itemgetter(i), rows))

    def _memo(self, key: str) -> Memo:
        memo = self.memo.get(key)
        if memo is None:
            memo = self.memo[key] = Memo()
        return memo

    def read(self, numbers: Sequence[int], rows: list[list], kept: dict[str, tuple | str],
             rejected_ids: set[str]) -> None:
        table, faults = self.table, self.faults
        if table.oversized:
            keep = [number not in table.oversized for number in numbers]
            for number, cells, ok in zip(numbers, rows, keep, strict=True):
                if not ok and faults.reject_oversized(table, number, cells):
                    if cid := text(cell(cells, self.at["child_id"])):
                        rejected_ids.add(cid)
            numbers, rows = list(compress(numbers, keep)), list(compress(rows, keep))
            if not rows:
                return
        hashes = self._hashes(rows)
        ids = None
        if self.hints:
            stored = list(map(self.hints.get, hashes))  # the child id of a stored row hashing the same
            same = list(map(eq, stored, map(self.id_cell, rows)))
            if any(same):
                done = list(compress(stored, same))
                rest = list(map(not_, same))
                others = [list(compress(v, rest)) for v in (numbers, rows, hashes)]
                other_ids = text_column(self._column(others[1], "child_id"), plain=self.plain)
                fresh = set(done)
                if len(fresh) == len(done) and kept.keys().isdisjoint(fresh) and fresh.isdisjoint(other_ids):
                    kept.update(zip(done, compress(hashes, same), strict=True))
                    self.same_blocks.append((done, list(compress(numbers, same)), list(compress(rows, same))))
                    if not other_ids:
                        return
                    (numbers, rows, hashes), ids = others, other_ids
                # else a child twice: the block is read in full, in the file's order
        if ids is None:
            ids = text_column(self._column(rows, "child_id"), plain=self.plain)
        self._convert(numbers, rows, ids, hashes, kept, rejected_ids)

    def same(self) -> dict[str, tuple[int, list]]:
        """Rows taken as unchanged: child id -> (row number, cells)."""
        if self.same_blocks:
            for ids, numbers, rows in self.same_blocks:
                self._same.update(zip(ids, zip(numbers, rows, strict=True), strict=True))
            self.same_blocks = []
        return self._same

    def convert_again(self, child_ids: Sequence[str]) -> dict[str, tuple]:
        """The rows of ``child_ids`` taken as unchanged, converted now."""
        same = self.same()
        numbers, rows = zip(*(same.pop(cid) for cid in child_ids), strict=True)
        out: dict[str, tuple] = {}
        before = len(self.faults.faults)
        hints, self.hints = self.hints, {}
        try:
            self.read(list(numbers), list(rows), out, set())
        finally:
            self.hints = hints
        if len(self.faults.faults) != before:  # cannot happen: they read without a fault before
            raise InputError(self.faults.file, self.faults.faults[before:])
        return out

    def _row_of(self, cid: str) -> int | str:
        """The row the child ``cid`` was first read on (its sheet's, if another)."""
        for reader in (self, *self.earlier):
            number = reader.first_row.get(cid)
            if number is None and cid in reader.same():
                number = reader.same()[cid][0]
            if number is not None:
                return number if reader is self else f"{number} of sheet '{shown(reader.table.sheet)}'"
        return "?"

    def _convert(self, numbers, rows, ids, hashes, kept, rejected_ids) -> None:
        table, layout, faults = self.table, self.layout, self.faults
        n = len(rows)
        problems: list[tuple[int, int, str, str]] = []  # (position, order, column, message)
        heading = table.headings

        if None in ids:
            problems += [(k, 0, heading[self.at["child_id"]], "child id is blank")
                         for k, cid in enumerate(ids) if cid is None]
        dates: dict[str, list] = {}
        for order, key in enumerate(self.date_keys, start=_DATE_ORDER):
            values, bad = convert(self._column(rows, key), parse_iso, self._memo("dates"), plain=self.plain)
            for k in bad:
                problems.append((k, order, heading[self.at[key]], values[k].message))
                values[k] = None
            dates[key] = values
        none = [None] * n
        age = none
        if "age" in self.at:
            age, bad = convert(self._column(rows, "age"), parse_int, self._memo("age"), plain=self.plain)
            for k in bad:
                problems.append((k, _AGE_ORDER, heading[self.at["age"]], age[k].message))
                age[k] = None
        dob = dates.get("date_of_birth", none)
        edob = dates.get("expected_date_of_birth", none)
        # A future date of birth is the expected one; unborn by date, age -1, or no date and no age.
        today = self.today
        future = [k for k, d in enumerate(dob) if d is not None and d > today]
        if future:
            dob, edob, hashes = list(dob), list(edob), list(hashes)
            for k in future:
                dob[k], edob[k] = None, edob[k] or dob[k]
                hashes[k] += _FUTURE
        unborn = [e is not None or a == -1 or (d is None and a is None) for d, e, a in zip(dob, edob, age, strict=True)]
        cohorts = self._cohorts(rows, unborn, dates, problems)

        if problems:
            problems.sort(key=itemgetter(0, 1))
            for k, _order, column, message in problems:
                faults.add(table, numbers[k], column, message, rows[k])
                cohorts[k] = None  # the row is rejected

        names = self._texts(rows, "name", none, memo=False)
        workers = self._texts(rows, "worker", none)
        if layout.source == "list9" and "personal_advisor" in self.at:
            advisors = self._texts(rows, "personal_advisor", none)
            workers = [w or p for w, p in zip(workers, advisors, strict=True)]
        teams, families = self._texts(rows, "team", none), self._texts(rows, "family_id", none)
        ended = dates.get(layout.end, none) if layout.end else none
        key_dates = self._key_dates(dates, n)
        built = list(zip(ids, repeat(layout.source), cohorts, names, dob, edob, workers, teams, families, ended,
                         repeat(1), key_dates, hashes))  # noqa: B905 (repeat is endless)
        ok = list(map(is_not, cohorts, repeat(None)))
        if not all(ok):  # rejected rows: their ids are not evidence a child left the list
            rejected_ids.update(cid for cid, good in zip(ids, ok, strict=True) if cid and not good)
            numbers = list(compress(numbers, ok))
            rows = list(compress(rows, ok))
            built = list(compress(built, ok))
            ids = [r[CID] for r in built]
        fresh = set(ids)
        if len(fresh) == len(ids) and kept.keys().isdisjoint(fresh):
            # Every child once (the usual file): all of it at once.
            kept.update(zip(ids, built, strict=True))
            self.first_row.update(zip(ids, numbers, strict=True))
            return
        self._one_by_one(rows, numbers, built, kept, rejected_ids)

    def _one_by_one(self, rows, numbers, built, kept, rejected_ids) -> None:
        """A block where a child comes twice: a fault in a canonical file, episodes in Annex A."""
        table, first_row, today = self.table, self.first_row, self.today
        for cells, number, row in zip(rows, numbers, built, strict=True):
            cid = row[CID]
            held = kept.get(cid)
            if held is None:
                kept[cid] = row
                first_row[cid] = number
            elif self.canonical:
                self.faults.add(table, number, table.headings[self.at["child_id"]],
                                f"child id '{shown(cid)}' is already on row {self._row_of(cid)}", cells)
                rejected_ids.add(cid)
            else:
                # Annex A repeats a child with several episodes: keep the open or latest one.
                if held.__class__ is str:  # taken as unchanged, in an earlier block: read now
                    held = _reconvert((self, *self.earlier), [cid])[cid]
                kept[cid] = _later_episode(held, row, today)

    def _hashes(self, rows: list[list]) -> list[str]:
        """Each row's content hash (64 bits of BLAKE2b) from its cells as the file has them."""
        if self.joined:
            texts = map(self.sep.join, rows)
        else:
            texts = map(self.tag.__add__, map(repr, rows))
        return [blake2b(t.encode(), digest_size=8).hexdigest() for t in texts]

    def _texts(self, rows: list[list], key: str, none: list, memo: bool = True) -> list:
        values = self._column(rows, key)
        if values is None:
            return none
        if not memo:
            return text_column(values, plain=self.plain)
        return convert(values, text, self._memo(key), plain=self.plain)[0]

    def _key_dates(self, dates: dict[str, list], n: int) -> list[str]:
        """Each row's key dates as JSON (``json.dumps(sort_keys=True)``'s text), a column at a time."""
        if not self.key_dates:
            return ["{}"] * n
        fragments = []
        for key in self.key_dates:
            memo, values = self.fragments[key], dates[key]
            for v in set(values).difference(memo):
                memo[v] = None if v is None else f'"{key}": "{v}"'
            fragments.append(list(map(memo.__getitem__, values)))
        if len(fragments) == 1:
            return ["{" + f + "}" if f else "{}" for f in fragments[0]]
        return ["{" + j + "}" if (j := ", ".join(filter(None, t))) else "{}" for t in zip(*fragments, strict=True)]

    def _cohorts(self, rows: list[list], unborn: list[bool], dates: dict[str, list],
                 problems: list) -> list[str | None]:
        layout, n = self.layout, len(unborn)
        if layout.cohort is not None:
            if layout is LIST6 and "case_status" in self.at:
                # List 6 "Case Status" may say the plan the child is on ("b) Child Protection plan").
                status, _ = convert(self._column(rows, "case_status"), lambda v: cohort_of(code(v)),
                                    self._memo("case_status"), plain=self.plain)
                return ["unborn" if u else s or "cin" for u, s in zip(unborn, status, strict=True)]
            cohort = layout.cohort
            return ["unborn" if u else cohort for u in unborn]
        if "cohort" in self.at:
            column = self.table.headings[self.at["cohort"]]
            raw, bad = convert(self._column(rows, "cohort"), _cohort_cell, self._memo("cohort"), plain=self.plain)
            for k in bad:
                problems.append((k, _COHORT_ORDER, column, raw[k].message))
                raw[k] = None
        else:
            column, raw, bad = "cohort", [None] * n, []
        cohorts: list[str | None] = raw
        bad_set = set(bad)
        for k in range(n):
            if raw[k] is None and k not in bad_set:
                derived = _derive_cohort(unborn[k], dates, k)
                if derived is None:
                    problems.append((k, _COHORT_ORDER, column,
                                     "cohort is blank and cannot be derived from the dates given"))
                cohorts[k] = derived
        return cohorts


def _cohort_cell(cell: Any) -> str | None:
    """A canonical cohort cell: a cohort, None when blank; ValueError when it names none."""
    raw = code(cell)
    if not raw:
        return None
    found = cohort_of(raw)
    if found is None:
        raise ValueError(f"'{shown(raw)}' is not a cohort (expected one of {', '.join(COHORT_ORDER)})")
    return found


_DERIVED = (("cp_plan_start", "cp"), ("latest_pathway_plan_review", "care_leaver"),
            ("latest_contact", "care_leaver"), ("date_looked_after", "cla"), ("cin_start", "cin"))


def _derive_cohort(unborn: bool, dates: dict[str, list], k: int) -> str | None:
    """A canonical row without a cohort: derived from the dates it carries."""
    if unborn:
        return "unborn"
    for key, cohort in _DERIVED:
        values = dates.get(key)
        if values is not None and values[k]:
            return cohort
    return None


# -- working out the changes -----------------------------------------------------
# A source row is known unchanged by its content hash (``row_hash``, 64 bits of BLAKE2b
# over the cells it is read from: an unnoticed change would need two different rows of
# one child to collide). Only new and changed rows are staged, in temporary tables of
# this connection; the children are then worked out, compared with what is stored and
# written in SQL (one executemany from Python, the rest at SQLite's speed). A child in
# one list (most of them) is projected in SQL, from its staged row or, when unchanged,
# its stored one (the tiers, the people directory and the date may have changed since);
# the others (several lists, gone from the extract) are built in Python by ``_child``.
# The SQL is ``core.store.imports``'.


def _plan(ctx: Context, db, read: _Read, today: str) -> _Plan:
    """What the import changes, staged for ``_write``. ``db``: the open transaction (a
    dry run's scratch one); the staging tables are left for ``_write``."""
    read.refresh(db)
    rows, rejected_ids = read.rows, read.rejected_ids
    sources = sorted(rows)
    imports.stage(db)

    # New and changed rows are staged; dropped ones (gone from a list) and rejected ones
    # (not evidence of anything) are noted. Children needing more than one row: complex.
    complex_: set[str] = set()
    dropped: list[tuple[str, str]] = []
    skip: list[tuple[str, str]] = []
    staged: list[tuple] = []
    seen: set[str] = set()
    for s in sources:
        new, held = rows[s], read.held[s]
        get = held.get
        staged += [r for r in new.values() if r.__class__ is tuple and get(r[HASH]) != r[CID]]
        for cid in sorted(set(held.values()).difference(new)):  # stored and present, not in this extract
            if cid in rejected_ids:
                skip.append((cid, s))
            else:
                dropped.append((cid, s))
                complex_.add(cid)
        if len(sources) > 1:
            complex_.update(seen.intersection(new))
            seen.update(new)
    imports.stage_rows(db, staged, skip)
    # In another list too (stored).
    complex_.update(imports.stored_in_several(db, sources))
    imports.stage_complex(db, sorted(complex_))

    workers = Workers.load(db)
    imports.stage_workers(db, ((w, workers.match(w)) for w in imports.workers_named(db, sources)))
    tiers = {c: ctx.settings.tier_of(c) for c in COHORT_ORDER}
    # One list: the child is that row, as staged or as stored. Only the children that
    # differ from the stored ones are kept (with the complex ones, below).
    p = _Plan(sources, [], [], dropped, set())
    p.staged = len(staged)
    touched = len(set().union(*map(dict.keys, rows.values()), (d[0] for d in dropped)))
    if not children_store.any_child(db):  # a new database: every child is added
        imports.stage_first_children(db, tiers, today)
        if complex_:
            _stage_complex(db, rows, sources, dropped, today, tiers, workers)
        p.added = imports.staged_child_ids(db)
        p.result = ImportResult(added=len(p.added))
        return p
    imports.stage_changed_children(db, tiers, sources, today, index=bool(staged))
    if complex_:
        _stage_complex(db, rows, sources, dropped, today, tiers, workers)
    for cid, added, was_open, is_open in imports.staged_changes(db):
        if added:
            p.added.append(cid)
        elif was_open and not is_open:
            p.closed.append(cid)
        else:
            p.updated[cid] = []
    if p.updated:
        k = len(CHILD_FIELDS)
        for r in imports.updated_fields(db, p.updated):
            p.updated[r[0]] = [f for f, a, b in zip(CHILD_FIELDS, r[1:k + 1], r[k + 1:], strict=True) if a != b]
    changed = len(p.added) + len(p.closed) + len(p.updated)
    p.result = ImportResult(added=len(p.added), updated=len(p.updated), unchanged=touched - changed,
                            closed=len(p.closed))
    return p


def _stage_complex(db, rows, sources, dropped, today, tiers, workers) -> None:
    """Build, in Python, the children the SQL projection leaves out."""
    ids, stored_rows, before_rows = imports.complex_held(db)
    stored: dict[str, list[tuple]] = {}
    for r in stored_rows:
        stored.setdefault(r[CID], []).append(r)
    before = {r[0]: r[1:] for r in before_rows}
    gone = set(dropped)
    in_import = set(sources)
    out = []
    for cid in ids:
        held = []
        for r in stored.get(cid, ()):
            if r[SRC] not in in_import:
                held.append(r)  # a list this import does not hold: as stored
            elif (cid, r[SRC]) in gone:
                held.append((*r[:PRESENT], 0, *r[PRESENT + 1:]))
            elif rows[r[SRC]].get(cid).__class__ is not tuple:
                held.append(r)  # its row here was rejected, or is unchanged: as stored
        held += [r for s in sources if (r := rows[s].get(cid)).__class__ is tuple]
        out.append((cid, *_child(held, before.get(cid), today, tiers, workers)))
    imports.stage_children(db, out)


def _child(sources: list[tuple], before: tuple | None, today: str, tiers: dict, workers: Workers) -> tuple:
    """The child as its sources make them (CHILD_FIELDS order)."""
    present = sorted((s for s in sources if s[PRESENT]), key=lambda s: RANK[s[COHORT]])
    open_ = [s for s in present if _open(s, today)]
    pool = open_ or present or sorted(sources, key=lambda s: RANK[s[COHORT]])
    rest = [s for s in present if s not in pool]
    order = pool + rest

    def first(i: int):
        return next((v for s in order if (v := s[i])), None)

    cohort = pool[0][COHORT]
    worker = next((s[WORKER] for s in pool if s[WORKER]), None)
    team = next((s[TEAM] for s in pool if s[WORKER] == worker and s[TEAM]), None) or first(TEAM)
    # Key dates of the lists the child is in; of every list they were in once they have left all.
    dated = present or sorted(sources, key=lambda s: RANK[s[COHORT]])
    if len(dated) == 1:
        key_dates = dated[0][KEY_DATES]
    else:
        merged: dict = {}
        for s in reversed(dated):  # higher risk sources win a shared key (e.g. last seen)
            merged.update(json.loads(s[KEY_DATES]))
        key_dates = json.dumps(merged, sort_keys=True)
    is_open = 1 if open_ else 0
    if is_open:
        closed_on = None
    elif before is not None and not before[_IS_OPEN]:
        closed_on = before[_CLOSED_ON]  # closed already: keep when
    else:
        ends = [s[ENDED] for s in present if s[ENDED]]
        # Closed by its episodes' end dates, or (missing from the extract) on the import date.
        closed_on = max(ends) if present and len(ends) == len(present) else today
    dob = first(DOB)
    edob = None if dob and cohort != "unborn" else first(EDOB)
    return (
        first(NAME), dob, edob, cohort, tiers[cohort], worker, workers.match(worker), team,
        first(FAMILY), is_open, closed_on, key_dates,
    )


# -- writing -------------------------------------------------------------------
# Writing more rows than this (and more than stay as they are), a table's secondary
# indexes are dropped and built again after: one sort instead of a B-tree insert per row.
BULK_ROWS = 20_000


def _write(tx, p: _Plan) -> None:
    """Write what ``_plan`` staged: changed children and source rows only."""
    if not (p.added or p.updated or p.closed or p.dropped or p.staged):
        return  # the same extract again: nothing to write
    changed = len(p.added) + len(p.updated) + len(p.closed)
    imports.write_caseload(tx, p.dropped, bulk=changed >= BULK_ROWS and changed >= p.result.unchanged)


def _write_first(ctx: Context, tx, read: _Read, today: str) -> _Plan:
    """Into a database with no children yet: the rows written as they were read (no staging,
    no comparing: nothing is stored to compare with), each list's children projected from
    them in SQL, the children in several lists built by ``_child``."""
    rows = read.rows
    sources = sorted(rows)
    # In the key's order (child id, list): each B-tree written in order. A child is once in a
    # list, so one list sorts by the id alone; the children added are the ids in that order.
    if len(sources) == 1:
        staged = list(rows[sources[0]].values())
        staged.sort(key=itemgetter(CID))
        ids = list(map(itemgetter(CID), staged))
        several: list[str] = []
    else:
        staged = [r for s in sources for r in rows[s].values()]
        staged.sort(key=itemgetter(CID, SRC))
        every = list(map(itemgetter(CID), staged))
        ids = list(dict.fromkeys(every))
        several = list(dict.fromkeys(compress(every[1:], map(eq, every, every[1:]))))  # sorted, as ``every``
    imports.stage(tx)
    imports.stage_complex(tx, several)
    workers = Workers.load(tx)
    named = set(map(itemgetter(WORKER), staged))
    named.discard(None)
    imports.stage_workers(tx, ((w, workers.match(w)) for w in sorted(named)))
    tiers = {c: ctx.settings.tier_of(c) for c in COHORT_ORDER}
    built = [(cid, *_child([rows[s][cid] for s in sources if cid in rows[s]], None, today, tiers, workers))
             for cid in several]
    teams = set(map(itemgetter(TEAM), staged))
    teams.discard(None)
    imports.write_first(tx, staged, built, sorted(teams), tiers, sources, today,
                        bulk=len(staged) >= BULK_ROWS)
    p = _Plan(sources, [], [], [], set())
    p.staged = len(staged)
    p.added = ids
    p.result = ImportResult(added=len(p.added))
    return p
