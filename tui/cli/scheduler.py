"""CLI: dipaudit tick (the scheduler) and dipaudit notify outbox|flush|test (delivery).
Thin: parse, call one service, print."""

from __future__ import annotations

import click

from core.clock import show
from core.errors import DipauditError
from core.vocabulary import OUTBOX_STATUSES

from . import INT, CliState, cli, emit_json, pass_state, table


@cli.command("tick")
@click.option("--no-send", "no_send", is_flag=True, help="Do the due work but leave the outbox unsent.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def tick_cmd(state: CliState, no_send: bool, as_json: bool) -> None:
    """All due work, safe to run every few minutes from cron or a systemd timer."""
    from notify.scheduler import run_scheduler

    done = run_scheduler(state.context(for_scheduler=True), deliver=not no_send)
    if as_json:
        emit_json(done)
        return
    click.echo(f"finalised {len(done.finalised)}, reviews due {len(done.reviews_due)},"
               f" reminders {len(done.reminders)}, escalations overdue {len(done.escalations_overdue)},"
               f" referred {len(done.referred)}, reports {len([r for r in done.reports if r.report_id])};"
               f" delivered {done.delivered}, failed {done.failed}" + _trail_words(done.trail))
    if done.trail is not None and not done.trail.intact:  # said every run until it is looked into
        click.echo(f"trail broken at event {done.trail.first_broken}: {done.trail.problem}"
                   " (dipaudit log verify)", err=True)
    for r in done.reports:
        if r.error:  # a council's broken report template: said every run until it is fixed
            click.echo(f"{r.kind} report for {show(r.slot)} not sent: {r.error}", err=True)


def _trail_words(trail) -> str:
    """The trail's head as this tick verified it: a log kept out of the group's reach (the
    service account's) then holds the chain's links, to compare with `dipaudit log --json`."""
    if trail is None or not trail.intact:
        return ""
    if trail.head is None:
        return "; trail empty"
    # 'intact': this run verified the whole chain (daily); 'linked': the events since the
    # last checkpoint follow on from it (an older edit waits for the daily whole check).
    word = "intact" if trail.after == 0 else "linked"
    return f"; trail {word} to event {trail.head} ({(trail.head_hash or '')[:16]})"


@cli.group("notify")
def notify_group() -> None:
    """The notification outbox: list, send now, test a person's channels."""


@notify_group.command("outbox")
@click.option("--status", type=click.Choice(OUTBOX_STATUSES), default=None)
@click.option("--limit", type=INT, default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def notify_outbox(state: CliState, status: str | None, limit: int, as_json: bool) -> None:
    """Outbox rows, newest first."""
    from core import outbox as outbox_svc  # its models (pydantic): not loaded by `dipaudit tick`

    rows = outbox_svc.list_outbox(state.context(), status=status, limit=limit)
    if as_json:
        emit_json(rows)
        return
    shown = [{**m.model_dump(), "created": show(m.created_at), "retry": show(m.next_attempt_at)} for m in rows]
    click.echo(table(shown, ["outbox_id", "created", "recipient", "template", "status", "attempts", "retry",
                             "last_error"]))


@notify_group.command("flush")
@click.option("--dead", "include_dead", is_flag=True, help="Also retry messages that were given up on.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def notify_flush(state: CliState, include_dead: bool, as_json: bool) -> None:
    """Send every pending message now, retrying failed ones without waiting for their backoff."""
    from core import outbox as outbox_svc
    from notify.delivery import deliver_pending  # Apprise is loaded only when sending

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
    from notify.delivery import send_test  # Apprise is loaded only when sending

    result = send_test(state.context(), login)
    if as_json:
        emit_json(result)
    elif result["delivered"]:
        click.echo(f"test message delivered to {login} ({', '.join(result['channels'])})")
    if not result["delivered"]:  # a failed test exits non-zero, with or without --json
        raise DipauditError(f"test message to {login} not delivered: {result['error']}")
