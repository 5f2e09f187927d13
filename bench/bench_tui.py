"""Benchmark: the TUI under load (issue 10 items 4 and 5; design.md "Speed": the TUI is
interactive within a second and scrolls 10,000-row tables without lag).

Builds fresh databases in a temp dir (people incl. the auditor, children with a few
case notes each, one sample and N live queue items, and in the largest 5,000 open
actions of submitted audits; direct inserts) and the demo (``dipaudit demo --no-tui``),
then runs the real app headless (``create_app(ctx, tick_seconds=None)``,
``run_test(size=(120, 40))``) and times, for N = 100 and N = 10,000:

- start-up: from creating the app until the queue table holds all N rows, its size is
  measured and a frame is drawn ("rows shown"); also when ``run_test`` hands over (the
  first screen is mounted). Baselines in the same run: the app on an empty queue, and a
  bare Textual App with one DataTable (and one RowTable, dipaudit's) of 10,000 plain rows added in
  one ``add_rows`` call.
- the same in fresh processes, from spawning them: the interpreter, imports, the
  context as ``dipaudit`` builds it (``tui.cli.CliState``: settings, identity), the app,
  until the rows are shown: on the demo (goal < 0.6 s) and on the 10,000-row queue
  (goal < 0.8 s); baselines a bare Textual app with the first screen's widgets (header,
  filter input, a DataTable of the demo's rows beside a detail pane, status line, footer:
  Textual's own floor under the demo) and one with a DataTable of 10,000 rows. The
  session's process sets PYDANTIC_DISABLE_PLUGINS as the ``dipaudit`` entry point does.
- scrolling (in those fresh processes, so no other session's objects burden the garbage
  collector): per key, from posting the key until its effect is visible (cursor moved),
  the messages it caused are handled, and a frame is drawn: ``end`` / ``home`` (as
  bound), ``ctrl+end`` / ``ctrl+home`` (last / first row), 200 cursor moves (``down``,
  bouncing back with ``up`` at the last row) and 20 page moves (``pagedown``, bouncing
  with ``pageup``); with the full (generation 2) garbage collections that fell in them.
  Baseline: the same keys on the bare DataTable app.
- the child detail: after five quick downs, from the last one until the detail pane
  shows the highlighted child (reads are paced while keys keep coming).
- filter: ``/`` then typing "Team 07" (per key), the time from the last key until the
  filtered rows are shown (over 2,000 rows this includes the screen's 0.3 s typing
  pause, by design), and ``escape`` until every row is back.
- the action review screen (5,000 actions, same session): switching to it until its
  rows are shown, then ``down`` and ``pagedown`` as above.

Goals (exit 1 when one is missed): first screen on the demo < 600 ms and on 10,000
queue rows < 800 ms; per key (down, pagedown, a filter keystroke at 10,000 rows; down,
pagedown at 5,000 actions) median <= 16 ms and worst <= 50 ms.

Keys are posted straight to the app's message queue rather than with ``Pilot.press``,
whose fixed sleeps (about 40 ms a key) would swamp the figures; the next key is posted
once the last one is drawn, as a person typing fast. Headless, Textual composes every
frame but skips turning it into terminal bytes, so a real terminal adds a little.

    .venv/bin/python bench/bench_tui.py [--rows 10000] [--actions 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench  # noqa: E402
from _bench import Goals  # noqa: E402

NOW = datetime(2020, 4, 27, 9, 0, tzinfo=UTC)
SIZE = (120, 40)
USER = "qa1"
COHORTS = [("cin", 55), ("cla", 20), ("cp", 15), ("care_leaver", 8), ("unborn", 2)]
FILTER_TEXT = "Team 07"
DOWNS, PAGES = 200, 20
BARE_COLUMNS = "Queue Child Cohort Tier Status Claimed Worker Team Auditor".split()


def bare_rows(n: int) -> list[tuple]:
    """n plain rows shaped as the queue's, for the bare Textual apps (the baselines)."""
    return [(str(i), f"C{i:06d}", "cin", "4", "queued", "", f"w{i % 500:04d}", f"Team {i % 40:02d}", "qa1")
            for i in range(n)]


# -- data ---------------------------------------------------------------------------------
def build(path: Path, n: int, settings, actions: int = 0) -> None:
    """A fresh database: max(n, 100) open children (20 per worker, 40 teams), three case
    notes each, people (auditors, workers, managers), and one sample with n queued items;
    with ``actions``, that many open actions (two each) of submitted audits, a third
    of them overdue and half their reviews due."""
    import random

    from core.store import Store

    rng = random.Random(2020)
    store = Store.open(path)
    at = "2020-04-26T09:00:00Z"
    children = max(n, 100)
    workers = max(children // 20, 1)
    cohorts = [c for c, w in COHORTS for _ in range(w)]
    child_rows, note_rows, queue_rows = [], [], []
    for i in range(children):
        cid = f"C{i:06d}"
        cohort = rng.choice(cohorts)
        w = i % workers
        worker, team = f"w{w:04d}", f"Team {w % 40:02d}"
        child_rows.append((cid, f"Child {cid}", None if cohort == "unborn" else "2012-05-01", cohort,
                           settings.tier_of(cohort), worker, worker, team, None, 1, None,
                           json.dumps({"cin_start": "2019-09-23"}), at))
        for k in range(3):
            day = f"2020-0{2 + k}-{1 + (i + k) % 28:02d}"
            note_rows.append((cid, day, "communication", "Communication", worker,
                              f"note {k} for {cid}", f"{cid}|{k}", at))
        if i < n:
            queue_rows.append((1, cid, worker, team, settings.tier_of(cohort), cohort, "bench",
                               ("qa1", "qa2", "qa3")[i % 3], "queued", at, at))
    people = [("qa1", "Quinn Auditor", json.dumps(["auditor"]), None, None),
              ("qa2", "Quincy Auditor", json.dumps(["auditor"]), None, None),
              ("qa3", "Quill Auditor", json.dumps(["auditor", "admin"]), None, None)]
    people += [(f"m{t:02d}", f"Manager {t:02d}", json.dumps(["manager"]), f"Team {t:02d}", None)
               for t in range(40)]
    people += [(f"w{w:04d}", f"Worker {w:04d}", json.dumps(["worker"]), f"Team {w % 40:02d}", f"m{w % 40:02d}")
               for w in range(workers)]
    conn = store.db.conn
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO people (login, name, roles, team, manager, active, updated_at)"
                     " VALUES (?,?,?,?,?,1,'2020-04-26T09:00:00Z')", people)
    conn.executemany(
        "INSERT INTO children (child_id, name, date_of_birth, cohort, tier, worker, worker_login, team,"
        " family_id, is_open, closed_on, key_dates, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        child_rows)
    conn.executemany(
        "INSERT INTO case_notes (child_id, date, kind, type, author, summary, note_key, imported_at)"
        " VALUES (?,?,?,?,?,?,?,?)", note_rows)
    conn.execute("INSERT INTO samples (sample_id, seed, params, created_at, created_by)"
                 " VALUES (1, 1, '{}', ?, 'qa3')", [at])
    conn.executemany(
        "INSERT INTO queue_items (sample_id, child_id, worker, team, tier, cohort, reason, auditor,"
        " status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", queue_rows)
    audit_rows, action_rows = [], []
    for k in range((actions + 1) // 2):
        cid, w = f"C{k % children:06d}", k % workers
        review = "2020-04-20T09:00:00Z" if k % 2 else "2020-05-11T09:00:00Z"
        audit_rows.append((k + 1, cid, ("qa1", "qa2", "qa3")[k % 3], f"w{w:04d}", f"m{w % 40:02d}",
                           f"Team {w % 40:02d}", at, at, review, at))
        for pos in range(2):
            if len(action_rows) < actions:
                due = f"2020-0{4 + (k + pos) % 3}-{1 + k % 28:02d}"
                action_rows.append((k + 1, pos, ("worker", "manager")[pos],
                                    f"w{w:04d}" if pos == 0 else f"m{w % 40:02d}",
                                    f"Action {pos + 1} of audit {k + 1}: see the child within 10 working days",
                                    due, at, at))
    conn.executemany(
        "INSERT INTO audits (audit_id, child_id, auditor, programme_id, programme_version,"
        " status, worker, manager, team, audit_date, started_at, submitted_at, review_due_at,"
        " updated_at, updated_by) VALUES (?,?,?,'bench','1','submitted',?,?,?,'2020-04-13',?,?,?,?,'qa1')",
        audit_rows)
    conn.executemany(
        "INSERT INTO actions (audit_id, position, owner_role, owner, description, due, status,"
        " created_at, updated_at) VALUES (?,?,?,?,?,?,'open',?,?)", action_rows)
    conn.execute("COMMIT")
    store.close()


def cli_context(path: Path, user: str, now: str | None):
    """The context as ``dipaudit`` builds it (tui.cli imported, as the entry point does)."""
    from tui.cli import CliState

    return CliState(db=path, user=user, now=now).context()


def context(path: Path):
    from core.clock import FixedClock
    from core.config import Settings
    from core.context import Context
    from core.store import Store

    return Context(store=Store.open(path), clock=FixedClock(NOW), settings=Settings(), user=USER,
                   os_login="bench")


# -- full garbage collections (a pause of their own when 10,000 rows of objects are alive)
GC_PAUSES: list[float] = []
_gc_start = [0.0]


def _gc_watch(phase: str, info: dict) -> None:
    if info.get("generation") != 2:
        return
    if phase == "start":
        _gc_start[0] = time.perf_counter()
    else:
        GC_PAUSES.append((time.perf_counter() - _gc_start[0]) * 1000)


# -- driving the app ------------------------------------------------------------------------
async def until(cond: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll (1 ms) until cond() holds; the app runs in between."""
    end = time.perf_counter() + timeout
    while not cond():
        if time.perf_counter() > end:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.001)


def table_ready(table, n: int) -> bool:
    """All n rows in the table and its size measured (scrollable to the last row)."""
    # DataTable measures its new rows on idle (its private flag says they are waiting);
    # a RowTable measures as it fills and has no such flag.
    return (table.row_count == n and not getattr(table, "_require_update_dimensions", False)
            and table.virtual_size.height >= n)


def frame(app) -> None:
    """Draw a frame now (what Textual's 60 Hz update timer would do next)."""
    app.screen._on_timer_update()


def status_text(screen) -> str:
    return str(screen.query_one("#queue-status").content)


def queue_shown(app, n: int) -> bool:
    try:
        screen = app.screen
        table = screen.query_one("#queue-table")
        return status_text(screen).startswith(f"{n} of {n} shown") and table_ready(table, n)
    except Exception:  # the queue screen is not mounted yet
        return False


def actions_shown(app, n: int) -> bool:
    try:
        return table_ready(app.screen.query_one("#actions_table"), n)
    except Exception:  # the action review screen is not mounted yet
        return False


async def press(app, pilot, key: str, done: Callable[[], bool]) -> float:
    """Milliseconds from posting ``key`` until done() holds, the messages it caused are
    handled, and a frame is drawn."""
    from textual import events
    from textual.keys import _character_to_key

    char = key if len(key) == 1 else (" " if key == "space" else None)
    name = _character_to_key(key) if len(key) == 1 else key
    t = time.perf_counter()
    event = events.Key(name, char)
    event.set_sender(app)
    app.post_message(event)
    await until(done, timeout=30)
    await pilot._wait_for_screen()
    frame(app)
    return (time.perf_counter() - t) * 1000


async def startup(ctx, n: int) -> dict:
    from tui.app import create_app

    t = time.perf_counter()
    app = create_app(ctx, tick_seconds=None)
    async with app.run_test(size=SIZE) as pilot:
        mounted = (time.perf_counter() - t) * 1000
        await until(lambda: queue_shown(app, n))
        frame(app)
        shown = (time.perf_counter() - t) * 1000
        await pilot._wait_for_screen()
        await app.workers.wait_for_complete()
    return {"mounted": mounted, "shown": shown}


async def bare(n: int, plain: bool) -> dict:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from tui.widgets.row_table import RowTable

    cls = RowTable if plain else DataTable
    rows = bare_rows(n)

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield cls(zebra_stripes=True, cursor_type="row")

        def on_mount(self) -> None:
            table = self.query_one(cls)
            table.add_columns(*BARE_COLUMNS)
            table.add_rows(rows)

    t = time.perf_counter()
    app = Bare()
    async with app.run_test(size=SIZE):
        mounted = (time.perf_counter() - t) * 1000
        table = app.query_one(cls)
        await until(lambda: table_ready(table, n))
        frame(app)
        shown = (time.perf_counter() - t) * 1000
    return {"mounted": mounted, "shown": shown}


async def scroll(app, pilot, table, n: int, out: dict, prefix: str = "") -> None:
    """``down`` x DOWNS and ``pagedown`` x PAGES (bouncing back at the last row) on a
    focused table: ms per key into ``out``, with the full GCs that fell in them."""
    row = lambda: table.cursor_row  # noqa: E731
    for name, count, fwd, back in (("down", DOWNS, "down", "up"), ("pagedown", PAGES, "pagedown", "pageup")):
        times, forward = [], True
        GC_PAUSES.clear()
        for _ in range(count):
            before = row()
            if forward and before == n - 1:
                forward = False
            elif not forward and before == 0:
                forward = True
            if forward:
                times.append(await press(app, pilot, fwd, lambda b=before: row() > b))
            else:
                times.append(await press(app, pilot, back, lambda b=before: row() < b))
        out[prefix + name] = times
        out[f"{prefix}{name} gc"] = list(GC_PAUSES)
        await press(app, pilot, "ctrl+home", lambda: row() == 0)
    await app.workers.wait_for_complete()


async def keys(app, pilot, n: int) -> dict:
    """The scroll keys, then the filter, on a started app. Lists of ms per key."""
    from textual.widgets import Input

    out: dict[str, list[float]] = {}
    screen = app.screen
    table = screen.query_one("#queue-table")
    row = lambda: table.cursor_row  # noqa: E731
    scroll_x = table.scroll_x
    out["end/home"] = [await press(app, pilot, "end", lambda: True),
                       await press(app, pilot, "home", lambda: True)]
    out["end/home moves"] = [float(table.scroll_x != scroll_x or row() != 0)]
    out["ctrl+end/home"] = [await press(app, pilot, "ctrl+end", lambda: row() == n - 1),
                            await press(app, pilot, "ctrl+home", lambda: row() == 0)]
    await scroll(app, pilot, table, n, out)

    # The child detail pane: after a run of downs, the last key until the pane shows the
    # highlighted child (the queue reads it at most every 0.1 s while keys keep coming).
    def detail_shows_cursor() -> bool:
        item = screen.current_item()
        body = str(screen.query_one("#child-detail-body").render())
        return item is not None and body.startswith(item.child_id)

    for _ in range(5):
        before = row()
        await press(app, pilot, "down", lambda b=before: row() > b)
    t = time.perf_counter()
    await until(detail_shows_cursor)
    await pilot._wait_for_screen()
    frame(app)
    out["detail after downs"] = [(time.perf_counter() - t) * 1000]
    await app.workers.wait_for_complete()

    # The filter: "/" then the text, key by key; then wait for the filtered rows.
    box = screen.query_one("#queue-filter", Input)
    out["filter /"] = [await press(app, pilot, "/", lambda: screen.focused is box)]
    typed = []
    for i, ch in enumerate(FILTER_TEXT):
        key = "space" if ch == " " else ch
        typed.append(await press(app, pilot, key, lambda v=FILTER_TEXT[: i + 1]: box.value == v))
    out["filter key"] = typed
    t = time.perf_counter()
    await until(lambda: f"filter: {FILTER_TEXT}" in status_text(screen)
                and table_ready(table, len(screen.shown)))
    await pilot._wait_for_screen()
    frame(app)
    out["filter shown"] = [(time.perf_counter() - t) * 1000]
    out["filter rows"] = [float(table.row_count)]
    out["filter clear"] = [await press(app, pilot, "escape", lambda: queue_shown(app, n))]
    await app.workers.wait_for_complete()
    return out


def session(path: Path, n: int, with_keys: bool, *, user: str = USER, now: str | None = NOW.isoformat(),
            actions: int = 0) -> dict:
    """A fresh process: start-up from the spawn (interpreter, imports, the CLI's context,
    app) until the rows are shown; then, with_keys, the key figures in that same session;
    with ``actions``, the action review screen (its ``actions`` rows) and its keys."""
    t = time.time()
    cmd = [sys.executable, __file__, "--session-child", str(path), str(n), "1" if with_keys else "0",
           user, now or "-", str(actions)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
    if res.returncode:
        sys.exit(f"session on {path.name} failed:\n{res.stderr[-3000:]}")
    child = json.loads(res.stdout.strip().splitlines()[-1])
    child["mounted"] = (child.pop("mounted_at") - t) * 1000
    child["shown"] = (child.pop("shown_at") - t) * 1000
    return child


def session_child(path: Path, n: int, with_keys: bool, user: str, now: str | None, actions: int) -> None:
    # As the `dipaudit` entry point (tui.cli.main) sets it before anything else, when unset.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    ctx = cli_context(path, user, now)  # as `dipaudit` does: tui.cli, settings, identity
    from tui.app import create_app

    async def run() -> dict:
        app = create_app(ctx, tick_seconds=None)
        async with app.run_test(size=SIZE) as pilot:
            mounted_at = time.time()
            await until(lambda: queue_shown(app, n))
            frame(app)
            shown_at = time.time()
            await app.workers.wait_for_complete()
            await pilot._wait_for_screen()
            out = await keys(app, pilot, n) if with_keys else {}
            if actions:
                t = time.perf_counter()
                await app.run_action("switch_mode('actions')")
                await until(lambda: actions_shown(app, actions))
                frame(app)
                out["actions shown"] = [(time.perf_counter() - t) * 1000]
                await app.workers.wait_for_complete()
                await pilot._wait_for_screen()
                table = app.screen.query_one("#actions_table")
                app.screen.set_focus(table)
                await scroll(app, pilot, table, actions, out, prefix="actions ")
        return {"mounted_at": mounted_at, "shown_at": shown_at, "keys": out}

    gc.callbacks.append(_gc_watch)
    print(json.dumps(asyncio.run(run())))


def bare_session(n: int) -> dict:
    """A fresh process running a bare Textual App with one DataTable of n plain rows (no
    dipaudit module imported): from the spawn until the rows are shown, then the same
    scroll keys. What Textual costs on its own."""
    return bare_spawn("--bare-child", n)


def bare_spawn(flag: str, n: int) -> dict:
    """Run this script's bare child ``flag`` over n rows in a fresh process: what it
    printed, with ``shown`` in ms from the spawn."""
    t = time.time()
    res = subprocess.run([sys.executable, __file__, flag, str(n)], capture_output=True,
                         text=True, check=True, env=os.environ)
    child = json.loads(res.stdout.strip().splitlines()[-1])
    child["shown"] = (child.pop("shown_at") - t) * 1000
    return child


def bare_child(n: int) -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    rows = bare_rows(n)

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(zebra_stripes=True, cursor_type="row")

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns(*BARE_COLUMNS)
            table.add_rows(rows)

    async def run() -> dict:
        app = Bare()
        async with app.run_test(size=SIZE) as pilot:
            table = app.query_one(DataTable)
            await until(lambda: table_ready(table, n))
            frame(app)
            shown_at = time.time()
            await pilot._wait_for_screen()
            out: dict = {}
            await scroll(app, pilot, table, n, out)
        return {"shown_at": shown_at, "keys": out}

    gc.callbacks.append(_gc_watch)
    print(json.dumps(asyncio.run(run())))


def bare_screen_session(n: int) -> dict:
    """A fresh process running a bare Textual App with the widgets the queue's first
    screen shows (header, filter input, a DataTable of n plain rows beside a detail pane,
    a status line, footer), no dipaudit module imported: from the spawn until the rows
    are shown. What Textual's own start-up costs for that screen: the floor under the
    demo's first screen."""
    return bare_spawn("--bare-screen-child", n)


def bare_screen_child(n: int) -> None:
    from textual.app import App, ComposeResult
    from textual.containers import Horizontal, Vertical
    from textual.widgets import DataTable, Footer, Header, Input, Static

    rows = bare_rows(n)

    class BareScreen(App[None]):
        CSS = "#detail { width: 40; border-left: solid $primary; } #main { width: 1fr; }"

        def compose(self) -> ComposeResult:
            yield Header()
            with Horizontal():
                with Vertical(id="main"):
                    yield Input(placeholder="/ filter", compact=True)
                    yield DataTable(zebra_stripes=True, cursor_type="row")
                yield Static("child detail", id="detail")
            yield Static("status")
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns(*BARE_COLUMNS)
            table.add_rows(rows)
            table.focus()

    async def run() -> dict:
        app = BareScreen()
        async with app.run_test(size=SIZE):
            table = app.query_one(DataTable)
            await until(lambda: table_ready(table, n))
            frame(app)
            shown_at = time.time()
        return {"shown_at": shown_at}

    print(json.dumps(asyncio.run(run())))


def build_demo(path: Path) -> int:
    """The demo database as ``dipaudit demo`` builds it (untimed); the queue rows its
    first screen shows."""
    import core.demo
    from core.queue import list_queue

    subprocess.run([*_bench.dipaudit_cmd(), "--db", str(path), "demo", "--no-tui"], check=True,
                   capture_output=True, env=os.environ)
    ctx = cli_context(path, core.demo.DEMO_USER, None)
    try:
        return len(list_queue(ctx))
    finally:
        ctx.store.close()


# -- report ---------------------------------------------------------------------------------
def med(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--actions", type=int, default=5_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--session-child", nargs=6, help=argparse.SUPPRESS)
    ap.add_argument("--bare-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--bare-screen-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.session_child:
        db, n, with_keys, user, now, actions = args.session_child
        session_child(Path(db), int(n), with_keys == "1", user, None if now == "-" else now, int(actions))
        return
    if args.bare_child:
        bare_child(args.bare_child)
        return
    if args.bare_screen_child:
        bare_screen_child(args.bare_screen_child)
        return

    tmp = tempfile.TemporaryDirectory()
    base = Path(tmp.name)
    # Never read the user's config or data (as tests/conftest.py does); the bench's own
    # databases let this OS login act as the bench's auditor ([security] act_as).
    os.environ["DIPAUDIT_CONFIG_DIR"] = str(base / "config")
    os.environ["DIPAUDIT_DATA_DIR"] = str(base / "data")
    for var in ("DIPAUDIT_CONFIG", "DIPAUDIT_DB", "DIPAUDIT_USER", "DIPAUDIT_NOW"):
        os.environ.pop(var, None)
    os.environ["DIPAUDIT_CONFIG"] = str(base / "no-config.toml")
    from core.config import Settings
    from core.context import os_login

    os.environ["DIPAUDIT_SECURITY__ACT_AS"] = json.dumps([os_login()])

    t0 = time.perf_counter()
    big = args.rows
    sizes = [0, 100, big]
    paths = {n: base / f"queue{n}.db" for n in sizes}
    for n, p in paths.items():
        build(p, n, Settings(), actions=args.actions if n == big else 0)
    ctxs = {n: context(p) for n, p in paths.items()}
    demo_path = base / "demo.db"
    demo_rows = build_demo(demo_path)
    print(f"built 3 databases (0, 100, {big:,} queue items; {args.actions:,} actions in the last)"
          f" and the demo ({demo_rows} queue rows) in {time.perf_counter() - t0:.1f} s")

    async def all_runs() -> dict:
        res: dict = {}

        def clean() -> None:  # each session starts without the last one's garbage (not timed)
            gc.collect()

        # A first, unmeasured start imports the screens and warms SQLite's page cache.
        await startup(ctxs[100], 100)
        for _ in range(args.runs):
            for n in sizes:
                clean()
                res.setdefault(("app", n), []).append(await startup(ctxs[n], n))
            clean()
            res.setdefault(("DataTable", big), []).append(await bare(big, plain=False))
            clean()
            res.setdefault(("RowTable", big), []).append(await bare(big, plain=True))
        return res

    gc.callbacks.append(_gc_watch)
    res = asyncio.run(all_runs())
    # In a fresh process each (no other session's objects for the GC to walk): start-up
    # from the spawn, then the keys in that session; the bare DataTable in between.
    for _ in range(args.runs):
        res.setdefault(("fresh", "demo"), []).append(
            session(demo_path, demo_rows, with_keys=False, user="qa.alex", now=None))
        res.setdefault(("fresh", "bare screen"), []).append(bare_screen_session(demo_rows))
        res.setdefault(("fresh", "bare"), []).append(baseline := bare_session(big))
        for k, v in baseline["keys"].items():
            res.setdefault(("keys", "bare"), {}).setdefault(k, []).extend(v)
        for n in sizes:
            run = session(paths[n], n, with_keys=n > 0, actions=args.actions if n == big else 0)
            res.setdefault(("fresh", n), []).append(run)
            for k, v in run["keys"].items():
                res.setdefault(("keys", n), {}).setdefault(k, []).extend(v)

    la = os.getloadavg()
    print(f"load average {la[0]:.1f} {la[1]:.1f} {la[2]:.1f} on {os.cpu_count()} CPUs; "
          f"medians of {args.runs} runs, wall ms; headless {SIZE[0]}x{SIZE[1]}")
    print("start-up (app created -> first screen mounted | -> all rows shown and drawn)")
    for label, key in (("app, empty queue", ("app", 0)), ("app, 100 rows", ("app", 100)),
                       (f"app, {big:,} rows", ("app", big)),
                       (f"bare DataTable, {big:,} rows", ("DataTable", big)),
                       (f"bare RowTable, {big:,} rows", ("RowTable", big))):
        runs = res[key]
        print(f"  {label:30}{med([r['mounted'] for r in runs])} |{med([r['shown'] for r in runs])}")
    print("start-up in a fresh process, from the spawn (interpreter, imports, the CLI's context, app)")
    fresh_bare = statistics.median(r["shown"] for r in res[("fresh", "bare")])
    fresh_screen = statistics.median(r["shown"] for r in res[("fresh", "bare screen")])
    print(f"  {f'bare app, first screen, {demo_rows} rows':30}{'':8} |{fresh_screen:8.1f}"
          "   (baseline: textual alone, the first screen's widgets)")
    print(f"  {f'bare DataTable app, {big:,} rows':30}{'':8} |{fresh_bare:8.1f}   (baseline: textual alone)")
    for n in ["demo", *sizes]:
        runs = res[("fresh", n)]
        label = ("the demo" + f" ({demo_rows} rows)" if n == "demo"
                 else f"{'empty queue' if n == 0 else f'{n:,} rows'}")
        print(f"  {label:30}{med([r['mounted'] for r in runs])} |{med([r['shown'] for r in runs])}")

    small, large, bare_keys = res[("keys", 100)], res[("keys", big)], res[("keys", "bare")]
    print("per key, in a fresh process: posted -> handled and drawn, ms (median / worst)")
    print(f"  {'':44}{'100 rows':>8} / max{f'{big:,} rows':>12} / max{'bare DataTable':>16} / max")

    def line(label: str, key: str, a: list | None = None, b: list | None = None) -> None:
        a, b = small.get(key, []) if a is None else a, large[key] if b is None else b
        c = bare_keys.get(key)
        left = f"{med(a)} /{max(a):7.1f}" if a else f"{'':16}"
        right = f"{med(c)} /{max(c):7.1f}" if c else ""
        print(f"  {label:44}{left}  {med(b)} /{max(b):7.1f}  {right}")

    line("end, home (as bound: first / last row)", "end/home")
    line("ctrl+end, ctrl+home (last / first row)", "ctrl+end/home")
    line(f"down x{DOWNS} (up at the last row)", "down")
    line(f"pagedown x{PAGES} (pageup at the last row)", "pagedown")
    for key in ("down", "pagedown"):
        a, b, c = small[f"{key} gc"], large[f"{key} gc"], bare_keys[f"{key} gc"]
        print(f"  {'  full GCs in the ' + key + 's: per run, median ms':44}"
              f"{len(a) / args.runs:8.1f} /{statistics.median(a or [0]):7.1f}  "
              f"{len(b) / args.runs:8.1f} /{statistics.median(b or [0]):7.1f}  "
              f"{len(c) / args.runs:8.1f} /{statistics.median(c or [0]):7.1f}")
    line("last of 5 downs -> child detail shows its row", "detail after downs")
    line("/ (to the filter)", "filter /")
    line(f"typing '{FILTER_TEXT}', per key", "filter key")
    line("last key -> filtered rows drawn", "filter shown")
    line("escape -> every row back", "filter clear")
    print(f"  filter '{FILTER_TEXT}' shows {int(small['filter rows'][0])} of 100"
          f" and {int(large['filter rows'][0]):,} of {big:,} rows;"
          f" end/home moved the cursor: {'yes' if max(large['end/home moves']) else 'no'}")
    if args.actions:
        print(f"action review, {args.actions:,} actions (same session as the {big:,}-row queue)")
        line("switch to the screen -> rows shown", "actions shown", a=[])
        line(f"down x{DOWNS}", "actions down", a=[])
        line(f"pagedown x{PAGES}", "actions pagedown", a=[])
    print(f"total {time.perf_counter() - t0:.0f} s")
    for c in ctxs.values():
        c.store.close()
    tmp.cleanup()
    # Issue 10 items 4 and 5, each beside its baseline (a bare Textual DataTable).
    goals = Goals("bench_tui")
    goals.value(f"the demo ({demo_rows} queue rows), from the spawn until its first screen shows"
                f" (bare Textual app of the same widgets and {demo_rows} rows: {fresh_screen:,.0f} ms)",
                statistics.median(r["shown"] for r in res[("fresh", "demo")]), at_most=600, unit="ms")
    goals.value(f"{big:,}-row queue, from the spawn until its first screen shows"
                f" (bare DataTable app: {fresh_bare:,.0f} ms)",
                statistics.median(r["shown"] for r in res[("fresh", big)]), at_most=800, unit="ms")
    judged = [("down", "down"), ("pagedown", "pagedown"), ("filter key", None)]
    if args.actions:
        judged += [("actions down", "down"), ("actions pagedown", "pagedown")]
    for key, base_key in judged:
        where = f"{key} at {args.actions:,} actions" if key.startswith("actions") else f"{key} at {big:,} rows"
        for how, f, limit in (("median", statistics.median, 16), ("worst", max, 50)):
            base_note = (f" (bare DataTable {f(bare_keys[base_key]):.1f} ms)" if base_key else "")
            goals.value(f"{where}, {how}{base_note}", f(large[key]), at_most=limit, unit="ms")
    goals.finish()


if __name__ == "__main__":
    main()
