"""The command line: thin wrappers over core services (design.md "CLI contract").

Global options --db, --user, --now (env DIPAUDIT_DB, DIPAUDIT_USER, DIPAUDIT_NOW).
Listing commands take --json and then print JSON only. Errors are one line per
fault on stderr and a non-zero exit; nothing is written.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from core.errors import DipauditError, escape_controls

if TYPE_CHECKING:
    from core.context import Context

# Every command: its name -> (the modules of tui.cli defining it, its short help). A command's
# module is imported only when that command runs (or its own --help is asked for), so
# ``dipaudit --help`` and a plain command load only what they use. The short help is the
# first paragraph of the command's docstring (tests/test_cli_commands.py holds the two
# together and checks that every registered command is listed here).
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "action": (("actions",), "Review an action (Practice Development Team); reassign one (admins)."),
    "actions": (("actions",), "Recommended actions of submitted audits: reviews due first, then overdue."),
    "audit": (("audit", "comments"), "Start, fill and submit an audit; print its QA Audit case note."),
    "comment": (("comments",), "Comment on a submitted audit (COMMENT AUDIT_ID --text T), or resolve a comment."),
    "comments": (("comments",), "The comments on AUDIT_ID, with addenda."),
    "demo": (("demo",), "Build a demo database (synthetic caseload, case notes, people) and open it."),
    "doctor": (("misc",), "Check the deployment: file modes, config and act_as, the mail and Teams URLs, the last"
                          " delivering tick, the trail. One line each, ok|warning|fail; exit 0 ok, 1 warning,"
                          " 2 fail."),
    "escalate": (("escalations",), "Escalate a concern about AUDIT_ID's child to the supervising manager"
                                   " (or the Head of Service)."),
    "escalation": (("escalations",), "Respond to, refer, close or show an escalation."),
    "escalations": (("escalations",), "Escalations by deadline; overdue ones marked."),
    "import": (("imports",), "Import a caseload (Ofsted Annex A Lists 6-9 or canonical CSV), case notes or people."),
    "init": (("misc",), "Create or migrate the database."),
    "log": (("misc",), "The event trail (append-only): who did what, when. 'log verify' checks its chain."),
    "notify": (("scheduler",), "The notification outbox: list, send now, test a person's channels."),
    "people": (("people",), "The people directory: roles, 'left' for those a newer people import left out, and"
                            " the work each holds (queue items, drafts, open actions, escalations waiting on"
                            " them or raised)."),
    "programme": (("audit",), "The programme of practice standards audits are judged against (a TOML file)."),
    "queue": (("sampling",), "The sample queue (live items unless --all or --status)."),
    "report": (("reports",), "The SMT and weekly reports: preview, export (--out), send (--send); show a sent one."),
    "reports": (("reports",), "Reports built for sending (scheduled or by hand), newest first."),
    "sample": (("sampling",), "Draw a dip sample: N children per worker, tier 1 first, at random by seed."),
    "tick": (("scheduler",), "All due work, safe to run every few minutes from cron or a systemd timer."),
    "tui": (("misc",), "Open the terminal application."),
}


def short_help(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` as click cuts a command's docstring for a listing."""
    return click.Command(None, help=text).get_short_help_str(limit)


class LazyGroup(click.Group):
    """A group whose subcommands are imported when first used (``COMMANDS``); its --help
    lists them all from the table, importing none."""

    def __init__(self, *args, lazy: dict[str, tuple[tuple[str, ...], str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            for module in self.lazy[cmd_name][0]:
                importlib.import_module(f"{__name__}.{module}")
        return self.commands.get(cmd_name)

    def load_all(self) -> None:
        """Import every command's module (what a test or a full listing needs)."""
        for name in self.lazy:
            self.get_command(click.Context(self), name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = [n for n in self.list_commands(ctx) if not (n in self.commands and self.commands[n].hidden)]
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            cmd = self.commands.get(name)
            rows.append((name, cmd.get_short_help_str(limit) if cmd is not None
                         else short_help(self.lazy[name][1], limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def os_login() -> str:
    """The OS login this process runs as (``core.context.os_login``)."""
    from core.context import os_login as login

    return login()


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
            from core.clock import clock_from
            from core.config import load_settings
            from core.context import Context
            from core.identity import establish
            from core.store import Store

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


def _is_plain_json(data) -> bool:
    """Whether ``data`` is JSON as it is (str keys; str, int, finite float, bool, None):
    what pydantic would make of it unchanged."""
    if data is None or type(data) in (str, int, bool):
        return True
    if type(data) is float:
        return math.isfinite(data)
    if type(data) is list:
        return all(_is_plain_json(v) for v in data)
    if type(data) is dict:
        return all(type(k) is str and _is_plain_json(v) for k, v in data.items())
    return False


def emit_json(data) -> None:
    """JSON only on stdout (pydantic models, and dicts and lists of them, dates welcome).
    Data that is already plain JSON (an empty listing, dicts of text and numbers) is printed
    without loading pydantic."""
    if not _is_plain_json(data):
        from pydantic_core import to_jsonable_python

        data = to_jsonable_python(data, fallback=str)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def table(rows: list, columns: list[str]) -> str:
    """A plain aligned text table for terminal listings (rows: dicts or pydantic models).
    Control characters in a cell (imported text: a name, a note) are shown escaped
    (``core.errors.escape_controls``): an ESC would act on the terminal, a newline split
    the row, and either, stripped on the way out, would throw the columns out of line."""
    if not rows:
        return "(none)"

    def cell(row, column: str) -> str:
        value = row.get(column) if isinstance(row, dict) else getattr(row, column, None)
        return "" if value is None else escape_controls(str(value))

    cells = [[cell(r, c) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    out = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in out)


@click.group(cls=LazyGroup, lazy=COMMANDS, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
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
    if db is None:
        from core import locations  # platformdirs: not for --help

        db = locations.default_db()
    click_ctx.obj = CliState(db=db, user=user, now=now)
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
    # pydantic looks for plugins (importlib.metadata over every installed package) the first
    # time it builds a model; dipaudit uses none. Set it only when unset (pydantic's own
    # variable: a deployment that wants its plugins sets it, e.g. to "").
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
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


# Command modules register themselves on ``cli`` when imported: ``COMMANDS`` says which, and
# ``LazyGroup`` imports one when its command is used.
