"""People directory imports: roles, managers, emails, re-import, worker matching, teams."""

from __future__ import annotations

import csv
import json

import pytest

from core.errors import InputError, PermissionDenied
from core.importers import import_caseload, import_people
from core.people import get_person
from tests.conftest import FIXTURES, as_user

F = FIXTURES / "import"
HEADINGS = ("login", "name", "roles", "team", "email", "teams", "manager", "head_of_service")
ADMIN = ["admin1", "Ada Admin", "admin", "", "admin1@example.org", "", "", ""]  # as in people.csv


def write_csv(path, rows, headings=HEADINGS):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(headings)
        w.writerows(rows)
    return path


def test_people_import_fills_the_directory_and_teams(ctx):
    result = import_people(ctx, F / "people.csv")
    assert (result.added, result.updated, result.unchanged) == (5, 0, 0)
    w2 = get_person(ctx, "w2")
    assert (w2["roles"], w2["team"], w2["manager"], w2["head_of_service"]) == (
        ["auditor", "worker"], "Team B", "m1", "hos1")
    assert get_person(ctx, "w1")["teams_address"] == "w1@teams.example.org"
    assert ctx.store.query("SELECT * FROM teams ORDER BY name") == [
        {"name": "Team A", "head_of_service": "hos1"}, {"name": "Team B", "head_of_service": "hos1"}]
    again = import_people(ctx, F / "people.csv")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)


def test_reimport_updates_and_rematches_workers(ctx, tmp_path):
    import_caseload(ctx, F / "list6.csv")  # workers named "Wendy Worker", "Sam Social"
    assert ctx.store.scalar("SELECT COUNT(*) FROM children WHERE worker_login IS NOT NULL") == 0
    import_people(ctx, F / "people.csv")
    logins = dict(ctx.store.db.execute("SELECT child_id, worker_login FROM children").fetchall())
    assert logins == {"C001": "w1", "C002": "w1", "C003": "w2", "C004": "w2", "C005": None}

    path = write_csv(tmp_path / "p.csv", [
        ADMIN,  # a people import is the whole directory: it keeps an admin
        ["w2", "Sam Renamed", "worker", "Team B", "sam@example.org", "", "m1", "hos1"],
        ["w3", "Sam Social", "Worker", "Team B", "w3@example.org", "", "m1", ""],
    ])
    result = import_people(ctx, path)
    assert (result.added, result.updated) == (1, 1)
    assert get_person(ctx, "w2")["name"] == "Sam Renamed"
    assert ctx.store.scalar("SELECT worker_login FROM children WHERE child_id = 'C003'") == "w3"


def test_bad_rows_listed_by_row_and_column(ctx, tmp_path):
    path = write_csv(tmp_path / "p.csv", [
        ["a1", "Ann Admin", "admin", "", "a1@example.org", "", "", ""],
        ["w1", "Wendy", "worker;wizard", "T", "not-an-email", "", "boss", ""],
        ["", "No Login", "worker", "T", "", "", "", "nohos"],
        ["a1", "Again", "Head of Service", "T", "", "", "", ""],
    ])
    with pytest.raises(InputError) as err:
        import_people(ctx, path)
    assert err.value.lines() == [
        f"{path}: row 3, column 'roles': unknown role 'wizard' (roles: auditor, pdt, admin, worker, manager, "
        "head_of_service, smt, director)",
        f"{path}: row 3, column 'email': 'not-an-email' is not an email address",
        f"{path}: row 3, column 'manager': manager 'boss' is not a login in this file or the people directory",
        f"{path}: row 4, column 'login': login is blank",
        f"{path}: row 4, column 'head_of_service': head of service 'nohos' is not a login in this file "
        "or the people directory",
        f"{path}: row 5, column 'login': login 'a1' is already on row 2",
    ]
    assert ctx.store.scalar("SELECT COUNT(*) FROM people") == 0


def test_manager_already_in_the_directory_is_accepted(ctx, tmp_path):
    import_people(ctx, F / "people.csv")
    path = write_csv(tmp_path / "p.csv", [ADMIN, ["w9", "New Worker", "worker", "Team A", "", "", "m1", "hos1"]])
    assert import_people(ctx, path).added == 1
    assert json.loads(ctx.store.scalar("SELECT roles FROM people WHERE login = 'w9'")) == ["worker"]


def test_only_admins_import_people_once_a_directory_exists(ctx):
    import_people(as_user(ctx, "whoever"), F / "people.csv")  # bootstrap
    with pytest.raises(PermissionDenied, match="w1 may not import people"):
        import_people(as_user(ctx, "w1"), F / "people.csv")
    assert import_people(ctx, F / "people.csv").unchanged == 5  # admin1 is an admin in the file
