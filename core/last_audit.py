"""A child's last audit, by the rule the draw excludes children with (design.md
"Sampling": eligible again ``exclusion_days`` after it): a dipaudit audit counted from
the London date it was submitted (submitted, queried or finalised), or an imported QA
Audit case note, whichever is later.

Apart from ``core.sampling`` (which applies it) so the queue's child detail pane, read
at the first screen, shows it without loading the draw's pydantic models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .clock import from_iso, local
from .context import Context
from .store import audits


@dataclass(frozen=True)
class LastAudit:
    on: date
    source: str  # "dipaudit audit N" or "QA Audit case note"


def last_audits(ctx: Context, *, child_id: str | None = None) -> dict[str, LastAudit]:
    """Per child (or for one child), the latest audit: a dipaudit audit counted from the
    London date it was submitted (submitted, queried or finalised), or an imported QA
    Audit case note, whichever is later. One query, never one per child."""
    return latest_per_child(audits.last_audited(ctx.store, child_id=child_id))


def latest_per_child(rows: list[dict]) -> dict[str, LastAudit]:
    """Per child, the latest of ``store.audits.last_audited``'s rows (audits and notes)."""
    latest: dict[str, LastAudit] = {}
    for r in rows:
        if r["src"] == "audit":
            found = LastAudit(local(from_iso(r["at"])).date(), f"dipaudit audit {r['audit_id']}")
        else:
            found = LastAudit(date.fromisoformat(r["on_date"][:10]), "QA Audit case note")
        held = latest.get(r["child_id"])
        if held is None or found.on > held.on:
            latest[r["child_id"]] = found
    return latest


def last_audit_of(ctx: Context, child_id: str) -> LastAudit | None:
    """One child's last audit, by the same rule as the draw."""
    return last_audits(ctx, child_id=child_id).get(child_id)


def last_audit_dates(ctx: Context) -> dict[str, date]:
    """Per child, the date of the last audit (``last_audits`` without the source)."""
    return {child_id: last.on for child_id, last in last_audits(ctx).items()}
