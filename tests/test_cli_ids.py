"""Every id (and number) argument of every command takes anything a person can type, of
any size: a success or a one-line refusal with an exit status in the set, never a
traceback, and nothing written on a refusal. Property-based (hypothesis) through the real
`tui.cli.main`, in-process, on a real database with rows for small ids to find."""

from __future__ import annotations

import hashlib
import sqlite3

import click
import pytest
from cli_main import run_main
from conftest import add_people
from factories import add_child, submitted_audit
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core import escalation
from core.sampling import draw_sample
from tui.cli import INT, SqliteInt, cli

# Each command taking an id or number: its words, with X where the value goes.
COMMANDS = [
    "action review X --outcome completed",
    "programme show --id X",
    "action reassign X --to w2",
    "audit start X",
    "audit show X", "audit submit X", "audit note X", "audit prechecks X", "audit finalise X",
    "audit addendum X --text t",
    "audit fill X --from FILL",
    "audit fill 1 --from FILL --expect-version X",
    "audit list --child X",
    "comment X --text t", "comment add X --text t", "comment resolve X --text t", "comments X",
    "escalate X --concern c",
    "escalation respond X --text t", "escalation hos X", "escalation close X --outcome o",
    "escalation show X",
    "log --id X", "log --limit X",
    "report show X", "reports --limit X",
    "sample show X", "sample --dry-run --tier X", "sample --dry-run --seed X", "sample --dry-run --per-worker X",
    "queue claim X", "queue release X", "queue reassign X --to aud2",
    "notify outbox --limit X",
    "import caseload CASELOAD --dry-run --list X",
    "demo --no-tui --seed X",
]
EXIT_STATUSES = {0, 1, 2, 3, 4}

WEIRD = ["", " ", "0", "-0", "+1", " 1", "1 ", "1e3", "0x1f", "1_000", "٣", "１２", "1.0", "--", "-",
         "9" * 19, "9" * 20, "-" + "9" * 30, "1\n2", "1\x1b]0;pwned\x07", "1\x00", "'; DROP TABLE events; --",
         "Ω", "\u202e1"]
values = st.one_of(st.integers().map(str), st.integers(min_value=2**62).map(str),
                   st.integers(max_value=-(2**62)).map(str), st.sampled_from(WEIRD),
                   st.text(alphabet=st.characters(codec="utf-8"), max_size=25))


def _walk(command, path=()):
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))
    yield path, command


def test_every_command_with_a_number_or_id_is_in_the_list():
    """A new command taking an id or a number must be added to COMMANDS (and so fuzzed)."""
    for path, command in _walk(cli):
        for p in command.params:
            numeric = isinstance(p.type, click.types.IntParamType | click.types.FloatParamType)
            if numeric or p.name.endswith("_id") or p.name == "ref":
                assert any(c.startswith(" ".join(path) + " ") for c in COMMANDS), (path, p.name)
    assert isinstance(INT, SqliteInt)


def _digest(db) -> str:
    """Everything the database holds (a refusal must leave it byte for byte the same)."""
    conn = sqlite3.connect(db)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A database with one of everything (ids 1 and 2 exist), and a fill file, a caseload."""
    from datetime import UTC, datetime

    from core.clock import FixedClock
    from core.config import Settings
    from core.context import Context
    from core.store import Store

    folder = tmp_path_factory.mktemp("ids")
    db = folder / "ids.db"
    store = Store.open(db)
    ctx = Context(store=store, clock=FixedClock(datetime(2020, 4, 27, 9, 0, tzinfo=UTC)), settings=Settings(),
                  user="all", os_login="tester")
    add_people(ctx, [{"login": "all", "roles": ["admin", "auditor", "pdt"]}])
    audit = submitted_audit(ctx)
    escalation.escalate(Context(store=store, clock=ctx.clock, user="aud1", os_login="t"), audit.audit_id, "c")
    add_people(ctx, [{"login": "aud2", "roles": ["auditor"]}, {"login": "w2", "roles": ["worker"]}])
    for c in ("C2", "C3"):
        add_child(ctx, c)
    draw_sample(ctx, seed=1, per_worker=2)
    store.close()
    fill = folder / "fill.json"
    fill.write_text('{"overview": "x"}')
    caseload = folder / "caseload.csv"
    caseload.write_text("child_id,name,date_of_birth,expected_date_of_birth,cohort,worker,team,family_id,closed_on\n"
                        "C9,A B,2012-01-01,,cin,w1,Team A,,\n")
    return {"db": db, "FILL": str(fill), "CASELOAD": str(caseload)}


def _args(world, command: str, value: str) -> list[str]:
    words = [world.get(w, w) for w in command.split(" ")]
    return ["--db", str(world["db"]), "--user", "all", "--now", "2020-04-28T09:00",
            *[value if w == "X" else w for w in words]]


@pytest.mark.parametrize("command", COMMANDS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=values)
@example(value="99999999999999999999999")
@example(value="-99999999999999999999999")
@example(value="1")
@example(value="6")
def test_any_value_is_a_result_or_a_one_line_refusal(world, command, value):
    if command.startswith("demo") and value.strip().lstrip("+").isdigit() and len(value.strip()) < 19:
        return  # a valid seed would build a whole demo council: its refusals are what is fuzzed here
    before = _digest(world["db"])
    r = run_main(_args(world, command, value))
    assert r.exception is None, f"{command!r} {value!r}: {r.exception!r}"
    assert r.code in EXIT_STATUSES, (command, value, r.code, r.err)
    assert "Traceback" not in r.err + r.out
    if r.code != 0:
        lines = r.err.splitlines()
        if command.startswith("import") and value.strip() in {"6", "7", "8", "9"}:
            # a valid list number reads the file as that list: one line per fault, each
            # naming the file, then the count ("nothing was written")
            assert lines and all(line.startswith(world["CASELOAD"] + ":") for line in lines), r.err
            assert lines[-1].endswith("nothing was written"), r.err
        else:
            assert r.err.count("\n") == 1 and r.err.endswith("\n"), (command, value, r.err)
        assert "\x1b" not in r.err and "\x00" not in r.err
        assert _digest(world["db"]) == before, (command, value, "written on a refusal")
