"""Messages from templates: ``notify/templates/<template>.j2``, overridable by a council.

A message template renders to text whose first line is the subject and the rest
(after a blank line) the body. A council's own copy in
``<config dir>/templates/notify/<template>.j2`` wins over the packaged one.

Children are named by id and initials only, unless ``settings.notify.full_names``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, TemplateNotFound

from core import locations
from core.clock import show
from core.context import Context
from core.models import initials
from core.outbox import child_facts
from core.reports import sent_message
from core.reports.render import pct_text

PACKAGED = Path(__file__).parent / "templates"


class MissingTemplate(Exception):
    pass


def environment() -> Environment:
    loader = ChoiceLoader([
        FileSystemLoader(str(locations.templates_dir() / "notify")),
        FileSystemLoader(str(PACKAGED)),
    ])
    env = Environment(loader=loader, autoescape=False, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=False)
    env.filters["when"] = lambda v: show(v) if v else ""
    env.filters["day"] = lambda v: show(v, with_time=False) if v else ""
    env.filters["pct"] = pct_text
    return env


def child_label(ctx: Context, child_id: str | None) -> str:
    """``C1234 (A.E.)``; the full name only where the council has turned full names on."""
    if not child_id:
        return ""
    facts = child_facts(ctx, child_id) or {"name": None}
    if ctx.settings.notify.full_names and facts.get("name"):
        return f"{facts['name']} ({child_id})"
    mark = initials(facts.get("name"))
    return f"{child_id} ({mark})" if mark else str(child_id)


def render(ctx: Context, template: str, payload: dict, recipient: dict | None) -> tuple[str, str]:
    """(subject, body) for one outbox row."""
    env = environment()
    try:
        tpl = env.get_template(f"{template}.j2")
    except TemplateNotFound:
        # A service may queue a ready-made message (e.g. a report) with subject and body.
        if "subject" in payload and "body" in payload:
            return str(payload["subject"]), str(payload["body"])
        raise MissingTemplate(f"no message template '{template}.j2'") from None
    values = dict(payload)
    values.setdefault("child", child_label(ctx, payload.get("child_id")))
    values["recipient"] = recipient or {}
    values["council"] = ctx.settings.council
    text = tpl.render(**values).strip()
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip()


# Reports go out in two shapes: the whole report by email (HTML, with Apprise's plain-text
# alternative and the CSV attached), a short card of headline figures everywhere else.
REPORT_TEMPLATES = ("report_smt", "report_weekly")


@dataclass(frozen=True)
class ReportMessage:
    subject: str
    card: str  # headline figures only: no tables, no children (Teams, other channels)
    html: str | None  # the stored HTML report, as built for sending
    csv: str | None
    csv_name: str


def render_report_message(ctx: Context, template: str, payload: dict, recipient: dict | None) -> ReportMessage:
    """The two shapes of a report message: the card from the ``report_*`` template, the
    email body and attachment from the report stored when it was queued."""
    subject, card = render(ctx, template, payload, recipient)
    stored = sent_message(ctx, int(payload["report_id"]))
    return ReportMessage(subject=subject, card=card, html=stored["html"], csv=stored["csv"],
                         csv_name=stored["csv_name"])
