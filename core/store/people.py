"""The people directory and teams: who someone is, their roles, their Head of Service."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from .database import Reader, Tx


def _decoded(row: dict | None) -> dict | None:
    if row is not None:
        row["roles"] = json.loads(row["roles"] or "[]")
    return row


def get(r: Reader, login: str) -> dict | None:
    """A person by login, ``roles`` as a list."""
    return _decoded(r.one("SELECT * FROM people WHERE login = ?", [login]))


def login_named(r: Reader, name: str) -> str | None:
    """The login of the person with this name (case-insensitive; the first login if several)."""
    return r.scalar("SELECT login FROM people WHERE name = ? COLLATE NOCASE ORDER BY login LIMIT 1",
                    [name.strip()])


def any_person(r: Reader) -> bool:
    return bool(r.scalar("SELECT 1 FROM people LIMIT 1"))


def count(r: Reader) -> int:
    return r.scalar("SELECT count(*) FROM people")


def name_of(r: Reader, login: str) -> str | None:
    return r.scalar("SELECT name FROM people WHERE login = ?", [login])


def active_with_role(r: Reader, role: str) -> list[str]:
    """Logins of active people holding ``role``, in login order."""
    return [row[0] for row in r.rows(
        "SELECT login FROM people WHERE active = 1 AND EXISTS"
        " (SELECT 1 FROM json_each(people.roles) WHERE value = ?) ORDER BY login", [role])]


def team_names(r: Reader) -> list[str]:
    """The directory's teams and the teams open cases are allocated to, sorted."""
    return [row[0] for row in r.rows(
        "SELECT name FROM teams UNION SELECT DISTINCT team FROM children"
        " WHERE is_open = 1 AND team IS NOT NULL AND team != '' ORDER BY 1")]


def head_of_service_of_team(r: Reader, team: str) -> str | None:
    return r.scalar("SELECT head_of_service FROM teams WHERE name = ?", [team])


# The OS login a person logs in with: their own column, blank meaning their login.
OS_LOGIN = "COALESCE(NULLIF(TRIM(os_login), ''), login)"


def login_of_os_login(r: Reader, os_login: str) -> str | None:
    """The person whose OS login ``os_login`` is (an active one first, then by login)."""
    return r.scalar(f"SELECT login FROM people WHERE {OS_LOGIN} = ? ORDER BY active DESC, login LIMIT 1",
                    [os_login])


def os_login_of(r: Reader, login: str) -> str | None:
    """The OS login of the person ``login`` (None when nobody has that login)."""
    return r.scalar(f"SELECT {OS_LOGIN} FROM people WHERE login = ?", [login])


def teams_addresses(r: Reader) -> list[tuple[str, str]]:
    """(login, Teams address) of the active people who have one."""
    return r.rows("SELECT login, teams_address FROM people WHERE active = 1 AND teams_address IS NOT NULL"
                  " AND TRIM(teams_address) != '' ORDER BY login")


def directory(r: Reader) -> list[dict]:
    """Everyone in the directory, those still here first, then by login (``roles`` a list)."""
    return [_decoded(row) for row in r.query("SELECT * FROM people ORDER BY active DESC, login")]


def has_left(r: Reader, login: str) -> bool:
    """Whether ``login`` is a person a people import has marked as gone (active = 0)."""
    return bool(r.scalar("SELECT 1 FROM people WHERE login = ? AND active = 0", [login]))


def open_work(r: Reader) -> list[dict]:
    """Work held by someone: live queue items (claimed, or assigned and still queued),
    draft audits, open actions of submitted audits they own, open escalations waiting on
    them, and open escalations they raised. (login, kind, id, child_id, status, due)."""
    return r.query(
        """
        SELECT COALESCE(claimed_by, auditor) AS login, 'queue_item' AS kind, queue_id AS id, child_id,
               status, NULL AS due FROM queue_items
         WHERE status IN ('queued', 'claimed', 'in_progress') AND COALESCE(claimed_by, auditor) IS NOT NULL
        UNION ALL
        SELECT auditor, 'draft_audit', audit_id, child_id, status, NULL FROM audits WHERE status = 'draft'
        UNION ALL
        SELECT ac.owner, 'action', ac.action_id, a.child_id, ac.status, ac.due
          FROM actions ac JOIN audits a ON a.audit_id = ac.audit_id
         WHERE ac.status = 'open' AND a.status != 'draft' AND ac.owner IS NOT NULL
        UNION ALL
        SELECT recipient, 'escalation', escalation_id, child_id, level, respond_by FROM escalations
         WHERE status = 'open' AND recipient IS NOT NULL
        UNION ALL
        SELECT raised_by, 'escalation_raised', escalation_id, child_id, status, respond_by FROM escalations
         WHERE status != 'closed'
        ORDER BY 1, 2, 3
        """)


def active_workers(r: Reader) -> list[tuple[str, str, str | None]]:
    """(login, name, team) of the active people with the worker role, by login."""
    return r.rows(
        "SELECT login, name, team FROM people WHERE active = 1 AND EXISTS"
        " (SELECT 1 FROM json_each(people.roles) WHERE value = 'worker') ORDER BY login")


def logins_and_names(r: Reader) -> list[tuple[str, str]]:
    """(login, name) of everyone in the directory, by login."""
    return r.rows("SELECT login, name FROM people ORDER BY login")


def logins_held(r: Reader) -> list[tuple[str, int, str]]:
    """(login, active, OS login as stored or else the login) of everyone in the directory."""
    return r.rows("SELECT login, active, COALESCE(os_login, login) FROM people")


def everyone(r: Reader) -> dict[str, dict]:
    """Everyone in the directory by login, each row as stored (``roles`` JSON text)."""
    return {row["login"]: row for row in r.query("SELECT * FROM people")}


def teams_headed(r: Reader, login: str) -> list[str]:
    """The teams whose Head of Service ``login`` is, by name."""
    return [row[0] for row in r.rows("SELECT name FROM teams WHERE head_of_service = ? ORDER BY name",
                                     [login])]


def set_aside(tx: Tx, leavers: Sequence[str], rewritten: Sequence[str]) -> None:
    """A people import's first writes: ``leavers`` (logins) deactivated (roles cleared,
    ``left_at`` now), and the people about to be ``rewritten`` out of the
    one-active-person-per-OS-login index while they are (a newcomer may take a leaver's
    OS login, two people may swap)."""
    tx.executemany("UPDATE people SET active = 0, roles = '[]', left_at = ?, updated_at = ? WHERE login = ?",
                   [(tx.at, tx.at, login) for login in leavers])
    tx.executemany("UPDATE people SET active = 0 WHERE login = ?", [(login,) for login in rewritten])


def write_active(tx: Tx, rows: Sequence[tuple], fields: Sequence[str]) -> None:
    """``rows`` ((login, *fields)) written as active people, added or replacing the stored
    ones. ``sqlite3.IntegrityError`` if two active people would share an OS login."""
    cols = ("login", *fields, "active", "left_at", "updated_at")
    tx.executemany(
        f"INSERT INTO people ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        " ON CONFLICT(login) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in cols[1:]),
        [(*w, 1, None, tx.at) for w in rows],
    )


def set_heads_of_service(tx: Tx, leavers: Sequence[str], heads: Iterable[tuple[str, str | None]]) -> None:
    """Teams headed by ``leavers`` lose their Head of Service; then each team of ``heads``
    ((team, login)) is added or given that Head (None: the stored one is kept)."""
    tx.executemany("UPDATE teams SET head_of_service = NULL WHERE head_of_service = ?",
                   [(login,) for login in leavers])
    tx.executemany(
        "INSERT INTO teams (name, head_of_service) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET"
        " head_of_service = COALESCE(excluded.head_of_service, teams.head_of_service)",
        list(heads),
    )
