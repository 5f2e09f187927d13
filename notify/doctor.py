"""``dipaudit doctor``: ``run_doctor`` runs every check (core's, ``core.doctor``, and the
channels', here: Apprise is notify's) and returns them as one report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core import doctor
from core.config import locations
from core.context import Context
from core.errors import DatabaseError, DipauditError, InputError, PermissionDenied
from core.models import Check, DoctorReport
from core.store import people


def _parsed(url: str):
    import apprise

    return apprise.Apprise.instantiate(url, suppress_exceptions=True)


def channel_checks(ctx: Context) -> list[Check]:
    """The mail URL, every active person's Teams address and the Apprise config parse."""
    from .delivery import with_recipient

    n = ctx.settings.notify
    out = []
    if not n.email_url:
        out.append(Check(status="warning", what="email", detail="no [notify] email_url: nobody is emailed"
                         " (DIPAUDIT_NOTIFY__EMAIL_URL for the tick's service account)"))
    else:
        plugin = _parsed(with_recipient(n.email_url, "doctor@example.org"))
        if plugin is None:
            out.append(Check(status="fail", what="email", detail="[notify] email_url is not a URL Apprise can"
                             " send with (docs/notifications.md)"))
        else:
            out.append(Check(status="ok", what="email", detail=f"parses: {plugin.url(privacy=True)}"))
    addresses = people.teams_addresses(ctx.store)
    if not n.teams:
        out.append(Check(status="ok", what="teams", detail="off ([notify] teams = false)"))
    elif addresses:
        bad = [login for login, url in addresses if _parsed(url.strip()) is None]
        if bad:
            out.append(Check(status="fail", what="teams", detail=f"{len(bad)} of {len(addresses)} Teams addresses"
                             f" do not parse: {', '.join(bad[:10])} (the people import's teams column)"))
        else:
            out.append(Check(status="ok", what="teams", detail=f"{len(addresses)} Teams addresses parse"))
    else:
        out.append(Check(status="ok", what="teams", detail="nobody has a Teams address"))
    if n.apprise_config:
        out.append(_config_check(Path(n.apprise_config)))
    return out


def _config_check(path: Path) -> Check:
    import apprise

    if not path.is_file():
        return Check(status="fail", what="apprise config", detail=f"{path}: no such file")
    config = apprise.AppriseConfig()
    if not config.add(str(path)) or not config.servers():
        return Check(status="fail", what="apprise config", detail=f"{path}: no URL could be read from it")
    servers = config.servers()
    always = [s.url(privacy=True) for s in servers if "always" in s.tags]
    untagged = [s.url(privacy=True) for s in servers if not s.tags]
    if always:
        return Check(status="fail", what="apprise config", detail=f"{path}: tagged 'always' (would receive every"
                     f" message about every child): {', '.join(always)}")
    if untagged:
        return Check(status="warning", what="apprise config", detail=f"{path}: untagged, so never used (tag each"
                     f" URL with the logins it serves): {', '.join(untagged)}")
    return Check(status="ok", what="apprise config", detail=f"{path}: {len(servers)} URLs, each tagged")


def run_doctor(db: str | Path, open_context: Callable[[], Context]) -> DoctorReport:
    """Every check: the files first (before opening), then the config and database
    (``open_context``: how the command opens them; a refusal becomes a failed check),
    then the checks of the open database and the channels."""
    found = doctor.file_checks(db)
    if not Path(db).exists():
        return DoctorReport(checks=found)
    try:
        ctx = open_context()
    except InputError as exc:
        return DoctorReport(checks=[*found, Check(status="fail", what="config", detail=" ".join(str(exc).split()))])
    except PermissionDenied as exc:
        return DoctorReport(checks=[*found, Check(status="fail", what="you", detail=str(exc))])
    except DatabaseError as exc:
        return DoctorReport(checks=[*found, Check(status="fail", what="database", detail=str(exc))])
    except DipauditError as exc:
        return DoctorReport(checks=[*found, Check(status="fail", what="open", detail=str(exc))])
    config = locations.config_file()
    where = f"{config} loads" if config.exists() else f"defaults (no {config})"
    found.append(Check(status="ok", what="config", detail=where))
    return DoctorReport(checks=[*found, *doctor.checks(ctx), *channel_checks(ctx)])
