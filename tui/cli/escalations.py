"""CLI: dipaudit escalate | escalation respond|hos|close|show | escalations.
Thin: parse, call one core service, print."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from core import escalation as escalation_svc
from core.clock import show
from core.vocabulary import LEVEL_LABELS, PHONED

from . import INT, CliState, cli, emit_json, pass_state, table

if TYPE_CHECKING:
    from core.models import Escalation



def _print_escalation(esc: Escalation, as_json: bool) -> None:
    if as_json:
        emit_json(esc)
        return
    click.echo(f"escalation {esc.escalation_id} (audit {esc.audit_id}, child {esc.child_id}):"
               f" {esc.status}, with {esc.recipient} ({LEVEL_LABELS[esc.level]}),"
               f" respond by {show(esc.respond_by)}" + (f", OVERDUE by {esc.time_over}" if esc.overdue else ""))


@cli.command("escalate")
@click.argument("audit_id", type=INT)
@click.option("--concern", required=True, help="The concern about risk of significant harm.")
@click.option("--phoned", type=click.Choice(PHONED), default=None,
              help="Whether a phone call reached the recipient; unless reached, an email alert goes out.")
@click.option("--respond-by", "respond_by", default=None,
              help="ISO-8601 time (London unless an offset); default one working day from now.")
@click.option("--to", "to", type=click.Choice(["manager", "hos"]), default="manager",
              help="hos: straight to the Head of Service (significant concerns).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def escalate_cmd(state: CliState, audit_id: int, concern: str, phoned: str | None, respond_by: str | None,
                 to: str, as_json: bool) -> None:
    """Escalate a concern about AUDIT_ID's child to the supervising manager (or the Head of Service)."""
    esc = escalation_svc.escalate(state.context(), audit_id, concern, phoned=phoned, respond_by=respond_by,
                                  to_hos=to == "hos")
    _print_escalation(esc, as_json)


@cli.group("escalation")
def escalation_group() -> None:
    """Respond to, refer, close or show an escalation."""


@escalation_group.command("respond")
@click.argument("escalation_id", type=INT)
@click.option("--text", required=True, help="The response.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def escalation_respond(state: CliState, escalation_id: int, text: str, as_json: bool) -> None:
    """Record the response (the recipient, or an auditor on their behalf)."""
    _print_escalation(escalation_svc.respond(state.context(), escalation_id, text), as_json)


@escalation_group.command("hos")
@click.argument("escalation_id", type=INT)
@click.option("--reason", default=None, help="Why it goes to the Head of Service.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def escalation_hos(state: CliState, escalation_id: int, reason: str | None, as_json: bool) -> None:
    """Refer to the Head of Service now (auditors)."""
    _print_escalation(escalation_svc.refer_to_hos(state.context(), escalation_id, reason), as_json)


@escalation_group.command("close")
@click.argument("escalation_id", type=INT)
@click.option("--outcome", required=True, help="The outcome.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def escalation_close(state: CliState, escalation_id: int, outcome: str, as_json: bool) -> None:
    """Close with an outcome (auditors)."""
    _print_escalation(escalation_svc.close(state.context(), escalation_id, outcome), as_json)


@escalation_group.command("show")
@click.argument("escalation_id", type=INT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def escalation_show(state: CliState, escalation_id: int, as_json: bool) -> None:
    """An escalation and its timeline."""
    esc = escalation_svc.get_escalation(state.context(), escalation_id)
    if as_json:
        emit_json(esc)
        return
    _print_escalation(esc, False)
    click.echo(f"concern: {esc.concern}")
    steps = [{**s.model_dump(), "when": show(s.at)} for s in esc.steps]
    click.echo(table(steps, ["when", "kind", "by", "recipient", "text"]))


@cli.command("escalations")
@click.option("--all", "include_closed", is_flag=True, help="Include closed escalations.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def escalations_list(state: CliState, include_closed: bool, as_json: bool) -> None:
    """Escalations by deadline; overdue ones marked."""
    rows = escalation_svc.list_escalations(state.context(), include_closed=include_closed)
    if as_json:
        emit_json(rows)
        return
    shown = [{**e.model_dump(), "respond": show(e.respond_by), "over": e.time_over} for e in rows]
    click.echo(table(shown, ["escalation_id", "audit_id", "child_id", "level", "status", "recipient",
                             "respond", "over"]))
