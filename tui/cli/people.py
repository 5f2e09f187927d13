"""CLI: dipaudit people (the directory, who has left, the work each holds). Thin."""

from __future__ import annotations

from collections import Counter

import click

from core.vocabulary import OPEN_ITEM_LABELS

from . import CliState, cli, emit_json, pass_state, table


def _open(items) -> str:
    counts = Counter(i.kind for i in items)
    return ", ".join(f"{counts[k]} {word}" for k, word in OPEN_ITEM_LABELS.items() if counts[k])


@cli.command("people")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_state
def people_cmd(state: CliState, as_json: bool) -> None:
    """The people directory: roles, 'left' for those a newer people import left out, and the
    work each holds (queue items, drafts, open actions, escalations waiting on them or raised)."""
    from core.people import list_people

    rows = list_people(state.context())
    if as_json:
        emit_json(rows)
        return
    click.echo(table([{"login": p.login, "name": p.name, "roles": ", ".join(p.roles), "team": p.team,
                       "status": "active" if p.active else "left", "open": _open(p.open_items)}
                      for p in rows], ["login", "name", "roles", "team", "status", "open"]))
