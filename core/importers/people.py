"""Import the people directory: ``login,name,roles,team,email,teams,manager,head_of_service``.

Roles are separated by ';' and must be dipaudit roles. A manager or Head of
Service is named by login, and must be in the same file or already in the
directory. A re-import updates people; nobody is deleted. Afterwards every
child's allocated worker is matched again (by login, else name), and each team's
Head of Service is filled from the people in it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from ..context import Context
from ..errors import Fault, InputError
from ..people import ROLES, require_role
from .common import (
    Faults,
    ImportResult,
    Progress,
    cell,
    col,
    match_columns,
    missing_columns,
    read_source,
    report_progress,
    settle_faults,
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
)
REQUIRED = COLUMNS[:3]
PEOPLE_FIELDS = ("name", "roles", "team", "email", "teams_address", "manager", "head_of_service")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _role(raw: str) -> str:
    """'Head of Service' -> 'head_of_service'."""
    return re.sub(r"[\s-]+", "_", raw.strip().casefold())


def import_people(
    ctx: Context,
    path: str | Path,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects_path: str | Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Add or update people. Admins only, once a people directory exists (the first import bootstraps it)."""
    require_role(ctx, "admin", doing="import people", bootstrap=True)
    src = read_source(path)
    table = src.tables[0]
    at = match_columns(table.headings, COLUMNS)
    if missing := missing_columns(at, REQUIRED):
        raise InputError(src.name, [Fault(1, m, "missing column (people need login, name and roles)")
                                    for m in missing])
    conn = ctx.store.db.conn
    known = {r[0] for r in conn.execute("SELECT login FROM people")}
    in_file = {v for _, cells in table.rows if (v := text(cell(cells, at["login"])))}
    faults = Faults(src.name)
    people: dict[str, tuple] = {}
    first_row: dict[str, int] = {}
    total = len(table.rows)

    def heading(key: str) -> str:
        return table.headings[at[key]]

    for done, (number, cells) in enumerate(table.rows, start=1):
        report_progress(progress, done, total)
        v = {c.key: text(cell(cells, at.get(c.key))) for c in COLUMNS}
        bad = []
        if not v["login"]:
            bad.append(("login", "login is blank"))
        elif v["login"] in first_row:
            bad.append(("login", f"login '{v['login']}' is already on row {first_row[v['login']]}"))
        if not v["name"]:
            bad.append(("name", "name is blank"))
        roles = [_role(r) for r in re.split(r"[;,]", v["roles"] or "") if r.strip()]
        if unknown := [r for r in roles if r not in ROLES]:
            bad.append(("roles", f"unknown role {', '.join(repr(r) for r in unknown)} "
                                 f"(roles: {', '.join(ROLES)})"))
        if v["email"] and not EMAIL.match(v["email"]):
            bad.append(("email", f"'{v['email']}' is not an email address"))
        for key, what in (("manager", "manager"), ("head_of_service", "head of service")):
            if v[key] and v[key] not in in_file and v[key] not in known:
                bad.append((key, f"{what} '{v[key]}' is not a login in this file or the people directory"))
        if bad:
            for key, message in bad:
                faults.add(table, number, heading(key), message)
            continue
        first_row[v["login"]] = number
        ordered = sorted(set(roles), key=ROLES.index)
        people[v["login"]] = (v["name"], json.dumps(ordered), v["team"], v["email"], v["teams_address"],
                              v["manager"], v["head_of_service"])
    rejected, rejects_file = settle_faults(
        src, faults, skip_invalid=skip_invalid, dry_run=dry_run, rejects_path=rejects_path
    )

    def count() -> tuple[ImportResult, list[tuple]]:
        held = {r[0]: tuple(r[1:]) for r in conn.execute(
            "SELECT login, " + ", ".join(PEOPLE_FIELDS) + " FROM people")}
        result = ImportResult(rejected=rejected, rejects_file=rejects_file)
        writes = []
        for login, row in people.items():
            if login not in held:
                result.added += 1
            elif held[login] == row:
                result.unchanged += 1
                continue
            else:
                result.updated += 1
            writes.append((login, *row))
        return result, writes

    if dry_run:
        with ctx.store.lock:
            return count()[0]
    with ctx.tx() as tx:
        result, writes = count()
        cols = ("login", *PEOPLE_FIELDS, "updated_at")
        tx.db.conn.executemany(
            f"INSERT INTO people ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            " ON CONFLICT(login) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in cols[1:]),
            [(*w, tx.at) for w in writes],
        )
        tx.db.conn.executemany(
            "INSERT INTO teams (name, head_of_service) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET"
            " head_of_service = COALESCE(excluded.head_of_service, teams.head_of_service)",
            sorted(_heads_of_service(people).items()),
        )
        rematched = rematch_workers(tx.db.conn)
        counts = result.model_dump(exclude={"rejects_file"})
        cur = tx.execute(
            "INSERT INTO imports (kind, file, sha256, at, by, counts) VALUES ('people', ?, ?, ?, ?, ?)",
            [src.name, src.sha256, tx.at, ctx.user, json.dumps(counts)],
        )
        tx.event("import", cur.lastrowid, "people",
                 after={"file": src.name, "sha256": src.sha256, "rows": total, "counts": counts,
                        "workers_rematched": rematched, "rejects_file": rejects_file})
    return result


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
