"""Property-based tests of every file a person hands dipaudit (issue 9): caseload, people
and notes files (CSV and .xlsx, generated and damaged), audit fill files, config files.

Whatever the bytes: never a traceback (only InputError and the other one-line refusals),
nothing written when a file is refused (every table the same, the trail included), and
every fault message one line. Quick in ``make test``; ``DIPAUDIT_FUZZ_EXAMPLES=2000``
runs longer, and ``DIPAUDIT_FUZZ_TALLY=file.json`` adds each test's counts (runs,
refusals, tracebacks, partial writes) to that file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.audit import fill_audit, read_fill_file, start_audit
from core.config import load_settings
from core.context import Context
from core.errors import DipauditError, InputError
from core.importers import common, import_caseload, import_notes, import_people
from tests.conftest import FIXTURES
from tests.factories import add_audit_people, add_child

F = FIXTURES / "import"
EXAMPLES = int(os.environ.get("DIPAUDIT_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 40, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
SMALL_CELL = 64  # MAX_CELL for these tests: "huge" cells without generating megabytes
TALLY: dict[str, dict[str, int]] = {}


@pytest.fixture(autouse=True)
def small_cells(monkeypatch):
    monkeypatch.setattr(common, "MAX_CELL", SMALL_CELL)


@pytest.fixture(scope="module", autouse=True)
def write_tally():
    yield
    target = os.environ.get("DIPAUDIT_FUZZ_TALLY")
    if target and TALLY:
        path = Path(target)
        old = json.loads(path.read_text()) if path.exists() else {}
        for test, counts in TALLY.items():
            mine = old.setdefault(test, {})
            for k, v in counts.items():
                mine[k] = mine.get(k, 0) + v
        path.write_text(json.dumps(old, indent=2, sort_keys=True))


def tally(test: str, outcome: str) -> None:
    counts = TALLY.setdefault(test, {"runs": 0, "accepted": 0, "refused": 0, "tracebacks": 0,
                                     "partial_writes": 0, "multi_line_faults": 0})
    counts["runs"] += 1
    counts[outcome] += 1


def snapshot(ctx) -> dict:
    """Every row of every table (the small fuzz databases), the trail included."""
    tables = [r[0] for r in ctx.store.rows(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {t: ctx.store.rows(f'SELECT * FROM "{t}" ORDER BY 1') for t in tables}


def check(test: str, ctx, call) -> None:
    """Run ``call``: it returns, or refuses with a one-line-per-fault DipauditError and
    writes nothing. Anything else fails the test (and is counted)."""
    before = snapshot(ctx)
    try:
        call()
    except DipauditError as exc:
        after = snapshot(ctx)
        if after != before:
            tally(test, "partial_writes")
            raise AssertionError(f"refused ({exc}) but the database changed") from exc
        text = str(exc)
        lines = text.splitlines()
        faults = len(exc.faults) if isinstance(exc, InputError) else 1
        if len(lines) != (faults if faults == 1 else faults + 1) or any(c in text for c in "\x1b\r\x00"):
            tally(test, "multi_line_faults")
            raise AssertionError(f"a fault over several lines: {text!r}") from exc
        tally(test, "refused")
        if os.environ.get("DIPAUDIT_FUZZ_SHOW"):
            print("REFUSED", test, text.splitlines()[0][-120:])
        return
    except Exception:
        tally(test, "tracebacks")
        raise
    tally(test, "accepted")


# -- strategies --------------------------------------------------------------------------
CONTROL = st.sampled_from(["\n", "\r\n", "\x1b[2J", "\x1b]0;x\x07", "\x00", "\t", "\u202e", "\x85", "\u2028"])
DATEISH = st.one_of(
    st.tuples(st.dates(date(1900, 1, 1), date(2100, 12, 31)),
              st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y"])).map(lambda t: t[0].strftime(t[1])),
    st.integers(0, 200_000).map(str),
    st.sampled_from(["", "#N/A", "n/a", "31/02/2020", "2020-13-01", "yesterday", "1e309", "nan", "-1",
                     "٢٠٢٠-٠١-٠١", "2020-01-01T25:00", "00/00/0000"]),
)
WORDS = st.sampled_from(["cin", "cp", "cla", "care_leaver", "unborn", "b) Child Protection plan",
                         "Looked after child", "adopted", "w1", "Wendy Worker", "Team A", "admin",
                         "worker;auditor", "Head of Service", "wizard", "=HYPERLINK(\"x\")", "@SUM(1)",
                         "-1", "+44", " padded ", "CAFÉ", "ǅ", "K001", "K002", "C001"])
CELL = st.one_of(
    st.just(""), WORDS, DATEISH, st.text(max_size=12),
    st.tuples(st.text(max_size=4), CONTROL, st.text(max_size=4)).map("".join),
    st.integers(1, 3).map(lambda k: "H" * (SMALL_CELL * k + 1)),  # over the cell limit
)
CASELOAD_HEADINGS = [
    "child_id", "name", "date_of_birth", "expected_date_of_birth", "cohort", "worker", "team", "family_id",
    "closed_on", "cp_plan_start", "Child Unique ID", "Date of Birth", "Allocated Team", "Allocated Worker",
    "CIN Start Date", "CIN Closure Date", "Case Status", "Child Protection Plan Start Date",
    "Age of Child (Years)", "Date Started to be Looked After", "Allocated Personal Advisor",
    "Eligibility Category", "Latest Pathway Plan Review Date",
]
PEOPLE_HEADINGS = ["login", "name", "roles", "team", "email", "teams", "manager", "head_of_service", "os_login"]
NOTES_HEADINGS = ["child_id", "date", "type", "author", "summary", "Note Date"]


def heading(choices):
    return st.one_of(
        st.sampled_from(choices),
        st.sampled_from(choices).map(lambda h: h.upper().replace(" ", "  ")),
        st.text(max_size=10),
        st.tuples(st.sampled_from(choices), CONTROL).map("".join),
        st.just("X" * (SMALL_CELL + 5)),
        st.just(""),
    )


def table(choices, *, max_rows=8):
    return st.integers(1, 9).flatmap(lambda width: st.tuples(
        st.lists(heading(choices), min_size=width, max_size=width),
        st.lists(st.lists(CELL, min_size=0, max_size=width + 1), max_size=max_rows),
    ))


VALID_CANONICAL = [
    ["K{n}", "Child {n}", "2012-05-01", "", "cin", "w1", "Team A", "F1", ""],
    ["K{n}", "", "", "2020-07-01", "unborn", "w2", "Team B", "", ""],
    ["K{n}", "Child {n}", "01/02/2010", "", "Child looked after", "Wendy Worker", "Team B", "F2", ""],
    ["K{n}", "Child {n}", "2003-03-03", "", "care_leaver", "w2", "Team B", "", "2020-03-01"],
    ["K{n}", "Child {n}", "2014-06-02", "", "cp", "", "", "", "2021-01-01"],
]
VALID_LIST6 = ["C{n}", "a) Male", "WBRI", "03/05/2012", "7", "No", "01/09/2019", "N4", "20/04/2020", "", "",
               "b) Child Protection plan", "Team North", "Wendy Worker"]
LIST6_HEADINGS = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
                  "Does the Child have a Disability", "CIN Start Date", "Primary Need Code",
                  "Date Child Was Last Seen", "CIN Closure Date", "Reason for Closure", "Case status",
                  "Allocated Team", "Allocated Worker"]
VALID_PEOPLE = [
    ["admin1", "Ada Admin", "admin", "", "admin1@example.org", "", "", "", ""],
    ["m{n}", "Manager {n}", "manager", "Team A", "m{n}@example.org", "", "", "", ""],
    ["w{n}", "Worker {n}", "worker;auditor", "Team A", "", "", "admin1", "", "os{n}"],
]


@st.composite
def near_valid(draw, kind: str):
    """A valid file with a few cells changed (faults, control characters, huge cells), its
    headings sometimes in another order or case: the paths that accept part of a file."""
    if kind == "caseload":
        headings, templates = list(CASELOAD_HEADINGS[:9]), VALID_CANONICAL
    elif kind == "list6":
        headings, templates = list(LIST6_HEADINGS), [VALID_LIST6]
    else:
        headings, templates = list(PEOPLE_HEADINGS), VALID_PEOPLE
    n = draw(st.integers(1, 8))
    repeat = draw(st.integers(1, 9))  # ids repeat (faults in a canonical file, episodes in Annex A)
    rows = [[c.format(n=i if kind == "people" else i % repeat) for c in draw(st.sampled_from(templates))]
            for i in range(n)]
    if kind == "people":
        rows[0] = list(VALID_PEOPLE[0])
    for _ in range(draw(st.integers(0, 3))):
        r, c = draw(st.integers(0, n - 1)), draw(st.integers(0, len(headings) - 1))
        rows[r][c] = draw(CELL)
    if draw(st.booleans()):
        order = draw(st.permutations(range(len(headings))))
        headings = [headings[i] for i in order]
        rows = [[r[i] for i in order] for r in rows]
    if draw(st.booleans()):
        headings = [h.upper() for h in headings]
    return headings, rows


def csv_bytes(headings, rows, *, encoding="utf-8") -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(headings)
    w.writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


_n = 0


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    global _n
    _n += 1
    path = tmp_path / f"{_n}-{name}"
    path.write_bytes(data)
    return path


def as_workbook(headings, rows, *, sheets=1) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(v):
        if isinstance(v, str):
            v = ILLEGAL_CHARACTERS_RE.sub("", v)
            if re.fullmatch(r"-?[0-9]{1,7}", v):
                return int(v)  # numbers as a spreadsheet holds them
        return v

    book = Workbook()
    book.remove(book.active)
    for i in range(sheets):
        ws = book.create_sheet(f"List {6 + i}" if i else "Caseload")
        ws.append([clean(h) for h in headings])
        for r in rows:
            ws.append([clean(c) for c in r] + ([datetime(2020, 1, 1), True, 1.5] if i else []))  # noqa: DTZ001
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def damage(data: bytes, how: int, seed: int) -> bytes:
    rng = random.Random(seed)
    if how == 0:
        return data[: rng.randrange(len(data) + 1)]
    if how == 1:
        raw = bytearray(data)
        for _ in range(rng.randrange(1, 40)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        return bytes(raw)
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        members = [(i, zin.read(i.filename)) for i in zin.infolist()]
    victim = rng.randrange(len(members))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for k, (info, body) in enumerate(members):
            if k == victim:
                if how == 2:
                    continue  # a member missing
                cut = rng.randrange(len(body) + 1)
                body = body[:cut] + rng.choice([b"", b"<", b"&bogus;", b"\xff\xfe", b"]]>"]) + body[cut:][: rng.randrange(5)]
            zout.writestr(info, body)
    return out.getvalue()


# -- the importers: CSV ----------------------------------------------------------------------
@FUZZ
@given(t=table(CASELOAD_HEADINGS), skip=st.booleans(), dry=st.booleans(), listn=st.sampled_from([None, 6, 7, 9]))
def test_caseload_csv_never_a_traceback_or_a_partial_write(ctx, tmp_path, t, skip, dry, listn):
    headings, rows = t
    path = write(tmp_path, "caseload.csv", csv_bytes(headings, rows))
    check("caseload_csv", ctx, lambda: import_caseload(ctx, path, skip_invalid=skip, dry_run=dry,
                                                       list_number=listn))


@FUZZ
@given(t=near_valid("caseload") | near_valid("list6"), skip=st.booleans(), dry=st.booleans())
def test_caseload_near_valid_csv_accepts_or_refuses_whole(ctx, tmp_path, t, skip, dry):
    headings, rows = t
    path = write(tmp_path, "caseload.csv", csv_bytes(headings, rows))
    check("caseload_near_valid", ctx, lambda: import_caseload(ctx, path, skip_invalid=skip, dry_run=dry))


@FUZZ
@given(t=near_valid("people"), skip=st.booleans())
def test_people_near_valid_csv_accepts_or_refuses_whole(ctx, tmp_path, t, skip):
    if "admin" not in (ctx.store.scalar("SELECT roles FROM people WHERE login = 'admin1' AND active = 1") or ""):
        with ctx.tx() as tx:  # an earlier file handed admin to another: admin1 is the admin again
            tx.execute("UPDATE people SET active = 0 WHERE COALESCE(os_login, login) = 'admin1'")
            tx.execute("INSERT INTO people (login, name, roles, os_login, active) VALUES"
                       " ('admin1', 'Ada Admin', '[\"admin\"]', 'admin1', 1) ON CONFLICT(login) DO UPDATE SET"
                       " roles = excluded.roles, os_login = 'admin1', active = 1, left_at = NULL")
    headings, rows = t
    path = write(tmp_path, "people.csv", csv_bytes(headings, rows))
    check("people_near_valid", ctx, lambda: import_people(ctx, path, skip_invalid=skip))


@FUZZ
@given(t=near_valid("caseload"), how=st.integers(-1, 3), seed=st.integers(0, 10**6), skip=st.booleans())
def test_near_valid_workbooks_accept_or_refuse_whole(ctx, tmp_path, t, how, seed, skip):
    headings, rows = t
    data = as_workbook(headings, rows)
    if how >= 0:
        data = damage(data, how, seed)
    path = write(tmp_path, "caseload.xlsx", data)
    check("workbook_near_valid", ctx, lambda: import_caseload(ctx, path, skip_invalid=skip))


@FUZZ
@given(t=table(PEOPLE_HEADINGS), skip=st.booleans())
def test_people_csv_never_a_traceback_or_a_partial_write(ctx, tmp_path, t, skip):
    headings, rows = t
    path = write(tmp_path, "people.csv", csv_bytes(headings, rows))
    check("people_csv", ctx, lambda: import_people(ctx, path, skip_invalid=skip))


@FUZZ
@given(t=table(NOTES_HEADINGS), skip=st.booleans())
def test_notes_csv_never_a_traceback_or_a_partial_write(ctx, tmp_path, t, skip):
    if not ctx.store.scalar("SELECT COUNT(*) FROM children"):
        import_caseload(ctx, F / "canonical.csv")
    headings, rows = t
    path = write(tmp_path, "notes.csv", csv_bytes(headings, rows))
    check("notes_csv", ctx, lambda: import_notes(ctx, path, skip_invalid=skip))


@FUZZ
@given(data=st.binary(max_size=600), name=st.sampled_from(["x.csv", "x.xlsx", "x.txt", "x.xlsm", "x"]),
       importer=st.sampled_from([import_caseload, import_people, import_notes]),
       prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf",
                               b"child_id,cohort,worker\n"]))
def test_random_bytes_are_refused_in_one_line(ctx, tmp_path, data, name, importer, prefix):
    path = write(tmp_path, name, prefix + data)
    check("random_bytes", ctx, lambda: importer(ctx, path, skip_invalid=True))


# -- the importers: workbooks ------------------------------------------------------------------
@FUZZ
@given(t=table(CASELOAD_HEADINGS, max_rows=5), sheets=st.integers(1, 2), how=st.integers(-1, 3),
       seed=st.integers(0, 10**6), skip=st.booleans())
def test_workbooks_generated_and_damaged_never_a_traceback(ctx, tmp_path, t, sheets, how, seed, skip):
    headings, rows = t
    data = as_workbook(headings, rows, sheets=sheets)
    if how >= 0:
        data = damage(data, how, seed)
    path = write(tmp_path, "caseload.xlsx", data)
    check("workbook", ctx, lambda: import_caseload(ctx, path, skip_invalid=skip))


@FUZZ
@given(t=table(PEOPLE_HEADINGS, max_rows=5), how=st.integers(-1, 3), seed=st.integers(0, 10**6))
def test_people_workbooks_never_a_traceback(ctx, tmp_path, t, how, seed):
    headings, rows = t
    data = as_workbook(headings, rows)
    if how >= 0:
        data = damage(data, how, seed)
    path = write(tmp_path, "people.xlsx", data)
    check("people_workbook", ctx, lambda: import_people(ctx, path, skip_invalid=True))


# -- audit fill files ----------------------------------------------------------------------------
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-(2**80), 2**80), st.floats(),
              st.text(max_size=20), WORDS, DATEISH,
              st.sampled_from(["met", "partly_met", "not_met", "not_applicable", "worker", "manager"])),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=10), st.sampled_from([
            "ratings", "overview", "positive_practice", "actions", "covid_note", "virtual_contact",
            "rating", "evidence", "owner_role", "description", "due", "action_id", "owner", "status"])),
            children, max_size=5),
    ),
    max_leaves=25,
)


@pytest.fixture
def draft(ctx):
    add_audit_people(ctx)
    add_child(ctx, "C1")
    auditor = Context(store=ctx.store, clock=ctx.clock, settings=ctx.settings, user="aud1", os_login="t")
    return auditor, start_audit(auditor, "C1").audit_id


def _dump_toml(value) -> str:
    """A rough TOML writer for arbitrary shapes (invalid output is fine: it is fuzz)."""
    if not isinstance(value, dict):
        return f"x = {json.dumps(value)}\n"
    lines = []
    for k, v in value.items():
        lines.append(f"{json.dumps(str(k))} = {json.dumps(v, default=str)}")
    return "\n".join(lines) + "\n"


@FUZZ
@given(value=JSONISH, as_toml=st.booleans(), raw=st.one_of(st.none(), st.text(max_size=60)))
def test_audit_fill_files_only_refusals(draft, tmp_path, value, as_toml, raw):
    auditor, audit_id = draft
    if raw is not None:
        text = raw
    elif as_toml:
        text = _dump_toml(value)
    else:
        text = json.dumps(value, default=str, allow_nan=True)
    path = write(tmp_path, "fill.toml" if as_toml else "fill.json", text.encode("utf-8", errors="replace"))

    def fill():
        fill_audit(auditor, audit_id, read_fill_file(path), source=str(path))

    check("audit_fill", auditor, fill)


@FUZZ
@given(value=JSONISH)
def test_audit_fill_data_of_any_shape_only_refusals(draft, value):
    auditor, audit_id = draft
    check("audit_fill_data", auditor, lambda: fill_audit(auditor, audit_id, value))


# -- config files -----------------------------------------------------------------------------------
SECTIONS = ["sampling", "workflow", "notify", "note_types", "keys", "security", "scheduler", "council"]
CONFIG_KEYS = ["per_worker", "exclusion_days", "tiers", "comment_window_hours", "review_after_days",
               "full_names", "max_attempts", "retry_minutes", "bank_holiday_region", "apprise_config",
               "covid", "act_as", "stale_minutes", "unknown"]


@FUZZ
@given(body=st.one_of(
    st.text(max_size=200),
    st.dictionaries(st.sampled_from(SECTIONS), st.dictionaries(st.sampled_from(CONFIG_KEYS), JSONISH, max_size=4),
                    max_size=4).map(lambda d: "\n".join(
                        f"[{s}]\n" + "".join(f"{k} = {json.dumps(v, default=str)}\n" for k, v in kv.items())
                        for s, kv in d.items())),
))
def test_config_files_only_input_errors(tmp_path, monkeypatch, body):
    cfg = write(tmp_path, "config.toml", body.encode("utf-8", errors="replace"))
    monkeypatch.setenv("DIPAUDIT_CONFIG", str(cfg))
    try:
        load_settings()
    except InputError as exc:
        assert len(str(exc).splitlines()) == (1 if len(exc.faults) == 1 else len(exc.faults) + 1), str(exc)
        tally("config", "refused")
    except Exception:
        tally("config", "tracebacks")
        raise
    else:
        tally("config", "accepted")


# -- a deeply nested file (Python's parsers recurse per level) -------------------------------
@pytest.mark.parametrize("kind", ["fill.json", "fill.toml", "config.toml"])
def test_a_deeply_nested_file_is_a_refusal(tmp_path, monkeypatch, kind):
    path = tmp_path / kind
    path.write_text(("a = " if kind.endswith(".toml") else "") + "[" * 3_000, encoding="utf-8")
    if kind == "config.toml":
        monkeypatch.setenv("DIPAUDIT_CONFIG", str(path))
    with pytest.raises(InputError) as err:
        load_settings() if kind == "config.toml" else read_fill_file(path)
    assert "nested" in str(err.value) and "\n" not in str(err.value)
