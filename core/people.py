"""The people directory and role checks. Roles are enforced here, in core."""

from __future__ import annotations

import json

from .context import Context
from .errors import NotFound, PermissionDenied

ROLES = ("auditor", "pdt", "admin", "worker", "manager", "head_of_service", "smt", "director")


def has_directory(ctx: Context) -> bool:
    return bool(ctx.store.scalar("SELECT 1 FROM people LIMIT 1"))


def get_person(ctx: Context, login: str) -> dict | None:
    row = ctx.store.one("SELECT * FROM people WHERE login = ?", [login])
    if row:
        row["roles"] = json.loads(row["roles"] or "[]")
    return row


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

    ``bootstrap``: while no people directory exists, anyone who can open the
    database may do this (the first import has to come from somewhere).
    """
    if bootstrap and not has_directory(ctx):
        return
    held = roles_of(ctx, ctx.user)
    if not held & set(roles):
        need = " or ".join(roles)
        if not get_person(ctx, ctx.user):
            raise PermissionDenied(
                f"{ctx.user} is not in the people directory; {doing} needs the {need} role"
            )
        raise PermissionDenied(f"{ctx.user} may not {doing}: needs the {need} role")


def find_person(ctx: Context, login_or_name: str | None) -> dict | None:
    """A caseload worker is matched to a person by login, else by name (case-insensitive)."""
    if not login_or_name:
        return None
    person = get_person(ctx, login_or_name)
    if person:
        return person
    row = ctx.store.one(
        "SELECT login FROM people WHERE name = ? COLLATE NOCASE ORDER BY login LIMIT 1",
        [login_or_name.strip()],
    )
    return get_person(ctx, row["login"]) if row else None


def require_person(ctx: Context, login: str) -> dict:
    person = get_person(ctx, login)
    if not person:
        raise NotFound(f"no person with login '{login}' in the people directory")
    return person


def list_teams(ctx: Context) -> list[str]:
    """Team names a draw can be limited to: the directory's teams and the teams open
    cases are allocated to (a caseload may name a team the directory lacks)."""
    rows = ctx.store.query(
        "SELECT name FROM teams UNION SELECT DISTINCT team FROM children"
        " WHERE is_open = 1 AND team IS NOT NULL AND team != '' ORDER BY 1"
    )
    return [r["name"] for r in rows]
