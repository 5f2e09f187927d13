"""Delivery of the outbox through Apprise, after the change that queued it has committed.

One fresh Apprise object per message, holding only that recipient's channels and
tagged with their login: ``notify()`` is always called with that tag, so a message
never reaches every URL of a shared config (field notes), and a fresh object is
never throttled by Apprise's per-service wait between sends.

Channels for a person: ``settings.notify.email_url`` plus ``to=<their email>``; their
Teams address (a Power Automate Workflows URL) when ``settings.notify.teams``; and
any URL in ``settings.notify.apprise_config`` tagged with their login.

A failed send stays in the outbox as 'failed' with the error (secrets masked) and
an exponential-backoff retry time; after ``max_attempts`` it is 'dead'. A message to
someone who has left is 'dead' at once, with the reason. A message
is claimed before sending, so two deliverers (cron's tick and an open TUI) never
send the same row twice.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import apprise
from apprise.attachment.memory import AttachMemory
from jinja2 import TemplateError

from core import outbox
from core.context import Context
from core.errors import DipauditError
from core.people import get_person, has_left, require_person

from .render import REPORT_TEMPLATES, MissingTemplate, render, render_report_message

# At TRACE/DEBUG Apprise prints credentials: never below INFO (field notes).
_log = logging.getLogger("apprise")
if _log.getEffectiveLevel() < logging.INFO:
    _log.setLevel(logging.INFO)
_log.addHandler(logging.NullHandler())  # failures are recorded on the row, not sprayed on stderr


def with_recipient(email_url: str, email: str) -> str:
    """The council's mail URL with ``to=`` this person's address (replacing any ``to``)."""
    parts = urlsplit(email_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "to"]
    query.append(("to", email))
    return urlunsplit(parts._replace(query=urlencode(query, safe="@:/")))


def _channel_specs(ctx: Context, person: dict) -> list[tuple[str, object | None]]:
    """(label, what to add to Apprise, or None when it is invalid) for each of a person's
    channels: email, teams, config."""
    settings = ctx.settings.notify
    specs: list[tuple[str, object | None]] = []
    if settings.email_url and person.get("email"):
        specs.append(("email", with_recipient(settings.email_url, person["email"])))
    if settings.teams and person.get("teams_address"):
        specs.append(("teams", person["teams_address"]))
    if settings.apprise_config:
        config = apprise.AppriseConfig()
        specs.append(("config", config if config.add(str(settings.apprise_config)) else None))
    return specs


_INVALID = {"email": "email (invalid email_url)", "teams": "teams (invalid Teams address)"}


def _apprise_for(login: str, specs: list[tuple[str, object | None]]) -> tuple[apprise.Apprise, list[str]]:
    ap = apprise.Apprise()
    added: list[str] = []
    for label, item in specs:
        if item is None:
            continue  # an Apprise config that cannot be read adds nothing
        if isinstance(item, apprise.AppriseConfig):
            ap.add(item)
            added.append(label)
        elif ap.add(item, tag=login):
            added.append(label)
        else:
            added.append(_INVALID.get(label, f"{label} (invalid)"))
    for server in ap:  # one message per object: no need to pace sends
        server.request_rate_per_sec = 0
    return ap, added


def channels_for(ctx: Context, person: dict) -> tuple[apprise.Apprise, list[str]]:
    """A per-recipient Apprise object, and the (privacy-masked) channels it holds."""
    return _apprise_for(person["login"], _channel_specs(ctx, person))


def _error_of(result) -> str:
    parts = []
    for r in result:
        if not r:
            # Apprise's own messages at WARNING and above name the host, never credentials.
            last = [e.message for e in r.logs()
                    if logging.getLevelName(str(e.level).upper()) in (logging.WARNING, logging.ERROR)]
            parts.append(f"{r.name}: {r.status.name.lower()}" + (f" ({last[-1]})" if last else ""))
    return "; ".join(parts) or f"apprise: {result.status.name.lower()}"


def _outcome(results: list) -> tuple[bool, str | None]:
    """(delivered, error) over one or more notify() results: delivered when any channel
    reached the person (the failures kept as the error for the record)."""
    reached = [r for r in results
               if r.status in (apprise.AppriseResultStatus.SUCCESS, apprise.AppriseResultStatus.PARTIAL)]
    errors = [_error_of(r) for r in results if not r]
    if reached:
        return True, "; ".join(errors) or None
    if results and all(r.status == apprise.AppriseResultStatus.NOMATCH for r in results):
        return False, "no channel tagged with the recipient's login"
    return False, "; ".join(errors) or "apprise: nothing sent"


def send(ctx: Context, row: dict) -> tuple[bool, str | None]:
    """Send one outbox row now. (delivered, error). Partial delivery counts as delivered:
    the person was reached, and resending would duplicate on the channel that worked."""
    login = row["recipient"]
    person = get_person(ctx, login)
    if person and not person.get("active", 1):
        return False, f"{login} has left: not sent (their work: dipaudit people)"
    if not person:
        return False, f"no active person '{login}' in the people directory"
    if row["template"] in REPORT_TEMPLATES:
        return _send_report(ctx, row, person)
    try:
        subject, body = render(ctx, row["template"], row["payload"], person)
    except MissingTemplate as exc:
        return False, str(exc)
    except TemplateError as exc:  # a council's own template with a mistake in it
        return False, f"template '{row['template']}.j2': {exc}"
    ap, added = channels_for(ctx, person)
    if not len(ap):
        why = ", ".join(added) if added else "no email channel configured, no Teams address, no Apprise config"
        return False, f"no way to reach {login} ({why})"
    result = ap.notify(body=body, title=subject, tag=login)
    if result.status in (apprise.AppriseResultStatus.SUCCESS, apprise.AppriseResultStatus.PARTIAL):
        return True, None if result else _error_of(result)
    if result.status == apprise.AppriseResultStatus.NOMATCH:
        return False, f"no channel tagged '{login}'"
    return False, _error_of(result)


def _send_report(ctx: Context, row: dict, person: dict) -> tuple[bool, str | None]:
    """A report: the whole report by email (HTML body, Apprise's plain-text alternative,
    the CSV attached); a card of headline figures to Teams and any other channel."""
    login = person["login"]
    try:
        msg = render_report_message(ctx, row["template"], row["payload"], person)
    except MissingTemplate as exc:
        return False, str(exc)
    except TemplateError as exc:
        return False, f"template '{row['template']}.j2': {exc}"
    except DipauditError as exc:  # the stored report is gone
        return False, str(exc)
    specs = _channel_specs(ctx, person)
    email = [s for s in specs if s[0] == "email"]
    others = [s for s in specs if s[0] != "email"]
    results, added = [], []
    if email:
        ap, labels = _apprise_for(login, email)
        added += labels
        if len(ap):
            attach = AttachMemory(content=msg.csv or "", name=msg.csv_name, mimetype="text/csv")
            results.append(ap.notify(body=msg.html or msg.card, title=msg.subject, tag=login,
                                     body_format=apprise.NotifyFormat.HTML, attach=attach))
    if others:
        ap, labels = _apprise_for(login, others)
        added += labels
        if len(ap):
            results.append(ap.notify(body=msg.card, title=msg.subject, tag=login))
    if not results:
        why = ", ".join(added) if added else "no email channel configured, no Teams address, no Apprise config"
        return False, f"no way to reach {login} ({why})"
    return _outcome(results)


def deliver_pending(ctx: Context, *, limit: int | None = None) -> dict:
    """Send every due outbox row (pending, or failed and due for retry). Returns counts."""
    counts = {"delivered": 0, "failed": 0, "dead": 0}
    for row in outbox.due_messages(ctx, limit=limit):
        if not outbox.claim(ctx, row["outbox_id"]):
            continue  # someone else is sending it
        ok, error = send(ctx, row)
        if ok:
            outbox.mark_sent(ctx, row["outbox_id"], error)
            counts["delivered"] += 1
        elif has_left(ctx, row["recipient"]):  # retrying for hours would reach nobody
            outbox.give_up(ctx, row["outbox_id"], error or "left")
            counts["dead"] += 1
        else:
            counts[outbox.mark_failed(ctx, row["outbox_id"], error or "failed")] += 1
    return counts


def send_test(ctx: Context, login: str) -> dict:
    """Send a test message to one person now, bypassing the outbox (``dipaudit notify test``)."""
    person = require_person(ctx, login)
    _ap, added = channels_for(ctx, person)
    ok, error = send(ctx, {"recipient": login, "template": "test", "payload": {}})
    return {"login": login, "delivered": ok, "error": error, "channels": added}
