"""The people directory and role checks. Roles are enforced here, in core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .context import Context
from .errors import NotFound, PermissionDenied, StateError
from .identity import refuse_import_into_demo
from .store import people
from .vocabulary import ROLES

if TYPE_CHECKING:  # the models load pydantic: only list_people needs them (an import never does)
    from .models import OpenItem, PersonWork

__all__ = ["ROLES", "alert_problem", "display_name", "find_person", "get_person", "has_directory",
           "has_left", "list_people", "list_teams", "require_colleague", "require_person", "require_role", "roles_of"]


def has_directory(ctx: Context) -> bool:
    return people.any_person(ctx.store)


def get_person(ctx: Context, login: str) -> dict | None:
    return people.get(ctx.store, login)


def display_name(ctx: Context, login: str | None) -> str | None:
    """How a person is named to others: their directory name, else the login as given."""
    if not login:
        return None
    person = get_person(ctx, login)
    return person["name"] if person else login


def roles_of(ctx: Context, login: str) -> set[str]:
    person = get_person(ctx, login)
    return set(person["roles"]) if person else set()


def require_role(ctx: Context, *roles: str, doing: str, bootstrap: bool = False) -> None:
    """Refuse unless the acting user holds one of ``roles``.

    ``bootstrap`` (the importers): while no people directory exists, anyone who can open
    the database may do this (the first import has to come from somewhere); never into
    a demo database, whose people are fictional (``core.identity``).
    """
    if bootstrap:
        refuse_import_into_demo(ctx.store, doing)
    if bootstrap and not has_directory(ctx):
        return
    held = roles_of(ctx, ctx.user)
    if not held & set(roles):
        need = " or ".join(roles)
        if not get_person(ctx, ctx.user):
            raise PermissionDenied(
                f"{ctx.user} is not in the people directory, so may not {doing}: needs the {need} role"
            )
        raise PermissionDenied(f"{ctx.user} may not {doing}: needs the {need} role")


def find_person(ctx: Context, login_or_name: str | None) -> dict | None:
    """A caseload worker is matched to a person by login, else by name (case-insensitive)."""
    if not login_or_name:
        return None
    person = get_person(ctx, login_or_name)
    if person:
        return person
    login = people.login_named(ctx.store, login_or_name)
    return get_person(ctx, login) if login else None


def require_person(ctx: Context, login: str) -> dict:
    person = get_person(ctx, login)
    if not person:
        raise NotFound(f"no person with login '{login}' in the people directory")
    return person


def list_teams(ctx: Context) -> list[str]:
    """Team names a draw can be limited to: the directory's teams and the teams open
    cases are allocated to (a caseload may name a team the directory lacks)."""
    return people.team_names(ctx.store)


# --- leavers and movers ---------------------------------------------------------------
VIEW_PEOPLE = ("admin", "auditor", "pdt")


def list_people(ctx: Context) -> list[PersonWork]:
    """The people directory, those still here first, each with the work they hold: queue
    items, draft audits, open actions they own, open escalations waiting on them and
    those they raised. A person a newer people import left out is ``active`` False
    (shown as 'left'): their work is what an admin reassigns (``core.queue.reassign``,
    ``core.actions.reassign``). Admins, auditors and the PDT."""
    from .models import OpenItem, PersonWork

    require_role(ctx, *VIEW_PEOPLE, doing="list the people directory")
    held: dict[str, list[OpenItem]] = {}
    for row in people.open_work(ctx.store):
        held.setdefault(row.pop("login"), []).append(OpenItem.model_validate(row))
    return [PersonWork.model_validate(p | {"open_items": held.get(p["login"], [])})
            for p in people.directory(ctx.store)]


def has_left(ctx: Context, login: str) -> bool:
    """Whether ``login`` is a person who has left (a newer people import left them out)."""
    return people.has_left(ctx.store, login)


def alert_problem(ctx: Context, login: str, what: str) -> str | None:
    """Why ``login`` (named as ``what``: 'the worker', 'the Head of Service') cannot be
    alerted, or None when they can: not in the directory, or left."""
    person = get_person(ctx, login)
    if person is None:
        return f"{what} '{login}' is not in the people directory"
    if not person.get("active", 1):
        return f"{what} '{login}' has left (not alerted: reassign their work, dipaudit people)"
    return None


def require_colleague(ctx: Context, login: str, role: str, *, doing: str) -> dict:
    """The person work is moved to: in the directory, still here and holding ``role``."""
    person = get_person(ctx, login)
    if person is None:
        raise NotFound(f"no person with login '{login}' in the people directory")
    if not person.get("active", 1):
        left = f" on {person['left_at'][:10]}" if person.get("left_at") else ""
        raise StateError(f"{login} has left{left}; {doing} to someone who is still here")
    if role not in person["roles"]:
        raise StateError(f"{login} is not a {role.replace('_', ' ')}; {doing} to a {role.replace('_', ' ')}")
    return person
