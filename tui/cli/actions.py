"""CLI: dipaudit actions | action review (the Practice Development Team's action review).
Thin: parse, call one core service, print."""

from __future__ import annotations

import click

from core import actions as actions_svc
from core.clock import show
from core.vocabulary import OUTCOME_LABELS, OUTCOMES

from . import INT, CliState, cli, emit_json, pass_state, table


@cli.command("actions")
@click.option("--due", "due_only", is_flag=True, help="Only actions whose review is due, or overdue.")
@click.option("--all", "include_closed", is_flag=True, help="Include reviewed (closed) actions.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def actions_list(state: CliState, due_only: bool, include_closed: bool, as_json: bool) -> None:
    """Recommended actions of submitted audits: reviews due first, then overdue."""
    rows = actions_svc.list_actions(state.context(), due_only=due_only, include_closed=include_closed)
    if as_json:
        emit_json(rows)
        return
    shown = [{**a.model_dump(), "review": show(a.review_due),
              "flags": " ".join(f for f, on in (("REVIEW", a.review_is_due), ("OVERDUE", a.overdue)) if on)}
             for a in rows]
    click.echo(table(shown, ["action_id", "audit_id", "child_id", "owner", "owner_role", "due", "status",
                             "review", "flags"]))


@cli.group("action")
def action_group() -> None:
    """Review an action (Practice Development Team); reassign one (admins)."""


@action_group.command("review")
@click.argument("action_id", type=INT)
@click.option("--outcome", required=True, type=click.Choice(OUTCOMES))
@click.option("--new-due", "new_due", default=None, help="YYYY-MM-DD: required for not_completed.")
@click.option("--note", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def action_review(state: CliState, action_id: int, outcome: str, new_due: str | None, note: str | None,
                  as_json: bool) -> None:
    """Record the PDT review of ACTION_ID."""
    action = actions_svc.review_action(state.context(), action_id, outcome, new_due=new_due, note=note)
    if as_json:
        emit_json(action)
    else:
        click.echo(f"action {action_id}: {OUTCOME_LABELS[outcome]}"
                   + (f", now due {action.due}" if outcome == "not_completed" else ""))


@action_group.command("reassign")
@click.argument("action_id", type=INT)
@click.option("--to", "to", required=True, help="The new owner (still here, with the action's owner role).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def action_reassign(state: CliState, action_id: int, to: str, as_json: bool) -> None:
    """Give an open action to another owner (admins); they are told."""
    action = actions_svc.reassign(state.context(), action_id, to)
    if as_json:
        emit_json(action)
    else:
        click.echo(f"action {action_id}: now {to}'s, due {action.due}")
