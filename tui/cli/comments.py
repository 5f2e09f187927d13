"""CLI: dipaudit comment [add] | comment resolve | comments, and the audit's
finalise and addendum. Thin: parse, call one core service, print."""

from __future__ import annotations

import click

from core import audit as audit_svc
from core import comments as comments_svc
from core.clock import show

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
    comment = comments_svc.add_comment(state.context(), audit_id, text, query=query, on_behalf_of=on_behalf_of)
    if as_json:
        emit_json(comment)
    else:
        kind = "query" if comment.is_query else "comment"
        click.echo(f"{kind} {comment.comment_id} added to audit {audit_id} from {comment.author}")


@comment_group.command("resolve")
@click.argument("comment_id", type=INT)
@click.option("--text", required=True, help="The answer.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def comment_resolve(state: CliState, comment_id: int, text: str, as_json: bool) -> None:
    """Resolve a comment or query (the audit's auditor)."""
    comment = comments_svc.resolve_comment(state.context(), comment_id, text)
    if as_json:
        emit_json(comment)
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
    addenda = audit_svc.list_addenda(ctx, audit_id)
    if as_json:
        emit_json({"audit_id": audit_id, "comments": rows, "addenda": addenda})
        return
    shown = [{**c.model_dump(), "created": show(c.created_at), "query": "yes" if c.is_query else ""}
             for c in rows]
    click.echo(table(shown, ["comment_id", "created", "author", "query", "status", "text", "resolution"]))
    for a in addenda:
        click.echo(f"addendum {a.addendum_id} ({show(a.created_at)}, {a.created_by}): {a.text}")


@audit_group.command("finalise")
@click.argument("audit_id", type=INT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def audit_finalise(state: CliState, audit_id: int, as_json: bool) -> None:
    """Finalise an audit whose query was resolved after its comment window closed (its auditor)."""
    audit = audit_svc.finalise_audit(state.context(), audit_id)
    if as_json:
        emit_json(audit)
    else:
        click.echo(f"audit {audit_id} finalised {show(audit.finalised_at)} by {audit.finalised_by}")


@audit_group.command("addendum")
@click.argument("audit_id", type=INT)
@click.option("--text", required=True, help="The correction.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def audit_addendum(state: CliState, audit_id: int, text: str, as_json: bool) -> None:
    """Add an addendum (a correction) to a finalised audit."""
    addendum = audit_svc.add_addendum(state.context(), audit_id, text)
    if as_json:
        emit_json(addendum)
    else:
        click.echo(f"addendum {addendum.addendum_id} added to audit {audit_id}")
