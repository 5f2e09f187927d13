"""Pre-checks: suggested ratings from the child's imported case-note history.

Only notes dated on or before the audit date count. Each suggestion carries one
sentence of evidence naming the dates it used (dd/mm/yyyy). The auditor always
decides; standards no note metadata can judge get no suggestion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from pydantic import BaseModel

from .clock import uk_date
from .context import Context
from .programme import Parameters, Programme
from .store import children


class Suggestion(BaseModel):
    rating: str
    evidence: str


def _notes(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _kind_dates(notes: Iterable, kind: str, start: date | None = None,
                end: date | None = None) -> list[date]:
    out = []
    for note in notes:
        if note["kind"] != kind:
            continue
        d = note["date"]
        if (start is None or d >= start) and (end is None or d <= end):
            out.append(d)
    return sorted(out)


def covid_note(notes: list, p: Parameters, audit_date: date) -> Suggestion:
    """A COVID-19 case note since virtual practice began: Met, else Not met."""
    start = p.virtual_practice_start
    found = _kind_dates(notes, "covid", start)
    if found:
        return Suggestion(rating="met", evidence=(
            f"COVID-19 case note dated {uk_date(found[-1])}"
            f"{f' (latest of {len(found)})' if len(found) > 1 else ''}"
            f" since virtual practice began on {uk_date(start)}."))
    return Suggestion(rating="not_met", evidence=(
        f"no COVID-19 case note since virtual practice began on {uk_date(start)}"
        f" up to the audit on {uk_date(audit_date)}."))


def virtual_contact(notes: list, p: Parameters, audit_date: date) -> Suggestion:
    """Virtual contacts recorded as virtual contact notes, not communication notes."""
    start = p.virtual_practice_start
    vc = _kind_dates(notes, "virtual_contact", start)
    comm = _kind_dates(notes, "communication", start)
    since = f"since {uk_date(start)}"
    if vc and not comm:
        return Suggestion(rating="met", evidence=(
            f"{_notes(len(vc), 'virtual contact note')} {since} (latest {uk_date(vc[-1])})"
            " and no communication notes."))
    if vc and comm:
        return Suggestion(rating="partly_met", evidence=(
            f"{_notes(len(vc), 'virtual contact note')} (latest {uk_date(vc[-1])}) and"
            f" {_notes(len(comm), 'communication note')} (latest {uk_date(comm[-1])}) {since}:"
            " check the note type of the communication notes."))
    if comm:
        return Suggestion(rating="not_met", evidence=(
            f"no virtual contact note {since} but {_notes(len(comm), 'communication note')}"
            f" (latest {uk_date(comm[-1])}): check the note type."))
    return Suggestion(rating="not_met", evidence=(
        f"no virtual contact or communication note {since} up to the audit on {uk_date(audit_date)}."))


def oversight_current(notes: list, p: Parameters, audit_date: date) -> Suggestion:
    """Days from the last management oversight to the audit date: Met within the interval."""
    found = _kind_dates(notes, "management_oversight")
    limit = p.oversight_interval_days
    if not found:
        return Suggestion(rating="not_met", evidence=(
            f"no management oversight note on the record up to the audit on {uk_date(audit_date)}."))
    last = found[-1]
    days = (audit_date - last).days
    gap = f"last management oversight {uk_date(last)}, {_notes(days, 'day')} before the audit on {uk_date(audit_date)}"
    if days <= limit:
        return Suggestion(rating="met", evidence=f"{gap}, within {limit} days.")
    return Suggestion(rating="not_met", evidence=f"{gap}, more than {limit} days.")


def oversight_virtual(notes: list, p: Parameters, audit_date: date) -> Suggestion:
    """A management oversight note between the virtual-practice start and the deadline."""
    start, deadline = p.virtual_practice_start, p.oversight_deadline
    found = _kind_dates(notes, "management_oversight", start, deadline)
    if found:
        return Suggestion(rating="met", evidence=(
            f"management oversight dated {uk_date(found[0])}, between {uk_date(start)} and {uk_date(deadline)}."))
    later = _kind_dates(notes, "management_oversight", deadline)
    after = f" (the next is dated {uk_date(later[0])})" if later and later[0] > deadline else ""
    return Suggestion(rating="not_met", evidence=(
        f"no management oversight note between {uk_date(start)} and {uk_date(deadline)}{after}."))


RULES: dict[str, Callable[[list, Parameters, date], Suggestion]] = {
    "covid_note": covid_note,
    "virtual_contact": virtual_contact,
    "oversight_current": oversight_current,
    "oversight_virtual": oversight_virtual,
}


def _as_note(n) -> dict:
    if hasattr(n, "model_dump"):
        n = n.model_dump()
    d = n["date"]
    return {"kind": n["kind"], "date": d if isinstance(d, date) else date.fromisoformat(str(d)[:10])}


def notes_for(ctx: Context, child_id: str, audit_date: date) -> list[dict]:
    return [_as_note(r) for r in children.notes_until(ctx.store, child_id, audit_date)]


def run_prechecks(ctx_or_notes: Context | Iterable, programme: Programme, child_id: str,
                  audit_date: date) -> dict[str, Suggestion]:
    """A suggestion for each standard with a pre-check, from notes dated on or before the audit.

    ``ctx_or_notes``: a Context (the child's notes are read from ``case_notes``) or the
    notes themselves (dicts or CaseNote models with ``kind`` and ``date``).
    """
    if isinstance(ctx_or_notes, Context):
        notes = notes_for(ctx_or_notes, child_id, audit_date)
    else:
        notes = [n for n in map(_as_note, ctx_or_notes) if n["date"] <= audit_date]
    out: dict[str, Suggestion] = {}
    for standard in programme.standards:
        if standard.precheck:
            out[standard.id] = RULES[standard.precheck](notes, programme.parameters, audit_date)
    return out
