"""CLI: dipaudit sample (draw, show) and dipaudit queue (list, claim, release).

Thin: parse, call one core service, print.
"""

from __future__ import annotations

import click

from core.clock import show
from core.vocabulary import QUEUE_STATUSES

from . import INT, CliState, SqliteInt, cli, emit_json, pass_state, table

PICK_COLUMNS = ["child_id", "worker", "team", "tier", "cohort", "reason"]
QUEUE_COLUMNS = ["queue_id", "child_id", "worker", "team", "tier", "cohort", "auditor", "status", "claimed_by"]


@cli.group("sample", invoke_without_command=True)
@click.option("--per-worker", type=click.IntRange(min=1), default=None,
              help="Children per worker (default from config, 1).")
@click.option("--tier", "tiers", type=INT, multiple=True, help="Only these tiers (repeatable).")
@click.option("--team", "teams", multiple=True, help="Only these teams (repeatable).")
@click.option("--seed", type=SqliteInt(minimum=0), default=None,
              help="Random seed; the same seed on the same data draws the same children.")
@click.option("--auditor", "auditors", multiple=True,
              help="Assign picks round-robin to these auditors (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would be drawn; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def sample_cmd(click_ctx: click.Context, per_worker, tiers, teams, seed, auditors, dry_run, as_json) -> None:
    """Draw a dip sample: N children per worker, tier 1 first, at random by seed."""
    if click_ctx.invoked_subcommand is not None:
        return
    from core.sampling import draw_sample

    state: CliState = click_ctx.find_object(CliState)
    result = draw_sample(state.context(), per_worker=per_worker, tiers=list(tiers) or None,
                         teams=list(teams) or None, seed=seed, auditors=list(auditors) or None,
                         dry_run=dry_run)
    if as_json:
        emit_json({
            "sample_id": result.sample_id,
            "seed": result.seed,
            "picks": result.picks,
            "unfilled": result.unfilled,
        })
        return
    head = "Dry run (nothing written)" if dry_run else f"Sample {result.sample_id}"
    n = len(result.picks)
    click.echo(f"{head}: seed {result.seed}, {n} {'child' if n == 1 else 'children'} drawn")
    click.echo(table(result.picks, PICK_COLUMNS))
    if result.unfilled:
        click.echo(f"\nWorkers not filled ({len(result.unfilled)}):")
        click.echo(table(result.unfilled, ["worker", "team", "reason"]))


@sample_cmd.command("show")
@click.argument("sample_id", type=INT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def sample_show(state: CliState, sample_id: int, as_json: bool) -> None:
    """The stored log of a draw: seed, parameters, population, every exclusion and why."""
    from core.sampling import get_sample

    s = get_sample(state.context(), sample_id)
    if as_json:
        emit_json(s)
        return
    p = s.params
    click.echo(f"Sample {s.sample_id}: seed {s.seed}, drawn {show(s.created_at)} by {s.created_by}")

    def listed(values) -> str:
        return ", ".join(str(v) for v in values or [])

    click.echo(f"Parameters: {p.get('per_worker')} per worker, tiers {listed(p.get('tiers'))}, "
               f"teams {listed(p.get('teams')) or 'all'}, auditors {listed(p.get('auditors')) or 'any'}, "
               f"exclusion {p.get('exclusion_days')} days, draw date {p.get('draw_date')}")
    click.echo("Eligible per tier: " + ", ".join(f"tier {t}: {n}" for t, n in s.population.items()))
    counts = s.exclusions.counts
    click.echo("Excluded: " + (", ".join(f"{k}: {n}" for k, n in counts.items()) or "none"))
    click.echo(f"\nPicks ({len(s.picks)}):")
    click.echo(table(s.picks, ["queue_id", *PICK_COLUMNS, "auditor", "status"]))
    if s.unfilled:
        click.echo(f"\nWorkers not filled ({len(s.unfilled)}):")
        click.echo(table(s.unfilled, ["worker", "team", "reason"]))
    if s.exclusions.children:
        click.echo(f"\nExcluded children ({len(s.exclusions.children)}):")
        click.echo(table(s.exclusions.children, ["child_id", "worker", "tier", "cohort", "reason"]))


@cli.group("queue", invoke_without_command=True)
@click.option("--status", type=click.Choice(QUEUE_STATUSES),
              default=None, help="Only items with this status.")
@click.option("--auditor", default=None, help="Only items assigned to or claimed by this login.")
@click.option("--team", default=None, help="Only this team.")
@click.option("--all", "include_done", is_flag=True, help="Include done and cancelled items.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def queue_cmd(click_ctx: click.Context, status, auditor, team, include_done, as_json) -> None:
    """The sample queue (live items unless --all or --status)."""
    if click_ctx.invoked_subcommand is not None:
        return
    from core.queue import list_queue

    state: CliState = click_ctx.find_object(CliState)
    items = list_queue(state.context(), status=status, auditor=auditor, team=team,
                       include_done=include_done)
    if as_json:
        emit_json(items)
    else:
        click.echo(table(items, QUEUE_COLUMNS))


def _show_item(item, as_json: bool, verb: str) -> None:
    if as_json:
        emit_json(item)
    else:
        click.echo(f"queue item {item.queue_id} (child {item.child_id}) {verb}")


@queue_cmd.command("claim")
@click.argument("queue_id", type=INT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def queue_claim(state: CliState, queue_id: int, as_json: bool) -> None:
    """Claim a queued item for yourself (atomic: one auditor wins)."""
    from core.queue import claim

    item = claim(state.context(), queue_id)
    if item.status == "in_progress":  # yours already, its audit started: claiming changed nothing
        _show_item(item, as_json, f"is already yours, in progress (audit {item.audit_id})")
    else:
        _show_item(item, as_json, f"claimed by {item.claimed_by}")


@queue_cmd.command("release")
@click.argument("queue_id", type=INT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def queue_release(state: CliState, queue_id: int, as_json: bool) -> None:
    """Put an item you claimed back in the queue."""
    from core.queue import release

    item = release(state.context(), queue_id)
    _show_item(item, as_json, "released back to the queue")


@queue_cmd.command("reassign")
@click.argument("queue_id", type=INT)
@click.option("--to", "to", required=True, help="The auditor who takes it (still here, with the auditor role).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def queue_reassign(state: CliState, queue_id: int, to: str, as_json: bool) -> None:
    """Give a live queue item (and an audit in progress from it) to another auditor (admins)."""
    from core.queue import reassign

    item = reassign(state.context(), queue_id, to)
    _show_item(item, as_json, f"reassigned to {to}")
