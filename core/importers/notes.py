"""Import case-note history: ``child_id,date,type,author,summary``.

Type names differ between case management systems, so the kind (covid,
virtual_contact, communication, management_oversight, qa_audit, other) comes
from ``settings.note_types``; the raw type is kept as written. A note is known
by a hash of its content: the same note imported twice is one note.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..collector import collector_paused
from ..context import Context
from ..errors import Fault, InputError
from ..people import require_role
from ..store import children as children_store
from ..store import imports
from .common import (
    Faults,
    ImportResult,
    Progress,
    cell,
    col,
    database_files,
    match_columns,
    missing_columns,
    parse_date,
    read_source,
    report_progress,
    settle_faults,
    shown,
    text,
)

COLUMNS = (
    col("child_id", "child_id", "Child Unique ID", "Child ID"),
    col("date", "date", "Note Date", "Case Note Date", "Date of Note"),
    col("type", "type", "Note Type", "Case Note Type"),
    col("author", "author", "Created By", "Written By"),
    col("summary", "summary", "Note Summary", "Note"),
)
REQUIRED = COLUMNS[:3]


def note_key(child_id: str, day: str, type_: str, author: str | None, summary: str | None) -> str:
    """The identity of a note: its content (the same key the test builders use)."""
    raw = f"{child_id}|{day}|{type_}|{author or ''}|{summary or ''}"
    return hashlib.sha256(raw.encode()).hexdigest()


@collector_paused()
def import_notes(
    ctx: Context,
    path: str | Path,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects_path: str | Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Add case notes for known children. Admins only, once a people directory exists.

    Every note must name a child already imported; a note already held counts as unchanged.
    """
    require_role(ctx, "admin", doing="import case notes", bootstrap=True)
    with read_source(path) as src:
        table = src.tables[0]
        at = match_columns(table.headings, COLUMNS)
        if missing := missing_columns(at, REQUIRED):
            raise InputError(src.name, [Fault(1, m, "missing column (notes need child_id, date and type)")
                                        for m in missing])
        rows = table.all_rows()
        children = children_store.ids(ctx.store)
        kind_of_cache: dict[str, str] = {}
        faults = Faults(src.name)
        notes: dict[str, tuple] = {}
        total = len(rows)
        for done, (number, cells) in enumerate(rows, start=1):
            report_progress(progress, done, total)
            if faults.reject_oversized(table, number, cells):
                continue
            child_id = text(cell(cells, at["child_id"]))
            type_ = text(cell(cells, at["type"]))
            ok = True

            def fault(key: str, message: str, number=number, cells=cells) -> None:
                faults.add(table, number, table.headings[at[key]], message, cells)

            if not child_id:
                fault("child_id", "child id is blank")
                ok = False
            elif child_id not in children:
                fault("child_id", f"unknown child id '{shown(child_id)}' (import the caseload first)")
                ok = False
            try:
                day = parse_date(cell(cells, at["date"]))
                if day is None:
                    fault("date", "date is blank")
                    ok = False
            except ValueError as exc:
                fault("date", str(exc))
                ok = False
            if not type_:
                fault("type", "note type is blank")
                ok = False
            if not ok:
                continue
            author = text(cell(cells, at.get("author")))
            summary = text(cell(cells, at.get("summary")))
            if type_ not in kind_of_cache:
                kind_of_cache[type_] = ctx.settings.note_types.kind_of(type_)
            key = note_key(child_id, day.isoformat(), type_, author, summary)
            notes.setdefault(key, (child_id, day.isoformat(), kind_of_cache[type_], type_, author, summary, key))
        rejected, rejects_file = settle_faults(
            src, faults, skip_invalid=skip_invalid, dry_run=dry_run, rejects_path=rejects_path,
            inputs=database_files(ctx.store),
        )

    def count(r) -> tuple[ImportResult, list[tuple], list[tuple]]:
        held = children_store.held_note_keys(r, list(notes))
        new = [n for k, n in notes.items() if k not in held]
        # A note held with another kind than its type maps to now (the council mapped a
        # name after it was first imported): it takes the kind the config gives today.
        retyped = [n for k, n in notes.items() if k in held and held[k] != n[2]]
        return ImportResult(added=len(new), updated=len(retyped), unchanged=len(held) - len(retyped),
                            rejected=rejected, rejects_file=rejects_file), new, retyped

    if dry_run:
        with ctx.scratch() as scratch:
            return count(scratch)[0]
    with ctx.tx() as tx:
        result, new, retyped = count(tx)
        children_store.add_notes(tx, new)
        children_store.retype_notes(tx, [(n[2], n[6]) for n in retyped])
        counts = result.model_dump(exclude={"rejects_file"})
        import_id = imports.record(tx, "notes", src.name, src.sha256, ctx.user, counts)
        tx.event("import", import_id, "notes",
                 after={"file": src.name, "sha256": src.sha256, "rows": total, "counts": counts,
                        "children": sorted({n[0] for n in new}), "rejects_file": rejects_file,
                        **({"retyped": sorted({n[0] for n in retyped})} if retyped else {})})
    return result
