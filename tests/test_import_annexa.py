"""Ofsted Annex A caseloads with the quirks real files have (field notes)."""

from __future__ import annotations

import csv
import json
from datetime import datetime

import pytest
from openpyxl import Workbook

from core.errors import InputError
from core.importers import import_caseload
from tests.conftest import FIXTURES

F = FIXTURES / "import"


def child(ctx, child_id):
    row = ctx.store.one("SELECT * FROM children WHERE child_id = ?", [child_id])
    row["key_dates"] = json.loads(row["key_dates"])
    return row


def sources(ctx, child_id):
    return {r["source"]: r for r in ctx.store.query(
        "SELECT * FROM child_sources WHERE child_id = ? ORDER BY source", [child_id])}


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture
def all_lists(ctx):
    return [import_caseload(ctx, F / f"list{n}.csv") for n in (6, 7, 8, 9)]


def test_each_list_is_recognised_from_its_headings(ctx, all_lists):
    assert [r.added for r in all_lists] == [5, 2, 2, 2]
    assert {r["source"] for r in ctx.store.query("SELECT DISTINCT source FROM child_sources")} == {
        "list6", "list7", "list8", "list9"}


def test_a_child_in_lists_6_and_7_is_one_child_on_a_cp_plan(ctx, all_lists):
    c = child(ctx, "C001")
    assert (c["cohort"], c["tier"], c["is_open"]) == ("cp", 1, 1)
    assert set(sources(ctx, "C001")) == {"list6", "list7"}
    # key dates kept per source and merged on the child, dd/mm/yyyy read as day first
    assert sources(ctx, "C001")["list7"]["key_dates"] == json.dumps(
        {"cp_plan_start": "2020-01-15", "last_statutory_visit": "2020-04-21",
         "latest_review_conference": "2020-04-01"}, sort_keys=True)
    assert c["key_dates"]["cin_start"] == "2019-09-01"
    assert c["key_dates"]["cp_plan_start"] == "2020-01-15"
    assert ctx.store.scalar("SELECT COUNT(*) FROM children WHERE child_id = 'C001'") == 1


def test_ended_episodes_are_imported_but_not_open(ctx, all_lists):
    assert (child(ctx, "C003")["is_open"], child(ctx, "C003")["closed_on"]) == (0, "2020-03-31")  # CIN closure
    assert (child(ctx, "C007")["is_open"], child(ctx, "C007")["closed_on"]) == (0, "2020-02-01")  # CP plan end
    assert (child(ctx, "C011")["is_open"], child(ctx, "C011")["closed_on"]) == (0, "2020-04-01")  # ceased LAC
    assert child(ctx, "C010")["is_open"] == 1


def test_unborn_by_blank_dob_future_dob_and_age_minus_one(ctx, all_lists):
    blank, minus_one, future = child(ctx, "C004"), child(ctx, "C005"), child(ctx, "C006")
    assert blank["cohort"] == minus_one["cohort"] == future["cohort"] == "unborn"
    assert future["date_of_birth"] is None and future["expected_date_of_birth"] == "2020-12-01"
    assert blank["tier"] == 1
    # '#N/A' in team and worker is no team and no worker
    assert (minus_one["worker"], minus_one["team"]) == (None, None)


def test_coded_values_with_and_without_prefix(ctx, all_lists):
    # List 6 "Case status" "b) Child Protection plan" says the plan; "a) Child in need plan" is cin
    assert sources(ctx, "C001")["list6"]["cohort"] == "cin"
    assert sources(ctx, "C002")["list6"]["cohort"] == "cp"
    assert child(ctx, "C002")["cohort"] == "cp"
    assert sources(ctx, "C003")["list6"]["cohort"] == "cp"  # "child protection plan", no prefix


def test_care_leaver_allocated_to_personal_advisor_when_no_worker(ctx, all_lists):
    assert child(ctx, "C020")["worker"] == "Pat Advisor"
    assert child(ctx, "C021")["worker"] == "Wendy Worker"
    assert child(ctx, "C020")["cohort"] == "care_leaver"


def test_heading_case_punctuation_quotes_and_typos(ctx, tmp_path):
    path = write_csv(tmp_path / "cp.csv", [
        ["CHILD UNIQUE ID", "date of birth", "Age of child (years)", "Child Protection Plan Start date",
         "Date of \u2018latest\u2019 review conference", "Child Protection Plan Ende Date", "Allocated  Team",
         "Allocated Worker "],
        ["X1", "01/02/2015", "5", "2020-01-10", "36426", "", "Team A", "Ann"],
    ])
    assert import_caseload(ctx, path).added == 1
    c = child(ctx, "X1")
    assert (c["cohort"], c["team"], c["worker"]) == ("cp", "Team A", "Ann")
    assert c["key_dates"]["latest_review_conference"] == "1999-09-23"  # Excel serial as text


def test_bom_is_accepted(ctx, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes((F / "list7.csv").read_bytes().replace(b"child unique id", "\ufeffChild Unique ID".encode()))
    assert import_caseload(ctx, path).added == 3


def test_unrecognised_headings_and_the_list_override(ctx, tmp_path):
    path = write_csv(tmp_path / "odd.csv", [
        ["Child Unique ID", "Date of Birth", "Allocated Team", "Allocated Worker"],
        ["X1", "01/02/2015", "Team A", "Ann"],
    ])
    with pytest.raises(InputError, match=r"odd.csv: row 1: unrecognised caseload.*--list N"):
        import_caseload(ctx, path)
    with pytest.raises(InputError) as err:
        import_caseload(ctx, path, list_number=6)
    assert "missing column 'CIN Start Date'" in str(err.value)
    assert ctx.store.scalar("SELECT COUNT(*) FROM children") == 0


def test_missing_required_columns_are_named(ctx, tmp_path):
    path = write_csv(tmp_path / "l7.csv", [
        ["Child Unique ID", "Child Protection Plan Start Date", "Allocated Team"],
        ["X1", "01/02/2020", "Team A"],
    ])
    with pytest.raises(InputError) as err:
        import_caseload(ctx, path)
    assert err.value.lines() == [
        f"{path}: row 1: missing column 'Date of Birth' (Annex A List 7 (child protection))",
        f"{path}: row 1: missing column 'Allocated Worker' (Annex A List 7 (child protection))",
    ]


def test_bad_dates_listed_with_their_values(ctx, tmp_path):
    path = write_csv(tmp_path / "l8.csv", [
        ["Child Unique ID", "Date of Birth", "Date Started to be Looked After", "Date Ceased to be Looked After",
         "Allocated Team", "Allocated Worker"],
        ["X1", "31/02/2010", "01/06/2018", "", "T", "W"],
        ["X2", "01/01/2010", "June 2018", "", "T", "W"],
        ["X3", "01/01/2010", "01/06/2018", "", "T", "W"],
    ])
    with pytest.raises(InputError) as err:
        import_caseload(ctx, path)
    assert err.value.lines() == [
        f"{path}: row 2, column 'Date of Birth': '31/02/2010' is not a date "
        "(expected dd/mm/yyyy, yyyy-mm-dd or an Excel serial number)",
        f"{path}: row 3, column 'Date Started to be Looked After': 'June 2018' is not a date "
        "(expected dd/mm/yyyy, yyyy-mm-dd or an Excel serial number)",
    ]
    assert ctx.store.scalar("SELECT COUNT(*) FROM child_sources") == 0


def _sheet(book, title, headings, rows):
    ws = book.create_sheet(title)
    ws.append(headings)
    for r in rows:
        ws.append(r)


def test_workbook_with_a_sheet_per_list_and_excel_dates(ctx, tmp_path):
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "Read me", ["This workbook holds the Annex A lists"], [["nothing to import here"]])
    _sheet(book, "List 6", ["Child Unique ID", "Gender", "Date of Birth", "Age of Child (Years)", "CIN Start Date",
                            "CIN Closure Date", "Case Status", "Allocated Team", "Allocated Worker"], [
        [101, "a) Male", 40000, 10, 43709, None, "Open", "Team A", "Ann"],
        [102, "b) Female", "40001", 10, datetime(2019, 9, 1), 43922, "Closed", "Team A", "#N/A"],  # noqa: DTZ001 (Excel cells are naive)
        [103, "c) Not stated/recorded", None, -1, 43709, None, "Open", "Team B", "Bea"],
    ])
    _sheet(book, "List 7", ["Child Unique ID", "Date of Birth", "Child Protection Plan Start Date",
                            "Child Protection Plan End Date", "Allocated Team", "Allocated Worker"], [
        [101, 40000, 43800, None, "Team A", "Ann"],
    ])
    _sheet(book, "List 8", ["Child Unique ID", "Date of Birth", "Date Started to be Looked After",
                            "Date Ceased to be Looked After", "Allocated Team", "Allocated Worker"], [
        [201, datetime(2008, 1, 1), 43000.0, None, "Team C", "Cat"],  # noqa: DTZ001
    ])
    _sheet(book, "List 9", ["Child Unique ID", "Date of Birth", "Allocated Team", "Allocated Worker",
                            "Allocated Personal Advisor", "Eligibility Category",
                            "Latest Pathway Plan Review Date"], [
        [301, 37000, "Leaving Care", None, "Pat", "a) Relevant", 43850],
    ])
    path = tmp_path / "annex_a.xlsx"
    book.save(path)

    result = import_caseload(ctx, path)
    assert (result.added, result.rejected) == (5, 0)
    assert (child(ctx, "101")["cohort"], child(ctx, "101")["date_of_birth"]) == ("cp", "2009-07-06")
    assert child(ctx, "102")["date_of_birth"] == "2009-07-07"  # serial as text
    assert (child(ctx, "102")["is_open"], child(ctx, "102")["closed_on"]) == (0, "2020-04-01")
    assert child(ctx, "103")["cohort"] == "unborn"
    assert (child(ctx, "201")["cohort"], child(ctx, "201")["date_of_birth"]) == ("cla", "2008-01-01")
    assert child(ctx, "201")["key_dates"]["date_looked_after"] == "2017-09-22"
    assert (child(ctx, "301")["cohort"], child(ctx, "301")["worker"]) == ("care_leaver", "Pat")
    # the same workbook again changes nothing
    again = import_caseload(ctx, path)
    assert (again.added, again.updated, again.unchanged, again.closed) == (0, 0, 5, 0)

    # --list picks one sheet out of the workbook: a snapshot of List 7 only
    assert import_caseload(ctx, path, list_number=7).unchanged == 1


def test_workbook_faults_name_the_sheet(ctx, tmp_path):
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "List 7", ["Child Unique ID", "Date of Birth", "Child Protection Plan Start Date",
                            "Allocated Team", "Allocated Worker"], [[1, "soon", 43800, "T", "W"]])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"bad.xlsx: row 2, column 'Date of Birth': 'soon' is not a date .*"
                                         r"\(sheet 'List 7'\)"):
        import_caseload(ctx, path)


L6 = ["Child Unique ID", "Date of Birth", "CIN Start Date", "CIN Closure Date", "Allocated Team", "Allocated Worker"]
L7 = ["Child Unique ID", "Date of Birth", "Child Protection Plan Start Date", "Child Protection Plan End Date",
      "Allocated Team", "Allocated Worker"]


def test_worker_and_team_come_from_the_highest_risk_open_list(ctx, tmp_path):
    import_caseload(ctx, write_csv(tmp_path / "l6.csv", [L6, ["M1", "01/01/2012", "01/01/2019", "", "CIN Team", "Ann"],
                                                         ["M2", "01/01/2012", "01/01/2019", "", "CIN Team", "Ann"]]))
    import_caseload(ctx, write_csv(tmp_path / "l7.csv", [L7, ["M1", "01/01/2012", "01/01/2020", "", "CP Team", "Bob"],
                                                         ["M2", "01/01/2012", "01/01/2020", "01/03/2020", "CP Team",
                                                          "Bob"]]))
    m1, m2 = child(ctx, "M1"), child(ctx, "M2")
    assert (m1["cohort"], m1["worker"], m1["team"]) == ("cp", "Bob", "CP Team")
    # M2's plan ended: still open as a child in need, with the CIN worker
    assert (m2["cohort"], m2["is_open"], m2["worker"], m2["team"]) == ("cin", 1, "Ann", "CIN Team")
    assert m2["key_dates"]["cp_plan_end"] == "2020-03-01"


def test_workbook_without_a_caseload_sheet_or_rows(ctx, tmp_path):
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "Read me", ["Notes"], [["nothing here"]])
    _sheet(book, "List 7", ["Child Unique ID", "Date of Birth", "Child Protection Plan Start Date",
                            "Allocated Team", "Allocated Worker"], [])
    path = tmp_path / "book.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"book.xlsx: no data rows: an empty caseload is refused"):
        import_caseload(ctx, path)
    with pytest.raises(InputError, match=r"no sheet with Annex A List 8 headings \(sheets: 'Read me', 'List 7'\)"):
        import_caseload(ctx, path, list_number=8)


def test_episodes_of_a_child_across_blocks_when_the_file_comes_again(ctx, clock, tmp_path, monkeypatch):
    """A child's earlier episode, unchanged (known by its hash, not read), still meets its
    later one: the open episode is the one kept, the second time as the first."""
    from core.importers import common

    monkeypatch.setattr(common, "CHUNK", 2)
    head = (F / "list6.csv").read_text(encoding="utf-8").splitlines()[0]
    lines = [head,
             "E1,a) Male,WBRI,03/05/2012,7,No,01/09/2019,N4,20/04/2020,,,,Team South,Sam Social",
             "E2,a) Male,WBRI,03/05/2012,7,No,01/09/2019,N4,20/04/2020,,,,Team North,Wendy Worker",
             "E1,a) Male,WBRI,03/05/2012,7,No,01/09/2018,N4,20/04/2019,01/03/2019,RC1,,Team North,Wendy Worker"]
    path = tmp_path / "list6.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert import_caseload(ctx, path).added == 2
    first = child(ctx, "E1")
    assert (first["is_open"], first["team"]) == (1, "Team South")
    clock.advance(days=1)
    again = import_caseload(ctx, path)
    assert (again.added, again.updated, again.unchanged, again.closed) == (0, 0, 2, 0)
    assert child(ctx, "E1") == first


L6_SHEET = ["Child Unique ID", "Date of Birth", "CIN Start Date", "CIN Closure Date", "Allocated Team",
            "Allocated Worker"]


def test_episodes_of_a_child_on_two_sheets_of_one_list(ctx, clock, tmp_path):
    """List 6 split over two sheets (a council's extract past a sheet's size, or a second
    team's tab): a child with an open episode on the first and a closed one on the second is
    one open child, and so again when the workbook comes back unchanged (the first sheet's
    row, known by its hash and not read, is read again to meet the second's)."""
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "List 6", L6_SHEET, [
        ["S1", "01/01/2012", "01/09/2019", None, "Team South", "Sam Social"],
        ["S2", "01/01/2013", "01/09/2019", None, "Team North", "Wendy Worker"],
    ])
    _sheet(book, "List 6 (2)", L6_SHEET, [
        ["S1", "01/01/2012", "01/09/2018", "01/03/2019", "Team North", "Wendy Worker"],
    ])
    path = tmp_path / "list6_two_sheets.xlsx"
    book.save(path)

    assert import_caseload(ctx, path, list_number=6).added == 2
    s1 = child(ctx, "S1")
    assert (s1["is_open"], s1["team"], s1["key_dates"]["cin_start"]) == (1, "Team South", "2019-09-01")
    clock.advance(days=1)
    again = import_caseload(ctx, path, list_number=6)
    assert (again.added, again.updated, again.unchanged, again.closed) == (0, 0, 2, 0)
    assert child(ctx, "S1") == s1
