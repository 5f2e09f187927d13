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


# -- the directory is a snapshot: leavers, returners, OS logins ----------------------------
def people_rows(ctx):
    return {r["login"]: r for r in ctx.store.query("SELECT * FROM people")}


def person_events(ctx, login):
    return [(e["action"], json.loads(e["before"] or "null"), json.loads(e["after"] or "null"))
            for e in ctx.store.query("SELECT * FROM events WHERE entity = 'person' AND entity_id = ?"
                                     " ORDER BY event_id", [login])]


def test_a_person_missing_from_a_newer_import_leaves_and_can_come_back(ctx, clock, tmp_path):
    import_people(ctx, F / "people.csv")
    clock.advance(days=1)
    lines = (F / "people.csv").read_text(encoding="utf-8").splitlines()
    without_m1 = tmp_path / "p.csv"
    without_m1.write_text("\n".join(line for line in lines if not line.startswith("m1,")) + "\n", encoding="utf-8")
    result = import_people(ctx, without_m1)
    assert (result.added, result.updated, result.unchanged, result.closed) == (0, 0, 4, 1)
    m1 = people_rows(ctx)["m1"]
    assert (m1["active"], json.loads(m1["roles"]), m1["left_at"]) == (0, [], "2020-04-28T09:00:00Z")
    assert m1["name"] == "Mo Manager"  # never deleted
    action, before, after = person_events(ctx, "m1")[-1]
    assert action == "left"
    assert before == {"active": 1, "roles": ["manager"], "team": "Team A", "head_of_service_of": []}
    assert (after["active"], after["roles"], after["left_at"]) == (0, [], "2020-04-28T09:00:00Z")
    # no role check passes for a leaver
    with pytest.raises(PermissionDenied, match="m1 may not import people"):
        import_people(as_user(ctx, "m1"), without_m1)
    # the same directory again: nobody else leaves, the leaver stays gone
    assert import_people(ctx, without_m1).model_dump()["closed"] == 0

    clock.advance(days=1)
    back = import_people(ctx, F / "people.csv")
    assert (back.updated, back.closed) == (1, 0)
    m1 = people_rows(ctx)["m1"]
    assert (m1["active"], json.loads(m1["roles"]), m1["left_at"]) == (1, ["manager"], None)
    action, before, after = person_events(ctx, "m1")[-1]
    assert action == "returned" and before["active"] == 0 and after["roles"] == ["manager"]


def test_a_leaving_head_of_service_leaves_their_teams_without_one(ctx, tmp_path):
    import_people(ctx, F / "people.csv")
    path = write_csv(tmp_path / "p.csv", [
        ADMIN,
        ["m1", "Mo Manager", "manager", "Team A", "m1@example.org", "", "", ""],
        ["w1", "Wendy Worker", "worker", "Team A", "w1@example.org", "", "m1", ""],
    ])
    result = import_people(ctx, path)
    assert result.closed == 2  # hos1 and w2
    assert ctx.store.query("SELECT * FROM teams ORDER BY name") == [
        {"name": "Team A", "head_of_service": None}, {"name": "Team B", "head_of_service": None}]
    assert person_events(ctx, "hos1")[-1][1]["head_of_service_of"] == ["Team A", "Team B"]
    # one event per person changed, and the import's own event lists the leavers
    last = json.loads(ctx.store.scalar("SELECT after FROM events WHERE entity = 'import' ORDER BY event_id DESC"))
    assert last["left"] == ["hos1", "w2"]
    assert [a for a, _, _ in person_events(ctx, "w1")] == ["added", "updated"]


def test_a_rejected_row_is_not_a_leaver(ctx, tmp_path):
    import_people(ctx, F / "people.csv")
    path = write_csv(tmp_path / "p.csv", [
        ADMIN,
        ["hos1", "Hana Head", "head_of_service", "Team A", "hos1@example.org", "", "", ""],
        ["m1", "Mo Manager", "wizard", "Team A", "m1@example.org", "", "", "hos1"],  # bad role: rejected
    ])
    result = import_people(ctx, path, skip_invalid=True)
    assert (result.rejected, result.closed) == (1, 2)  # w1 and w2 left; m1 did not
    rows = people_rows(ctx)
    assert (rows["m1"]["active"], json.loads(rows["m1"]["roles"])) == (1, ["manager"])
    assert (rows["w1"]["active"], rows["w2"]["active"]) == (0, 0)


def test_a_file_leaving_nobody_able_to_import_is_refused(ctx, tmp_path):
    import_people(ctx, F / "people.csv")
    before = people_rows(ctx)
    path = write_csv(tmp_path / "p.csv", [["w1", "Wendy Worker", "worker", "Team A", "", "", "", ""]])
    with pytest.raises(InputError, match=r"nobody in the file has the admin role"):
        import_people(ctx, path)
    with pytest.raises(InputError, match=r"nobody in the file has the admin role"):
        import_people(ctx, path, dry_run=True)
    assert people_rows(ctx) == before
    empty = write_csv(tmp_path / "e.csv", [])
    with pytest.raises(InputError, match=r"no people in the file: an empty directory is refused"):
        import_people(ctx, empty)


def test_os_login_defaults_to_the_login_and_is_one_persons(ctx, tmp_path):
    headings = (*HEADINGS, "os_login")
    path = write_csv(tmp_path / "p.csv", [
        [*ADMIN, ""],
        ["w1", "Wendy Worker", "worker", "Team A", "", "", "", "", "wendy.w"],
    ], headings=headings)
    import_people(ctx, path)
    rows = people_rows(ctx)
    assert (rows["admin1"]["os_login"], rows["w1"]["os_login"]) == ("admin1", "wendy.w")
    bad = write_csv(tmp_path / "b.csv", [
        [*ADMIN, ""],
        ["w1", "Wendy Worker", "worker", "Team A", "", "", "", "", "wendy.w"],
        ["w2", "Sam Social", "worker", "Team B", "", "", "", "", "wendy.w"],
        ["w3", "Tab Person", "worker", "Team B", "", "", "", "", "has space"],
        ["admin1x", "Copy Cat", "worker", "Team B", "", "", "", "", "admin1"],
    ], headings=headings)
    with pytest.raises(InputError) as err:
        import_people(ctx, bad)
    assert err.value.lines() == [
        f"{bad}: row 4, column 'os_login': OS login 'wendy.w' is already w1's (row 3)",
        f"{bad}: row 5, column 'os_login': 'has space' is not an OS login (no spaces)",
        f"{bad}: row 6, column 'os_login': OS login 'admin1' is already admin1's (row 2)",
    ]
    # two people swap OS logins in one file, whatever the order of their rows
    swap = write_csv(tmp_path / "s.csv", [
        [*ADMIN, "wendy.w"],
        ["w1", "Wendy Worker", "worker", "Team A", "", "", "", "", "admin1"],
    ], headings=headings)
    assert import_people(ctx, swap).updated == 2
    rows = people_rows(ctx)
    assert (rows["admin1"]["os_login"], rows["w1"]["os_login"]) == ("wendy.w", "admin1")
