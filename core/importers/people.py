"""Import the people directory:
``login,name,roles,team,email,teams,manager,head_of_service,os_login``.

Roles are separated by ';' and must be dipaudit roles. A manager or Head of
Service is named by login, and must be in the same file or already in the
directory. ``os_login`` (optional) is the OS login that acts as the person;
blank means their login. No two people share an OS login.

A people import is the whole directory (a snapshot, like a caseload): a person
missing from a newer import has left. A leaver is deactivated, never deleted
(``active`` 0, roles cleared, ``left_at`` set; no role check passes and no alert
is delivered to them; a team they headed has no Head of Service until the next
import names one), with an event holding their old roles. A leaver listed again
comes back with the roles the file gives. A row rejected with ``--skip-invalid``
is not a person leaving. A file that would leave nobody with the admin role is
refused (nobody could import again).

Afterwards every child's allocated worker is matched again (by login, else name,
people in the directory before leavers), and each team's Head of Service is
filled from the people in it. Each person added, changed, leaving or returning
has an event of their own (``person``: added, updated, left, returned).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

from ..collector import collector_paused
from ..context import Context
from ..errors import Fault, InputError
from ..people import ROLES, require_role
from ..store import imports
from ..store import people as people_store
from .common import (
    Faults,
    ImportResult,
    Progress,
    cell,
    col,
    database_files,
    match_columns,
    missing_columns,
    read_source,
    report_progress,
    settle_faults,
    shown,
    text,
)
from .matching import rematch_workers

COLUMNS = (
    col("login", "login", "Username", "User ID"),
    col("name", "name", "Full Name"),
    col("roles", "roles", "Role"),
    col("team", "team"),
    col("email", "email", "Email Address", "E-mail"),
    col("teams_address", "teams", "Teams Address", "teams_address", "Microsoft Teams"),
    col("manager", "manager", "Supervising Manager", "Line Manager"),
    col("head_of_service", "head_of_service", "Head of Service"),
    col("os_login", "os_login", "OS Login", "OS User"),
)
REQUIRED = COLUMNS[:3]
PEOPLE_FIELDS = ("name", "roles", "team", "email", "teams_address", "manager", "head_of_service", "os_login")
_ROLES_AT = PEOPLE_FIELDS.index("roles")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
OS_LOGIN = re.compile(r"[^\s]+")


def _role(raw: str) -> str:
    """'Head of Service' -> 'head_of_service'."""
    return re.sub(r"[\s-]+", "_", raw.strip().casefold())


@collector_paused()
def import_people(
    ctx: Context,
    path: str | Path,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects_path: str | Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Add, update, deactivate (leavers) and reactivate people. Admins only, once a people
    directory exists (the first import bootstraps it). ``closed`` counts the leavers."""
    require_role(ctx, "admin", doing="import people", bootstrap=True)
    with read_source(path) as src:
        table = src.tables[0]
        at = match_columns(table.headings, COLUMNS)
        if missing := missing_columns(at, REQUIRED):
            raise InputError(src.name, [Fault(1, m, "missing column (people need login, name and roles)")
                                        for m in missing])
        rows = table.all_rows()
        held = {r[0]: r for r in people_store.logins_held(ctx.store)}
        in_file = {v for _, cells in rows if (v := text(cell(cells, at["login"])))}
        faults = Faults(src.name)
        people: dict[str, tuple] = {}
        first_row: dict[str, int] = {}
        os_logins: dict[str, tuple[str, int]] = {}  # OS login -> (login, row)
        rejected_logins: set[str] = set()
        total = len(rows)

        def heading(key: str) -> str:
            return table.headings[at[key]]

        for done, (number, cells) in enumerate(rows, start=1):
            report_progress(progress, done, total)
            v = {c.key: text(cell(cells, at.get(c.key))) for c in COLUMNS}
            if faults.reject_oversized(table, number, cells):
                if v["login"]:
                    rejected_logins.add(v["login"])
                continue
            login = v["login"]
            bad = []
            if not login:
                bad.append(("login", "login is blank"))
            elif login in first_row:
                bad.append(("login", f"login '{shown(login)}' is already on row {first_row[login]}"))
            if not v["name"]:
                bad.append(("name", "name is blank"))
            roles = [_role(r) for r in re.split(r"[;,]", v["roles"] or "") if r.strip()]
            if unknown := [r for r in roles if r not in ROLES]:
                bad.append(("roles", f"unknown role {', '.join(repr(shown(r)) for r in unknown)} "
                                     f"(roles: {', '.join(ROLES)})"))
            if v["email"] and not EMAIL.match(v["email"]):
                bad.append(("email", f"'{shown(v['email'])}' is not an email address"))
            for key, what in (("manager", "manager"), ("head_of_service", "head of service")):
                if v[key] and v[key] not in in_file and v[key] not in held:
                    bad.append((key, f"{what} '{shown(v[key])}' is not a login in this file or the people "
                                     "directory"))
            os_login = v["os_login"] or login
            if v["os_login"] and not OS_LOGIN.fullmatch(v["os_login"]):
                bad.append(("os_login", f"'{shown(v['os_login'])}' is not an OS login (no spaces)"))
            elif os_login and os_login in os_logins and os_logins[os_login][0] != login:
                other, row = os_logins[os_login]
                bad.append(("os_login" if "os_login" in at else "login",
                            f"OS login '{shown(os_login)}' is already {shown(other)}'s (row {row})"))
            if bad:
                for key, message in bad:
                    faults.add(table, number, heading(key) if key in at else key, message, cells)
                if login:
                    rejected_logins.add(login)
                continue
            first_row[login] = number
            os_logins[os_login] = (login, number)
            ordered = sorted(set(roles), key=ROLES.index)
            people[login] = (v["name"], json.dumps(ordered), v["team"], v["email"], v["teams_address"],
                             v["manager"], v["head_of_service"], os_login)
        _check_os_logins_kept(table, faults, people, held, rejected_logins, first_row, rows, at)
        if not people:  # never a directory with nobody in it
            raise faults.error() if faults else InputError(
                src.name, "no people in the file: an empty directory is refused")
        rejected, rejects_file = settle_faults(
            src, faults, skip_invalid=skip_invalid, dry_run=dry_run, rejects_path=rejects_path,
            inputs=database_files(ctx.store),
        )

    def plan(db) -> tuple[ImportResult, list[tuple], list[dict], list[dict]]:
        stored = people_store.everyone(db)
        result = ImportResult(rejected=rejected, rejects_file=rejects_file)
        writes, events = [], []
        for login, row in people.items():
            old = stored.get(login)
            if old is None:
                result.added += 1
                events.append({"login": login, "action": "added", "before": None, "after": _shown(row)})
            else:
                was = tuple(old[f] if f != "os_login" else old[f] or login for f in PEOPLE_FIELDS)
                if was == row and old["active"]:
                    result.unchanged += 1
                    continue
                result.updated += 1
                changed = [f for f, a, b in zip(PEOPLE_FIELDS, was, row, strict=True) if a != b]
                action = "updated" if old["active"] else "returned"
                events.append({"login": login, "action": action,
                               "before": {f: _value(f, old[f]) for f in changed} | (
                                   {} if old["active"] else {"active": 0, "left_at": old["left_at"]}),
                               "after": {f: _value(f, row[PEOPLE_FIELDS.index(f)]) for f in changed}
                               | ({} if old["active"] else {"active": 1})})
            writes.append((login, *row))
        leavers = [old for login, old in sorted(stored.items())
                   if old["active"] and login not in people and login not in rejected_logins]
        result.closed = len(leavers)
        admins = [login for login, row in people.items() if "admin" in json.loads(row[_ROLES_AT])]
        admins += [login for login in rejected_logins
                   if login in stored and stored[login]["active"] and "admin" in json.loads(stored[login]["roles"])]
        if not admins:
            raise InputError(src.name, "nobody in the file has the admin role: importing it would leave no one "
                                       "who can import again (a people import is the whole directory: people "
                                       "missing from it leave)")
        return result, writes, events, leavers

    if dry_run:
        with ctx.scratch() as scratch:
            return plan(scratch)[0]
    with ctx.tx() as tx:
        result, writes, events, leavers = plan(tx)
        headed = {p["login"]: people_store.teams_headed(tx, p["login"]) for p in leavers}
        gone = [p["login"] for p in leavers]
        # Leavers first, and the people rewritten set aside (the OS login index) while they are.
        people_store.set_aside(tx, gone, [w[0] for w in writes])
        try:
            people_store.write_active(tx, writes, PEOPLE_FIELDS)
        except sqlite3.IntegrityError as exc:  # checked above; this is the database's own guard
            raise InputError(src.name, f"two active people would share an OS login ({exc})") from None
        people_store.set_heads_of_service(tx, gone, sorted(_heads_of_service(people).items()))
        rematched = rematch_workers(tx)
        counts = result.model_dump(exclude={"rejects_file"})
        import_id = imports.record(tx, "people", src.name, src.sha256, ctx.user, counts)
        tx.event("import", import_id, "people",
                 after={"file": src.name, "sha256": src.sha256, "rows": total, "counts": counts,
                        "workers_rematched": rematched, "rejects_file": rejects_file,
                        "left": [p["login"] for p in leavers]})
        for e in events:
            tx.event("person", e["login"], e["action"], before=e["before"],
                     after={**(e["after"] or {}), "import_id": import_id})
        for p in leavers:
            tx.event("person", p["login"], "left",
                     before={"active": 1, "roles": json.loads(p["roles"] or "[]"), "team": p["team"],
                             "head_of_service_of": headed[p["login"]]},
                     after={"active": 0, "roles": [], "left_at": tx.at, "import_id": import_id})
    return result


def _value(field: str, value):
    return json.loads(value) if field == "roles" and value else value


def _shown(row: tuple) -> dict:
    return {f: _value(f, v) for f, v in zip(PEOPLE_FIELDS, row, strict=True)}


def _check_os_logins_kept(table, faults: Faults, people: dict, held: dict, rejected_logins: set,
                          first_row: dict, rows: list, at: dict) -> None:
    """No one in the file may take the OS login of a person who stays active without being
    in it (their row was rejected): one active person per OS login."""
    kept = {os_login: login for login, (login_, active, os_login) in held.items()
            if active and login in rejected_logins and login not in people and login_ == login}
    if not kept:
        return
    cells_of = dict(rows)
    for login, row in list(people.items()):
        other = kept.get(row[-1])
        if other and other != login:
            number = first_row[login]
            faults.add(table, number, table.headings[at["os_login"]] if "os_login" in at else "login",
                       f"OS login '{shown(row[-1])}' is {shown(other)}'s, whose row was rejected",
                       cells_of.get(number))
            rejected_logins.add(login)
            del people[login]


def _heads_of_service(people: dict[str, tuple]) -> dict[str, str | None]:
    """Each team's Head of Service: the one person with that role in the team, else the one
    most of its members name (None when nobody says)."""
    roles, team, hos = 1, 2, 6  # positions in the people rows above
    heads: dict[str, str | None] = {}
    teams = {p[team] for p in people.values() if p[team]}
    for t in sorted(teams):
        own = [login for login, p in people.items() if p[team] == t and "head_of_service" in json.loads(p[roles])]
        if len(own) == 1:
            heads[t] = own[0]
            continue
        named = Counter(p[hos] for p in people.values() if p[team] == t and p[hos])
        heads[t] = named.most_common(1)[0][0] if named else None
    return heads
