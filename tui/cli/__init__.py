"""The command line: thin wrappers over core services (design.md "CLI contract").

Global options --db, --user, --now (env DIPAUDIT_DB, DIPAUDIT_USER, DIPAUDIT_NOW).
Listing commands take --json and then print JSON only. Errors are one line per
fault on stderr and a non-zero exit; nothing is written.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

import click
from pydantic_core import to_jsonable_python

from core import locations
from core.clock import clock_from
from core.config import load_settings
from core.context import Context, os_login
from core.errors import DipauditError
from core.identity import establish
from core.store import Store


@dataclass
class CliState:
    db: Path
    user: str | None  # --user / DIPAUDIT_USER as given (None: the OS login's own person)
    now: str | None
    _ctx: Context | None = field(default=None, repr=False)

    def context(self, *, create: bool = False, for_scheduler: bool = False) -> Context:
        """Open the database and build the service context (once per command), acting as
        ``core.identity.establish`` allows (a one-line refusal otherwise, nothing written).
        ``for_scheduler``: the command is ``dipaudit tick`` (``--user system`` is accepted)."""
        if self._ctx is None:
            try:
                clock = clock_from(self.now)
            except ValueError as exc:
                raise click.BadParameter(f"'{self.now}' is not an ISO-8601 time", param_hint="--now") from exc
            settings = load_settings()
            login = os_login()
            ask = {"os_login": login, "user": self.user, "moves_clock": self.now is not None,
                   "scheduler": for_scheduler}
            if not self.db.exists():  # decided before the file is made: a refusal leaves nothing behind
                establish(None, settings, **ask)
            store = Store.open(self.db, create=create)
            try:
                who = establish(store, settings, **ask)
            except BaseException:
                store.close()
                raise
            self._ctx = Context(store=store, clock=clock, settings=settings, user=who.user, os_login=login)
        return self._ctx


pass_state = click.make_pass_decorator(CliState)


class lazy_service:  # noqa: N801 (stands in for a module)
    """A core service module imported when a command first uses it, so that ``--help``,
    the TUI and every other command do not load it (``actions_svc = lazy_service("core.actions")``)."""

    def __init__(self, module: str):
        self._module = module

    def __getattr__(self, name: str):
        return getattr(import_module(self._module), name)


class SqliteInt(click.types.IntParamType):
    """An integer that fits SQLite's 64 bits (ids, limits, seeds): a larger one is a usage
    error (one line), not an OverflowError traceback."""

    def __init__(self, minimum: int | None = None):
        self.minimum = minimum

    def convert(self, value, param, ctx):
        n = super().convert(value, param, ctx)
        if self.minimum is not None and n < self.minimum:
            self.fail(f"{n} is not in the range x>={self.minimum}.", param, ctx)
        if not -(2**63) <= n < 2**63:
            self.fail(f"{value!r} is too large (at most 19 digits).", param, ctx)
        return n


INT = SqliteInt()


def emit_json(data) -> None:
    """JSON only on stdout (pydantic models, and dicts and lists of them, dates welcome)."""
    click.echo(json.dumps(to_jsonable_python(data, fallback=str), indent=2, ensure_ascii=False))


def table(rows: list, columns: list[str]) -> str:
    """A plain aligned text table for terminal listings (rows: dicts or pydantic models)."""
    if not rows:
        return "(none)"

    def cell(row, column: str) -> str:
        value = row.get(column) if isinstance(row, dict) else getattr(row, column, None)
        return "" if value is None else str(value)

    cells = [[cell(r, c) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    out = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in out)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), envvar="DIPAUDIT_DB",
              default=None, help="Database file (env DIPAUDIT_DB; default in the user data dir).")
@click.option("--user", envvar="DIPAUDIT_USER", default=None,
              help="Act as this login (env DIPAUDIT_USER; default the person whose OS login you are;"
                   " anyone else only for [security] act_as or on a demo database).")
@click.option("--now", envvar="DIPAUDIT_NOW", default=None,
              help="The clock, ISO-8601 (env DIPAUDIT_NOW; London time unless an offset is given;"
                   " only for [security] act_as or on a demo database).")
@click.version_option(package_name="dipaudit")
@click.pass_context
def cli(click_ctx: click.Context, db: Path | None, user: str | None, now: str | None) -> None:
    """dipaudit: dip sample audits for children's social care."""
    click_ctx.obj = CliState(db=db or locations.default_db(), user=user, now=now)
    if click_ctx.invoked_subcommand is None:
        from .misc import run_tui

        run_tui(click_ctx.obj, create=False)


# Control characters a message may carry from what a person typed or a file held (ESC
# sequences rewrite a terminal's title or screen): shown escaped. Newlines stay: a
# message of several faults is one line per fault.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), *range(0x0b, 0x20), 0x7f)}


def printable(text: str) -> str:
    """``text`` with control characters (all but newline and tab) shown as ``\\xNN``."""
    return text.translate(_CONTROL)


def main() -> None:
    try:
        code = cli.main(standalone_mode=False, prog_name="dipaudit")
        if isinstance(code, int) and code:  # a command's click.exceptions.Exit(n)
            sys.exit(code)
    except DipauditError as exc:
        click.echo(printable(str(exc)), err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:  # one line, like every other error (not click's usage block)
        where = f"{exc.ctx.command_path}: " if exc.ctx else ""
        message = " ".join(exc.format_message().split())
        click.echo(f"{where}{message} (see --help)", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted; nothing uncommitted was kept", err=True)
        sys.exit(130)


# Command modules register themselves on ``cli`` when imported.
from . import (  # noqa: E402,F401
    actions,
    audit,
    comments,
    demo,
    escalations,
    imports,
    misc,
    people,
    reports,
    sampling,
    scheduler,
)
