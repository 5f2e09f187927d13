"""Files as they arrive: chosen by extension, damaged or hostile workbooks, huge cells,
control characters in messages, and the rejects file written safely (core.files)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
import zipfile

import pytest
from openpyxl import Workbook

from core.errors import Fault, InputError
from core.importers import import_caseload, import_notes, import_people
from core.importers.common import MAX_CELL
from tests.conftest import FIXTURES

F = FIXTURES / "import"
CANON = ["child_id", "name", "date_of_birth", "expected_date_of_birth", "cohort", "worker", "team",
         "family_id", "closed_on"]


def write_csv(path, rows, headings=CANON):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(headings)
        w.writerows(rows)
    return path


def workbook(path, rows, headings=CANON, title="Caseload"):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headings)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


def counts(ctx):
    return {t: ctx.store.scalar(f"SELECT COUNT(*) FROM {t}")
            for t in ("children", "child_sources", "teams", "imports", "events", "people", "case_notes")}


def one_line(err: InputError) -> None:
    for line in str(err).splitlines():
        assert line.startswith(err.file.replace("\n", "\\n")), line


# -- the reader is chosen by extension ---------------------------------------------
def test_a_workbook_named_csv_is_refused_as_binary(ctx, tmp_path):
    book = workbook(tmp_path / "real.xlsx", [["K1", "", "2012-01-01", "", "cin", "w1", "T", "", ""]])
    renamed = tmp_path / "caseload.csv"
    renamed.write_bytes(book.read_bytes())
    with pytest.raises(InputError) as err:
        import_caseload(ctx, renamed)
    assert str(err.value) == (f"{renamed}: a workbook or other binary file, not CSV text: "
                              "if it is an .xlsx workbook, name it .xlsx")
    # ...and read as the workbook it is once named so
    assert import_caseload(ctx, book).added == 1


def test_csv_text_named_xlsx_is_not_read_as_a_workbook(ctx, tmp_path):
    fake = tmp_path / "caseload.xlsx"
    fake.write_bytes((F / "canonical.csv").read_bytes())
    with pytest.raises(InputError) as err:
        import_caseload(ctx, fake)
    assert str(err.value) == (f"{fake}: not a readable .xlsx workbook (not a zip file); "
                              "if it is CSV text, name it .csv")


def test_a_text_file_starting_with_pk_is_csv_when_named_csv(ctx, tmp_path):
    path = tmp_path / "pk.csv"
    path.write_text("PK,child_id,cohort,worker\nx,K1,cin,w1\n", encoding="utf-8")
    assert import_caseload(ctx, path).added == 1


@pytest.mark.parametrize("name, says", [
    ("caseload.dat", "unknown kind of file ('.dat')"),
    ("caseload", "unknown kind of file (no extension)"),
    ("caseload.xls", "an old .xls workbook: save it as .xlsx or CSV UTF-8"),
    ("caseload.ods", "an OpenDocument spreadsheet"),
])
def test_other_extensions_are_refused_naming_what_to_do(ctx, tmp_path, name, says):
    path = tmp_path / name
    path.write_bytes((F / "canonical.csv").read_bytes())
    with pytest.raises(InputError, match="^" + str(path).replace(".", r"\.") + ": " + says.replace("(", r"\(")
                       .replace(")", r"\)").replace(".", r"\.")):
        import_caseload(ctx, path)
    assert counts(ctx)["children"] == 0


def test_txt_is_read_as_csv(ctx, tmp_path):
    path = tmp_path / "caseload.txt"
    path.write_bytes((F / "canonical.csv").read_bytes())
    assert import_caseload(ctx, path).added == 5


# -- damaged, encrypted, truncated workbooks: one line, nothing written --------------
def _good_workbook(tmp_path):
    return workbook(tmp_path / "good.xlsx", [[f"K{i}", "", "2012-01-01", "", "cin", "w1", "T", "", ""]
                                              for i in range(50)])


def _damaged(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _rezip(src, dst, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = change(item.filename, zin.read(item.filename))
            if data is not None:
                zout.writestr(item, data)
    return dst


@pytest.mark.parametrize("how", ["truncated", "random", "empty", "no_sheet_xml", "broken_xml",
                                 "broken_workbook_xml", "broken_styles", "bad_deflate", "encrypted_ole", "zip_no_workbook"])
def test_damaged_workbooks_are_one_line_and_write_nothing(ctx, tmp_path, how):
    good = _good_workbook(tmp_path)
    data = good.read_bytes()
    if how == "truncated":
        path = _damaged(tmp_path, "t.xlsx", data[: len(data) // 2])
    elif how == "random":
        path = _damaged(tmp_path, "r.xlsx", b"PK\x03\x04" + os.urandom(3000))
    elif how == "empty":
        path = _damaged(tmp_path, "e.xlsx", b"")
    elif how == "no_sheet_xml":
        path = _rezip(good, tmp_path / "n.xlsx", lambda n, d: None if n.startswith("xl/worksheets/") else d)
    elif how == "broken_xml":
        path = _rezip(good, tmp_path / "b.xlsx",
                      lambda n, d: d[: len(d) // 2] if n.startswith("xl/worksheets/") else d)
    elif how == "broken_workbook_xml":
        path = _rezip(good, tmp_path / "w.xlsx", lambda n, d: d[:40] if n == "xl/workbook.xml" else d)
    elif how == "broken_styles":
        path = _rezip(good, tmp_path / "s.xlsx", lambda n, d: b"<styleSheet><numFmts" if n == "xl/styles.xml" else d)
    elif how == "bad_deflate":
        raw = bytearray(data)
        at = raw.find(b"xl/worksheets/sheet1.xml")
        for i in range(at + 60, min(at + 400, len(raw))):  # scribble over the compressed sheet
            raw[i] ^= 0x5A
        path = _damaged(tmp_path, "d.xlsx", bytes(raw))
    elif how == "encrypted_ole":
        path = _damaged(tmp_path, "p.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    else:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("hello.txt", "not a workbook")
        path = _damaged(tmp_path, "z.xlsx", buf.getvalue())
    before = counts(ctx)
    with pytest.raises(InputError) as err:
        import_caseload(ctx, path)
    assert len(str(err.value).splitlines()) == 1, str(err.value)
    assert str(err.value).startswith(f"{path}: ")
    assert counts(ctx) == before
    if how == "encrypted_ole":
        assert "password-protected" in str(err.value)


# -- huge cells ------------------------------------------------------------------------
def test_a_huge_cell_is_a_fault_on_its_row_and_column(ctx, tmp_path):
    huge = "x" * (MAX_CELL + 10)
    path = write_csv(tmp_path / "h.csv", [
        ["K1", "Alex", "2012-01-01", "", "cin", "w1", "T", "", ""],
        ["K2", huge, "2012-01-01", "", "cin", "w1", "T", "", ""],
        ["K3", "Cat", "2012-01-01", "", "cin", "w1", "T", "", ""],
    ])
    with pytest.raises(InputError) as err:
        import_caseload(ctx, path)
    assert err.value.lines() == [
        f"{path}: row 3, column 'name': the cell holds {MAX_CELL + 10:,} characters (at most {MAX_CELL:,})"]
    assert counts(ctx)["children"] == 0
    result = import_caseload(ctx, path, skip_invalid=True)
    assert (result.added, result.rejected) == (2, 1)
    with open(result.rejects_file, newline="", encoding="utf-8") as f:
        (rejected,) = list(csv.DictReader(f))
    assert rejected["child_id"] == "K2" and len(rejected["name"]) < 1100  # cut, and says so
    assert rejected["name"].endswith(f"(cut: {MAX_CELL + 10:,} characters)")


def test_a_huge_cell_in_people_and_notes_files_is_a_row_fault(ctx, tmp_path):
    people = tmp_path / "p.csv"
    people.write_text((F / "people.csv").read_text() + "w9,Big," + "x" * (MAX_CELL + 1) + ",,,,,\n")
    with pytest.raises(InputError, match=r"row 7, column 'roles': the cell holds"):
        import_people(ctx, people)
    assert import_people(ctx, people, skip_invalid=True).added == 5
    import_caseload(ctx, F / "canonical.csv")
    notes = tmp_path / "n.csv"
    notes.write_text((F / "notes.csv").read_text() + "K001,2020-04-01,Visit,w1," + "y" * (MAX_CELL + 1) + "\n")
    with pytest.raises(InputError, match=r"row 6, column 'summary': the cell holds"):
        import_notes(ctx, notes)


def test_people_and_notes_come_from_a_workbook_as_from_csv(ctx, tmp_path):
    """README: all importers take .xlsx workbooks. A people workbook was refused as empty
    ("no people in the file") and a notes workbook imported nothing, exit 0 ("0 added"):
    a sheet's rows were never read into memory (``Table.all_rows``)."""
    with (F / "people.csv").open(newline="", encoding="utf-8") as f:
        people_heads, *people_rows = list(csv.reader(f))
    result = import_people(ctx, workbook(tmp_path / "people.xlsx", people_rows, people_heads, "People"))
    assert (result.added, result.rejected) == (len(people_rows), 0)
    import_caseload(ctx, F / "canonical.csv")
    with (F / "notes.csv").open(newline="", encoding="utf-8") as f:
        note_heads, *note_rows = list(csv.reader(f))
    by_csv = import_notes(ctx, F / "notes.csv", dry_run=True)
    result = import_notes(ctx, workbook(tmp_path / "notes.xlsx", note_rows, note_heads, "Notes"))
    assert (result.added, result.rejected) == (by_csv.added, by_csv.rejected) and result.added > 0
    assert counts(ctx)["case_notes"] == result.added
    assert import_notes(ctx, F / "notes.csv").unchanged == result.added  # the same notes as the CSV's


def test_faults_are_listed_in_the_order_of_their_rows(ctx, tmp_path):
    """README: every fault is listed by row and column. A child twice (found once the rows
    are read) was listed after a bad date further down the file."""
    path = write_csv(tmp_path / "d.csv", [
        ["K1", "A", "2012-01-01", "", "cin", "w1", "T", "", ""],
        ["K1", "B", "2012-01-01", "", "cp", "w1", "T", "", ""],
        ["K2", "C", "bad", "", "cin", "w1", "T", "", ""],
        ["K3", "D", "2012-01-01", "", "zzz", "w1", "T", "", ""],
    ])
    with pytest.raises(InputError) as err:
        import_caseload(ctx, path)
    rows = [int(m.group(1)) for line in err.value.lines() if (m := re.search(r": row (\d+),", line))]
    assert rows == [3, 4, 5]


def test_a_huge_heading_refuses_the_file(ctx, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("child_id,cohort," + "z" * (MAX_CELL + 1) + "\nK1,cin,x\n")
    with pytest.raises(InputError, match=r"row 1: a heading is longer than 131,072 characters"):
        import_caseload(ctx, path)


def test_a_long_value_is_clipped_in_its_message(ctx, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["K1", "", "2012-01-01", "", "q" * 5000, "w1", "T", "", ""]])
    with pytest.raises(InputError) as err:
        import_caseload(ctx, path)
    assert len(str(err.value)) < 400
    assert "(5,000 characters)" in str(err.value)


# -- control characters are shown escaped: one fault, one line --------------------------
def test_fault_render_escapes_control_characters():
    fault = Fault(3, "na\nme", "'\x1b]0;owned\x07' is not a date\r\nnext \u202e \x85 \x00 \t")
    line = fault.render("f.csv")
    assert line == ("f.csv: row 3, column 'na\\nme': '\\x1b]0;owned\\x07' is not a date\\r\\nnext "
                    "\\u202e \\x85 \\x00 \\t")
    assert "\n" not in line and "\x1b" not in line
    assert Fault(None, None, "plain, café, ✓").render("f") == "f: plain, café, ✓"


def test_a_cell_with_a_newline_and_an_escape_sequence_is_one_line(ctx, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        ["K1", "", "2012-01-01", "", "adopted\n\x1b[2J\x1b]0;title\x07", "w1", "T", "", ""],
        ["K2", "", "\x1b[31m01/01/2012\n", "", "cin", "w1", "T", "", ""],
    ])
    with pytest.raises(InputError) as err:
        import_caseload(ctx, path)
    text = str(err.value)
    assert "\x1b" not in text and "\x07" not in text
    assert text.splitlines() == [
        f"{path}: row 2, column 'cohort': 'adopted\\n\\x1b[2J\\x1b]0;title\\x07' is not a cohort "
        "(expected one of unborn, cp, care_leaver, cla, cin)",
        f"{path}: row 3, column 'date_of_birth': '\\x1b[31m01/01/2012' is not a date "
        "(expected dd/mm/yyyy, yyyy-mm-dd or an Excel serial number)",
        f"{path}: 2 faults; nothing was written",
    ]


# -- the rejects file ------------------------------------------------------------------
@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def bad_caseload(tmp_path, name="next.csv"):
    return write_csv(tmp_path / name, [
        ["K1", "=HYPERLINK(\"http://evil\",\"x\")", "2012-01-01", "", "cin", "w1", "T", "", ""],
        ["K2", "@SUM(A1)", "2012-13-01", "", "cin", "-2+3", "+T", "", ""],
    ])


def test_rejects_are_private_and_formula_cells_neutralised(ctx, tmp_path, loose_umask):
    result = import_caseload(ctx, bad_caseload(tmp_path), skip_invalid=True)
    path = tmp_path / "next.rejects.csv"
    assert result.rejects_file == str(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, newline="", encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert (row["child_id"], row["name"], row["worker"], row["team"]) == ("K2", "'@SUM(A1)", "'-2+3", "'+T")
    assert sorted(p.name for p in tmp_path.iterdir() if ".csv" in p.name) == ["next.csv", "next.rejects.csv"]


def test_rejects_group_shared_in_a_setgid_folder(ctx, tmp_path, loose_umask):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o2770)
    result = import_caseload(ctx, bad_caseload(shared), skip_invalid=True)
    assert stat.S_IMODE(os.stat(result.rejects_file).st_mode) == 0o660


def test_rejects_never_follow_a_planted_symlink(ctx, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "next.rejects.csv").symlink_to(victim)
    with pytest.raises(InputError, match=r"next.rejects.csv: is a symbolic link; refusing to write through it"):
        import_caseload(ctx, bad_caseload(tmp_path), skip_invalid=True)
    assert victim.read_text() == "precious"
    assert counts(ctx)["children"] == 0  # refused before anything was imported


def test_rejects_never_replace_the_input_or_the_database(ctx, tmp_path):
    src = bad_caseload(tmp_path)
    before = src.read_bytes()
    with pytest.raises(InputError, match=r"is the input file .*refusing to overwrite it"):
        import_caseload(ctx, src, skip_invalid=True, rejects_path=src)
    assert src.read_bytes() == before
    with pytest.raises(InputError, match=r"is the input file"):
        import_caseload(ctx, src, skip_invalid=True, rejects_path=ctx.store.path)
    assert counts(ctx)["children"] == 0


def test_rejects_never_go_into_a_folder_that_does_not_exist(ctx, tmp_path):
    target = tmp_path / "no" / "such" / "r.csv"
    with pytest.raises(InputError, match=r"the folder .*/no/such does not exist; nothing was written"):
        import_caseload(ctx, bad_caseload(tmp_path), skip_invalid=True, rejects_path=target)
    with pytest.raises(InputError, match=r"does not exist"):  # a dry run says so too, and writes nothing
        import_caseload(ctx, bad_caseload(tmp_path), skip_invalid=True, dry_run=True, rejects_path=target)
    assert not (tmp_path / "no").exists()
    assert counts(ctx)["children"] == 0


def test_rejects_of_a_workbook_name_the_sheet(ctx, tmp_path):
    path = workbook(tmp_path / "b.xlsx", [["K1", "", "2012-01-01", "", "cin", "w1", "T", "", ""],
                                          ["K2", "", "soon", "", "cin", "w1", "T", "", ""]])
    result = import_caseload(ctx, path, skip_invalid=True)
    assert (result.added, result.rejected) == (1, 1)
    with open(result.rejects_file, newline="", encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert (row["row"], row["child_id"]) == ("3", "K2") and "'soon' is not a date" in row["reasons"]


# -- the trail names every child that changed ----------------------------------------------
def test_the_import_event_names_each_child_added_updated_and_closed(ctx, clock, tmp_path):
    import_caseload(ctx, F / "canonical.csv")
    first = json.loads(ctx.store.scalar("SELECT after FROM events WHERE entity = 'import' ORDER BY event_id DESC"))
    assert first["added"] == ["K001", "K002", "K003", "K004", "K005"]
    assert (first["updated"], first["closed"]) == ({}, [])
    clock.advance(days=1)
    path = write_csv(tmp_path / "c.csv", [
        ["K001", "Alex Example", "2012-05-01", "", "cin", "w9", "Team Z", "F1", ""],  # moved worker and team
        ["K002", "Bo Example", "2014-06-02", "", "cp", "w1", "Team A", "F1", ""],
        ["K003", "", "", "2020-07-01", "unborn", "w2", "Team B", "", ""],
        ["K004", "Cy Example", "01/02/2010", "", "Child looked after", "w2", "Team B", "F2", ""],
        ["K006", "New Child", "2015-01-01", "", "cin", "w1", "Team A", "", ""],
    ])
    result = import_caseload(ctx, path)
    after = json.loads(ctx.store.scalar("SELECT after FROM events WHERE entity = 'import' ORDER BY event_id DESC"))
    assert (result.added, result.updated, result.closed) == (1, 1, 0)
    assert after["added"] == ["K006"]
    assert after["updated"] == {"K001": ["worker", "team"]}
    assert after["closed"] == []  # K005 was closed already
    assert after["counts"]["unchanged"] == result.unchanged


# -- start-up ----------------------------------------------------------------------------
def test_a_csv_import_loads_no_tui_delivery_or_workbook_modules(tmp_path):
    code = (
        "import sys\n"
        "from tui.cli import main\n"
        "sys.argv = ['dipaudit', '--db', sys.argv[1], 'import', 'caseload', sys.argv[2], '--json']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('textual', 'apprise', 'openpyxl', 'rich', 'jinja2') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "d.db"), str(F / "canonical.csv")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "HEAVY []"
    assert json.loads("\n".join(r.stdout.strip().splitlines()[:-1]))["added"] == 5
