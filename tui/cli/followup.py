"""CLI commands after submission: comments, finalisation, addenda, escalations, actions,
the scheduler tick and notification delivery. Thin: parse, call one core service, print."""

from __future__ import annotations

import click

from core import actions as actions_svc
from core import comments as comments_svc
from core import escalation as escalation_svc
from core import outbox as outbox_svc
from core.clock import show
from core.errors import DipauditError
from core.tick import tick as run_tick

from . import INT, CliState, cli, emit_json, pass_state, table
from .audit import audit_group


class _DefaultGroup(click.Group):
    """A group whose first argument may be a subcommand or the default command's argument:
    ``comment 12 --text T`` is ``comment add 12 --text T``; ``comment resolve 7 ...`` stays."""

    default_command = "add"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def _when(value: str | None) -> str:
    return show(value) if value else ""


# --- comments ------------------------------------------------------------------------
@cli.group("comment", cls=_DefaultGroup)
def comment_group() -> None:
    """Comment on a submitted audit (COMMENT AUDIT_ID --text T), or resolve a comment."""


@comment_group.command("add")
@click.argument("audit_id", type=INT)
@click.option("--text", required=True, help="The comment.")
@click.option("--query", is_flag=True, help="A query: pauses finalisation until the auditor resolves it.")
@click.option("--on-behalf-of", "on_behalf_of", default=None,
              help="Auditors: record a reply received by email from this worker or manager (login).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def comment_add(state: CliState, audit_id: int, text: str, query: bool, on_behalf_of: str | None,
                as_json: bool) -> None:
    """Add a comment (or a query) to AUDIT_ID within its comment window."""
    row = comments_svc.add_comment(state.context(), audit_id, text, query=query, on_behalf_of=on_behalf_of)
    if as_json:
        emit_json(row)
    else:
        kind = "query" if row["is_query"] else "comment"
        click.echo(f"{kind} {row['comment_id']} added to audit {audit_id} from {row['author']}")


@comment_group.command("resolve")
@click.argument("comment_id", type=INT)
@click.option("--text", required=True, help="The answer.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def comment_resolve(state: CliState, comment_id: int, text: str, as_json: bool) -> None:
    """Resolve a comment or query (the audit's auditor)."""
    row = comments_svc.resolve_comment(state.context(), comment_id, text)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"comment {comment_id} resolved")


@cli.command("comments")
@click.argument("audit_id", type=INT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def comments_list(state: CliState, audit_id: int, as_json: bool) -> None:
    """The comments on AUDIT_ID, with addenda."""
    ctx = state.context()
    rows = comments_svc.list_comments(ctx, audit_id)
    addenda = comments_svc.list_addenda(ctx, audit_id)
    if as_json:
        emit_json({"audit_id": audit_id, "comments": rows, "addenda": addenda})
        return
    shown = [dict(r, created=_when(r["created_at"]), query="yes" if r["is_query"] else "") for r in rows]
    click.echo(table(shown, ["comment_id", "created", "author", "query", "status", "text", "resolution"]))
    for a in addenda:
        click.echo(f"addendum {a['addendum_id']} ({_when(a['created_at'])}, {a['created_by']}): {a['text']}")


@audit_group.command("finalise")
@click.argument("audit_id", type=INT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def audit_finalise(state: CliState, audit_id: int, as_json: bool) -> None:
    """Finalise an audit whose query was resolved after its comment window closed (its auditor)."""
    row = comments_svc.finalise_audit(state.context(), audit_id)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"audit {audit_id} finalised {_when(row['finalised_at'])} by {row['finalised_by']}")


@audit_group.command("addendum")
@click.argument("audit_id", type=INT)
@click.option("--text", required=True, help="The correction.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def audit_addendum(state: CliState, audit_id: int, text: str, as_json: bool) -> None:
    """Add an addendum (a correction) to a finalised audit."""
    row = comments_svc.add_addendum(state.context(), audit_id, text)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"addendum {row['addendum_id']} added to audit {audit_id}")


# --- escalations --------------------------------------------------------------------
def _print_escalation(row: dict, as_json: bool) -> None:
    if as_json:
        emit_json(row)
        return
    click.echo(f"escalation {row['escalation_id']} (audit {row['audit_id']}, child {row['child_id']}):"
               f" {row['status']}, with the {escalation_svc.LEVEL_LABELS[row['level']]} {row['recipient']},"
               f" respond by {_when(row['respond_by'])}" + (f", OVERDUE by {row['time_over']}" if row["overdue"] else ""))


@cli.command("escalate")
@click.argument("audit_id", type=INT)
@click.option("--concern", required=True, help="The concern about risk of significant harm.")
@click.option("--phoned", type=click.Choice(escalation_svc.PHONED), default=None,
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
    row = escalation_svc.escalate(state.context(), audit_id, concern, phoned=phoned, respond_by=respond_by,
                                  to_hos=to == "hos")
    _print_escalation(row, as_json)


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
    row = escalation_svc.get_escalation(state.context(), escalation_id)
    if as_json:
        emit_json(row)
        return
    _print_escalation(row, False)
    click.echo(f"concern: {row['concern']}")
    steps = [dict(s, when=_when(s["at"])) for s in row["steps"]]
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
    shown = [dict(r, respond=_when(r["respond_by"]), over=r["time_over"]) for r in rows]
    click.echo(table(shown, ["escalation_id", "audit_id", "child_id", "level", "status", "recipient",
                             "respond", "over"]))


# --- actions ------------------------------------------------------------------------
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
    shown = [dict(r, review=_when(r["review_due"]),
                  flags=" ".join(f for f, on in (("REVIEW", r["review_is_due"]), ("OVERDUE", r["overdue"])) if on))
             for r in rows]
    click.echo(table(shown, ["action_id", "audit_id", "child_id", "owner", "owner_role", "due", "status",
                             "review", "flags"]))


@cli.group("action")
def action_group() -> None:
    """Review an action (Practice Development Team)."""


@action_group.command("review")
@click.argument("action_id", type=INT)
@click.option("--outcome", required=True, type=click.Choice(actions_svc.OUTCOMES))
@click.option("--new-due", "new_due", default=None, help="YYYY-MM-DD: required for not_completed.")
@click.option("--note", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def action_review(state: CliState, action_id: int, outcome: str, new_due: str | None, note: str | None,
                  as_json: bool) -> None:
    """Record the PDT review of ACTION_ID."""
    row = actions_svc.review_action(state.context(), action_id, outcome, new_due=new_due, note=note)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"action {action_id}: {actions_svc.OUTCOME_LABELS[outcome]}"
                   + (f", now due {row['due']}" if outcome == "not_completed" else ""))


# --- the scheduler and delivery -----------------------------------------------------
@cli.command("tick")
@click.option("--no-send", "no_send", is_flag=True, help="Do the due work but leave the outbox unsent.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def tick_cmd(state: CliState, no_send: bool, as_json: bool) -> None:
    """All due work, safe to run every few minutes from cron or a systemd timer."""
    ctx = state.context()
    done = run_tick(ctx)
    if no_send:
        done.update(delivered=0, failed=0, dead=0, sent=False)
    else:
        from notify.delivery import deliver_pending  # Apprise is loaded only when sending

        done.update(deliver_pending(ctx), sent=True)
    if as_json:
        emit_json(done)
        return
    click.echo(f"finalised {len(done['finalised'])}, reviews due {len(done['reviews_due'])},"
               f" reminders {len(done['reminders'])}, escalations overdue {len(done['escalations_overdue'])},"
               f" referred {len(done['referred'])}; delivered {done['delivered']}, failed {done['failed']}")


@cli.group("notify")
def notify_group() -> None:
    """The notification outbox: list, send now, test a person's channels."""


@notify_group.command("outbox")
@click.option("--status", type=click.Choice(outbox_svc.STATUSES), default=None)
@click.option("--limit", type=INT, default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def notify_outbox(state: CliState, status: str | None, limit: int, as_json: bool) -> None:
    """Outbox rows, newest first."""
    rows = outbox_svc.list_outbox(state.context(), status=status, limit=limit)
    if as_json:
        emit_json(rows)
        return
    shown = [dict(r, created=_when(r["created_at"]), retry=_when(r["next_attempt_at"])) for r in rows]
    click.echo(table(shown, ["outbox_id", "created", "recipient", "template", "status", "attempts", "retry",
                             "last_error"]))


@notify_group.command("flush")
@click.option("--dead", "include_dead", is_flag=True, help="Also retry messages that were given up on.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def notify_flush(state: CliState, include_dead: bool, as_json: bool) -> None:
    """Send every pending message now, retrying failed ones without waiting for their backoff."""
    from notify.delivery import deliver_pending

    ctx = state.context()
    outbox_svc.retry_now(ctx, include_dead=include_dead)
    counts = deliver_pending(ctx)
    if as_json:
        emit_json(counts)
    else:
        click.echo(f"delivered {counts['delivered']}, failed {counts['failed']}, dead {counts['dead']}")


@notify_group.command("test")
@click.argument("login")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def notify_test(state: CliState, login: str, as_json: bool) -> None:
    """Send a test message to LOGIN through their channels now."""
    from notify.delivery import send_test

    result = send_test(state.context(), login)
    if as_json:
        emit_json(result)
    elif result["delivered"]:
        click.echo(f"test message delivered to {login} ({', '.join(result['channels'])})")
    if not result["delivered"]:  # a failed test exits non-zero, with or without --json
        raise DipauditError(f"test message to {login} not delivered: {result['error']}")

