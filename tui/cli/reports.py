"""Reports: ``report smt|weekly`` (preview, export, send), ``report show`` and ``reports``.
Thin: parse, call one core service, print."""

from __future__ import annotations

from pathlib import Path

import click

from core import reports as svc
from core.clock import show

from . import INT, CliState, cli, emit_json, pass_state, table

_FORMAT = click.Choice(svc.FORMATS)


@cli.group("report")
def report_group() -> None:
    """The SMT and weekly reports: preview, export (--out), send (--send); show a sent one."""


def _report_command(kind: str, help_text: str):
    @report_group.command(kind, help=help_text)
    @click.option("--from", "start", default=None, metavar="DATE|ISO",
                  help="Start: a date (the whole London day) or an ISO time (exact).")
    @click.option("--to", "end", default=None, metavar="DATE|ISO",
                  help="End: a date (inclusive, the whole London day) or an ISO time (exclusive).")
    @click.option("--format", "fmt", type=_FORMAT, default=None,
                  help="txt (default), md, html, csv or json; with --out, from the file's extension.")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Write to this file (private, atomic) instead of printing.")
    @click.option("--send", is_flag=True,
                  help=f"Admins: store the report and queue it to every {svc.RECIPIENT_ROLE[kind]}"
                       " (dipaudit tick delivers it).")
    @pass_state
    def command(state: CliState, start: str | None, end: str | None, fmt: str | None, out: Path | None,
                send: bool) -> None:
        ctx = state.context()
        period = svc.parse_period(ctx.settings.reports, kind, start, end, ctx.now())
        if send:
            stored = svc.send_report(ctx, kind, period)
            if fmt == "json" and out is None:
                emit_json(stored)
                return
            who = ", ".join(stored.recipients)
            title = svc.KIND_TITLES[kind]
            click.echo(f"{title[0].upper()}{title[1:]} {stored.report_id} stored and queued to"
                       f" {len(stored.recipients)} ({who}); dipaudit tick delivers it")
            report = svc.stored_model(ctx, stored.report_id)
        else:
            report = svc.build_report(ctx, kind, period)
        if out is not None:
            path = svc.export_report(ctx, report, out, fmt)
            click.echo(f"wrote {path} ({svc.format_for(out, fmt)})", err=send)
        elif not send:
            click.echo(svc.render_report(report, svc.format_for(None, fmt)), nl=False)

    return command


smt_cmd = _report_command(
    "smt", "The SMT report: findings by team and worker, from the latest SMT slot up to now"
           " (or --from/--to).")
weekly_cmd = _report_command(
    "weekly", "The weekly report to the directors: the last complete week by team, with its trend"
              " (or --from/--to).")


@report_group.command("show")
@click.argument("report_id", type=INT)
@click.option("--format", "fmt", type=_FORMAT, default=None, help="txt (default), md, html, csv or json.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (private, atomic) instead of printing.")
@pass_state
def report_show(state: CliState, report_id: int, fmt: str | None, out: Path | None) -> None:
    """A stored report exactly as it was sent."""
    ctx = state.context()
    fmt = svc.format_for(out, fmt)
    text = svc.show_stored(ctx, report_id, fmt)
    if out is not None:
        path = svc.write_report_file(ctx, out, text)
        click.echo(f"wrote {path} ({fmt})")
    else:
        click.echo(text, nl=False)


@cli.command("reports")
@click.option("--kind", type=click.Choice(svc.KINDS), default=None, help="Only this kind.")
@click.option("--limit", type=INT, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def reports_list(state: CliState, kind: str | None, limit: int, as_json: bool) -> None:
    """Reports built for sending (scheduled or by hand), newest first."""
    rows = svc.list_stored(state.context(), kind=kind, limit=limit)
    if as_json:
        emit_json(rows)
        return
    click.echo(table([{
        "id": r.report_id, "kind": r.kind, "from": show(r.from_), "to": show(r.to),
        "as at": show(r.generated_at), "sent": "on schedule" if r.trigger == "schedule" else f"by {r.generated_by}",
        "to whom": ", ".join(r.recipients) or "(nobody had the role)",
    } for r in rows], ["id", "kind", "from", "to", "as at", "sent", "to whom"]))
