"""CLI: dipaudit demo."""

from __future__ import annotations

import click
from click.core import ParameterSource

from core import locations
from core.clock import clock_from
from core.config import load_settings
from core.context import os_login

from . import CliState, SqliteInt, cli, emit_json, pass_state

EXPLICIT = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


@cli.command()
@click.option("--no-tui", is_flag=True, help="Build (or reuse) the demo database, print its summary, do not open the TUI.")
@click.option("--seed", type=SqliteInt(minimum=0), default=None, help="Seed of the synthetic council (default 2020); another seed needs --force on an existing demo.")
@click.option("--force", is_flag=True, help="Rebuild the demo database from scratch.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON only (implies --no-tui).")
@click.pass_context
@pass_state
def demo(state: CliState, click_ctx: click.Context, no_tui: bool, seed: int | None, force: bool,
         as_json: bool) -> None:
    """Build a demo database (synthetic caseload, case notes, people) and open it.

    Without --db the demo lives in its own file in the user data dir, never in
    your real database. An existing demo database is reused unless --force.
    """
    from core.demo import DEMO_ADMIN, DEMO_PDT, DEMO_USER, prepare_demo

    root = click_ctx.find_root()
    if root.get_parameter_source("db") not in EXPLICIT:
        state.db = locations.demo_db()
    if root.get_parameter_source("user") not in EXPLICIT:
        state.user = DEMO_USER
    try:
        clock = clock_from(state.now)
    except ValueError as exc:
        raise click.BadParameter(f"'{state.now}' is not an ISO-8601 time", param_hint="--now") from exc
    summary = prepare_demo(state.db, clock=clock, settings=load_settings(), os_login=os_login(),
                           seed=seed, force=force)
    if as_json:
        emit_json(summary)
        return
    verb = "built" if summary["built"] else "reused (--force rebuilds it)"
    click.echo(f"demo database {verb}: {summary['path']}")
    click.echo(
        f"  {summary['people']} people, {summary['teams']} teams, {summary['children']} children"
        f" ({summary['open_cases']} open, {summary['unallocated']} unallocated,"
        f" {summary['sibling_groups']} sibling groups), {summary['case_notes']} case notes"
    )
    audits = ", ".join(f"{n} {status}" for status, n in summary["audits_by_status"].items()) or "none"
    click.echo(f"  {summary['queued']} children in the sample queue"
               f" ({summary['queued_for_demo_user']} for {DEMO_USER}); audits: {audits};"
               f" {summary['escalations_open']} open escalations")
    click.echo(f"  acting as {state.user or os_login()}; try --user {DEMO_PDT} (PDT) or --user {DEMO_ADMIN} (admin)")
    if not no_tui:
        from .misc import run_tui

        run_tui(state, create=False)
