"""CLI: dipaudit programme (show, check) and dipaudit audit (start, show, fill, submit,
note, list, prechecks). Thin: parse, call one core service, print.

``audit_group`` is the click group: tui/cli/comments.py adds finalise and addendum to it.
"""

from __future__ import annotations

from pathlib import Path

import click

from core.clock import show, uk_date
from core.vocabulary import AUDIT_STATUSES, RATING_LABELS

from . import INT, CliState, cli, emit_json, pass_state, table

LIST_COLUMNS = ["audit_id", "child_id", "status", "auditor", "worker", "team", "audit_date",
                "submitted_at", "standards_met", "actions"]


# --- programme ------------------------------------------------------------------
@cli.group("programme")
def programme_group() -> None:
    """The programme of practice standards audits are judged against (a TOML file)."""


@programme_group.command("show")
@click.option("--id", "programme_id", default=None, help="Programme id (default from config).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def programme_show(programme_id: str | None, as_json: bool) -> None:
    """The programme in use: its standards, guidance and pre-checks."""
    from core.config import load_settings
    from core.programme import load_programme, programme_source

    settings = load_settings()
    p = load_programme(settings, programme_id)
    if as_json:
        emit_json({**p.model_dump(mode="json"), "source": programme_source(p.id)})
        return
    prm = p.parameters
    click.echo(f"{p.title} (id {p.id}, version {p.version})")
    click.echo(f"from {programme_source(p.id)}")
    click.echo(f"Virtual practice began {uk_date(prm.virtual_practice_start)}; oversight due by "
               f"{uk_date(prm.oversight_deadline)}, then every {prm.oversight_interval_days} days.")
    for i, s in enumerate(p.standards, start=1):
        click.echo(f"\n{i}. [{s.id}] {s.title}")
        if s.precheck:
            click.echo(f"   pre-check: {s.precheck}")
        if s.guidance:
            click.echo(f"   {s.guidance}")


@programme_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def programme_check(file: Path) -> None:
    """Check a programme file; every fault is named by its key (or line for TOML syntax)."""
    from core.programme import check_programme_file

    p = check_programme_file(file)
    click.echo(f"{file}: ok: {p.title} (id {p.id}, version {p.version}), {len(p.standards)} standards")


# --- audit ----------------------------------------------------------------------
@cli.group("audit")
def audit_group() -> None:
    """Start, fill and submit an audit; print its QA Audit case note."""


@audit_group.command("start")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def audit_start(state: CliState, ref: str, as_json: bool) -> None:
    """Start (or resume your draft of) an audit: REF is a queue id or a child id."""
    from core.audit import start_audit

    a = start_audit(state.context(), ref)
    if as_json:
        emit_json(a)
        return
    click.echo(f"audit {a.audit_id}: child {a.child_id}, {a.status}, version {a.version}"
               f" ({a.programme.title} v{a.programme.version})")


def _show_text(a) -> None:
    from core.audit import submission_gaps

    click.echo(f"Audit {a.audit_id}: child {a.child_id} ({a.status}, version {a.version})")
    click.echo(f"Auditor {a.auditor_name} ({a.auditor}); worker {a.worker_name or '-'}; "
               f"manager {a.manager_name or '-'}; team {a.team or '-'}")
    click.echo(f"Programme {a.programme.title} v{a.programme.version}; audit date {a.audit_date}")
    if a.submitted_at:
        click.echo(f"Submitted {show(a.submitted_at)}; action review due {show(a.review_due_at)}")
    if a.finalised_at:
        click.echo(f"Finalised {show(a.finalised_at)} by {a.finalised_by}")
    for i, s in enumerate(a.standards, start=1):
        r = a.ratings[s.id]
        click.echo(f"\n{i}. [{s.id}] {s.title}")
        click.echo(f"   rating: {RATING_LABELS.get(r.rating or '', '(not rated)')}")
        if r.evidence:
            click.echo(f"   evidence: {r.evidence}")
        if r.suggested:
            click.echo(f"   suggested: {RATING_LABELS[r.suggested.rating]}: {r.suggested.evidence}")
    click.echo(f"\nOverview: {a.overview or '(not written)'}")
    click.echo(f"Positive practice: {a.positive_practice or '(none)'}")
    click.echo("\nActions:")
    click.echo(table(a.actions, ["action_id", "owner_role", "owner", "due", "status", "description"]))
    click.echo(f"\nStandards met: {'yes' if a.standards_met else 'no'}")
    if a.status == "draft":
        gaps = submission_gaps(a)
        click.echo("Ready to submit." if not gaps else f"To do before submitting ({len(gaps)}):")
        for g in gaps:
            click.echo(f"- {g}")


@audit_group.command("show")
@click.argument("audit_id", type=INT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def audit_show(state: CliState, audit_id: int, as_json: bool) -> None:
    """An audit: ratings with evidence and suggestions, overview, actions."""
    from core.audit import get_audit

    a = get_audit(state.context(), audit_id)
    if as_json:
        emit_json(a)
    else:
        _show_text(a)


@audit_group.command("fill")
@click.argument("audit_id", type=INT)
@click.option("--from", "from_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSON or TOML file: ratings, overview, positive_practice, actions (partial is fine).")
@click.option("--expect-version", type=INT, default=None,
              help="Refuse if the audit has changed since this version.")
@click.option("--reason", default=None, help="Why a submitted audit is amended (required then).")
@click.option("--json", "as_json", is_flag=True, help="Print the saved audit as JSON only.")
@pass_state
def audit_fill(state: CliState, audit_id: int, from_file: Path, expect_version: int | None,
               reason: str | None, as_json: bool) -> None:
    """Save ratings, evidence, overview, positive practice and actions from a file."""
    from core.audit import fill_audit, read_fill_file

    data = read_fill_file(from_file)
    a = fill_audit(state.context(), audit_id, data, expected_version=expect_version,
                   source=str(from_file), amendment_reason=reason)
    if as_json:
        emit_json(a)
        return
    click.echo(f"audit {a.audit_id} saved (version {a.version})")


@audit_group.command("submit")
@click.argument("audit_id", type=INT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def audit_submit(state: CliState, audit_id: int, as_json: bool) -> None:
    """Submit a complete audit; the worker and manager are alerted. Lists every gap otherwise."""
    from core.audit import submission_recipients, submit_audit

    ctx = state.context()
    a = submit_audit(ctx, audit_id)
    recipients = submission_recipients(ctx, a)
    for r in recipients:
        if not r["alerted"]:  # the auditor must tell them another way
            click.echo(f"warning: not alerted: {r['problem']}", err=True)
    if as_json:
        emit_json(a)
        return
    alerted = ", ".join(f"{r['name']} ({r['role']})" for r in recipients if r["alerted"]) or "nobody"
    click.echo(f"audit {a.audit_id} submitted; alerted {alerted}; action review due {show(a.review_due_at)}")


@audit_group.command("note")
@click.argument("audit_id", type=INT)
@pass_state
def audit_note(state: CliState, audit_id: int) -> None:
    """Print the QA Audit case note, ready to paste into the child's record."""
    from core.casenote import render_case_note

    click.echo(render_case_note(state.context(), audit_id), nl=False)


@audit_group.command("list")
@click.option("--status", type=click.Choice(AUDIT_STATUSES), default=None)
@click.option("--auditor", default=None, help="Only this auditor's audits.")
@click.option("--child", "child_id", default=None, help="Only this child's audits.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def audit_list(state: CliState, status, auditor, child_id, as_json: bool) -> None:
    """Audits, newest first."""
    from core.audit import list_audits

    rows = list_audits(state.context(), status=status, auditor=auditor, child_id=child_id)
    if as_json:
        emit_json(rows)
    else:  # times as a person reads them (London), like the other listings
        click.echo(table([{**r.model_dump(), "submitted_at": show(r.submitted_at)} for r in rows], LIST_COLUMNS))


@audit_group.command("prechecks")
@click.argument("audit_id", type=INT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def audit_prechecks(state: CliState, audit_id: int, as_json: bool) -> None:
    """Recompute the suggested ratings from the case notes now on record (your drafts)."""
    from core.audit import refresh_prechecks

    a = refresh_prechecks(state.context(), audit_id)
    suggestions = {sid: r.suggested.model_dump() for sid, r in a.ratings.items() if r.suggested}
    if as_json:
        emit_json({"audit_id": a.audit_id, "computed_at": a.prechecks_at, "suggestions": suggestions})
        return
    for sid, s in suggestions.items():
        click.echo(f"{sid}: {RATING_LABELS[s['rating']]}: {s['evidence']}")
