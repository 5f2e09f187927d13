"""init, tui, log: the general commands."""

from __future__ import annotations

import click

from . import INT, CliState, cli, emit_json, pass_state, table


def run_tui(state: CliState, *, create: bool) -> None:
    from core.collector import collector_paused

    ctx = state.context(create=create)
    with collector_paused():  # importing Textual makes many objects, no garbage; the app
        from tui.app import create_app  # then pauses it itself until its first screen shows

    create_app(ctx).run()


@cli.command("tui")
@pass_state
def tui_cmd(state: CliState) -> None:
    """Open the terminal application."""
    run_tui(state, create=False)


@cli.command()
@pass_state
def init(state: CliState) -> None:
    """Create or migrate the database."""
    ctx = state.context(create=True)
    click.echo(f"{ctx.store.path}: dipaudit database, schema {ctx.store.schema_version()}")


@cli.group("log", invoke_without_command=True)
@click.option("--entity", default=None, help="Only events about this entity (e.g. queue_item, audit).")
@click.option("--id", "entity_id", default=None, help="Only events about this entity id.")
@click.option("--limit", type=INT, default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def log_cmd(click_ctx: click.Context, entity: str | None, entity_id: str | None, limit: int,
            as_json: bool) -> None:
    """The event trail (append-only): who did what, when. 'log verify' checks its chain."""
    if click_ctx.invoked_subcommand is not None:
        return
    from core.events import list_events

    state = click_ctx.find_object(CliState)
    rows = list_events(state.context(), entity=entity, entity_id=entity_id, limit=limit)
    if as_json:
        emit_json(rows)
    else:
        from core.clock import show

        # People read London time; --json keeps the stored UTC instants.
        click.echo(table([{**e.model_dump(), "at": show(e.at)} for e in rows],
                         ["event_id", "at", "actor", "entity", "entity_id", "action"]))


@log_cmd.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def log_verify(state: CliState, as_json: bool) -> None:
    """Check the whole trail's chain of links: 'intact', or the first broken link (an event
    edited, deleted or inserted behind dipaudit's back). Exit 0 intact, 1 broken."""
    from core.trail import verify_trail

    verdict = verify_trail(state.context())
    if as_json:
        emit_json(verdict)
    elif verdict.intact:
        click.echo(f"intact: {verdict.events} event{'' if verdict.events == 1 else 's'}"
                   + (f", newest {verdict.head}" if verdict.head else ""))
    else:
        click.echo(f"broken at event {verdict.first_broken}: {verdict.problem}", err=True)
    if not verdict.intact:
        raise click.exceptions.Exit(1)


@cli.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def doctor_cmd(state: CliState, as_json: bool) -> None:
    """Check the deployment: file modes, config and act_as, the mail and Teams URLs, the last
    delivering tick, the trail. One line each, ok|warning|fail; exit 0 ok, 1 warning, 2 fail."""
    from notify.doctor import run_doctor

    report = run_doctor(state.db, state.context)
    if as_json:
        emit_json({"status": report.status, "checks": report.checks})
    else:
        width = max((len(c.what) for c in report.checks), default=0)
        for c in report.checks:
            click.echo(f"{c.status:<8} {c.what:<{width}}  {c.detail}")
    if report.exit_code:
        raise click.exceptions.Exit(report.exit_code)
