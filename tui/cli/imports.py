"""CLI: dipaudit import caseload|notes|people FILE. Thin: parse, call one core service, print."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import click

from . import CliState, cli, emit_json, pass_state

# A progress bar is worth drawing only for files that take a moment.
PROGRESS_MIN_BYTES = 2_000_000


def _common(f: Callable) -> Callable:
    for option in reversed([
        click.argument("file", type=click.Path(path_type=Path)),
        click.option("--dry-run", is_flag=True, help="Validate and count; write nothing."),
        click.option("--skip-invalid", is_flag=True,
                     help="Import the valid rows; write the rejected ones with reasons to a rejects CSV."),
        click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False, path_type=Path),
                     default=None, help="Where the rejects CSV goes (default FILE-stem.rejects.csv beside FILE)."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON only."),
    ]):
        f = option(f)
    return f


@cli.group("import")
def import_group() -> None:
    """Import a caseload (Ofsted Annex A Lists 6-9 or canonical CSV), case notes or people."""


@import_group.command("caseload")
@_common
@click.option("--list", "list_number", type=click.IntRange(6, 9), default=None,
              help="The Annex A list the file holds (6, 7, 8 or 9), when its headings do not say.")
@pass_state
def import_caseload_cmd(state: CliState, file: Path, dry_run: bool, skip_invalid: bool,
                        rejects_path: Path | None, as_json: bool, list_number: int | None) -> None:
    """Import a caseload snapshot: children missing from a newer extract of a list are closed."""
    from core.importers import import_caseload

    _run(state, "caseload", import_caseload, file, as_json, dry_run=dry_run, skip_invalid=skip_invalid,
         rejects_path=rejects_path, list_number=list_number)


@import_group.command("notes")
@_common
@pass_state
def import_notes_cmd(state: CliState, file: Path, dry_run: bool, skip_invalid: bool,
                     rejects_path: Path | None, as_json: bool) -> None:
    """Import case-note history: child_id,date,type,author,summary."""
    from core.importers import import_notes

    _run(state, "notes", import_notes, file, as_json, dry_run=dry_run, skip_invalid=skip_invalid,
         rejects_path=rejects_path)


@import_group.command("people")
@_common
@pass_state
def import_people_cmd(state: CliState, file: Path, dry_run: bool, skip_invalid: bool,
                      rejects_path: Path | None, as_json: bool) -> None:
    """Import the people directory (the whole of it: people missing from it leave):
    login,name,roles,team,email,teams,manager,head_of_service[,os_login]."""
    from core.importers import import_people

    _run(state, "people", import_people, file, as_json, dry_run=dry_run, skip_invalid=skip_invalid,
         rejects_path=rejects_path)


def _run(state: CliState, kind: str, service: Callable, file: Path, as_json: bool, **options) -> None:
    ctx = state.context(create=True)
    with _progress(file) as progress:
        result = service(ctx, file, progress=progress, **options)
    if as_json:
        emit_json(result)
        return
    what = "children" if kind == "caseload" else kind
    closed = "left" if kind == "people" else "closed"  # people missing from the directory have left
    line = (f"{file}: {what} {result.added} added, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.closed} {closed}, {result.rejected} rejected")
    if options.get("dry_run"):
        line += " (dry run: nothing written)"
    click.echo(line)
    if result.rejects_file:
        click.echo(f"rejected rows and their reasons: {result.rejects_file}")


@contextmanager
def _progress(file: Path):
    """A progress bar on stderr, only on a terminal and only for a large file."""
    try:
        large = file.stat().st_size >= PROGRESS_MIN_BYTES
    except OSError:
        large = False
    if not (large and sys.stderr.isatty()):
        yield None
        return
    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=f"reading {file.name}", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
