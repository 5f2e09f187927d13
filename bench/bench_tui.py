"""Benchmark: the queue screen (design.md "Speed": the TUI is interactive within a second
and scrolls 10,000-row tables without lag).

Builds fresh databases in a temp dir (people incl. the auditor, children with a few
case notes each, one sample and N live queue items; direct inserts), then runs the
real app headless (``create_app(ctx, tick_seconds=None)``, ``run_test(size=(120, 40))``)
and times, for N = 100 and N = 10,000:

- start-up: from creating the app until the queue table holds all N rows, its size is
  measured and a frame is drawn ("rows shown"); also when ``run_test`` hands over (the
  first screen is mounted). Baselines in the same run: the app on an empty queue, and a
  bare Textual App with one DataTable (and one PlainTable) of 10,000 plain rows added in
  one ``add_rows`` call. The app again in a fresh process, from spawning it (interpreter,
  imports, app).
- scrolling (in those fresh processes, so no other session's objects burden the garbage
  collector): per key, from posting the key until its effect is visible (cursor moved),
  the messages it caused are handled, and a frame is drawn: ``end`` / ``home`` (as
  bound: horizontal scroll), ``ctrl+end`` / ``ctrl+home`` (last / first row), 200 cursor
  moves (``down``, bouncing back with ``up`` at the last row) and 20 page moves
  (``pagedown``, bouncing with ``pageup``); with the full (generation 2) garbage
  collections that fell in them, a stall of their own once 10,000 rows of objects live.
- filter: ``/`` then typing "Team 07" (per key), the time from the last key until the
  filtered rows are shown (over 2,000 rows this includes the screen's 0.3 s typing
  pause, by design), and ``escape`` until every row is back.

Keys are posted straight to the app's message queue rather than with ``Pilot.press``,
whose fixed sleeps (about 40 ms a key) would swamp the figures. Headless, Textual
composes every frame but skips turning it into terminal bytes, so a real terminal adds
a little to each frame.

    .venv/bin/python bench/bench_tui.py [--rows 10000] [--runs 3]
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

from _bench import Goals  # noqa: E402

NOW = datetime(2020, 4, 27, 9, 0, tzinfo=UTC)
SIZE = (120, 40)
USER = "qa1"
COHORTS = [("cin", 55), ("cla", 20), ("cp", 15), ("care_leaver", 8), ("unborn", 2)]
FILTER_TEXT = "Team 07"
DOWNS, PAGES = 200, 20


# -- data ---------------------------------------------------------------------------------
def build(path: Path, n: int, settings) -> None:
    """A fresh database: max(n, 100) open children (20 per worker, 40 teams), three case
    notes each, people (auditors, workers, managers), and one sample with n queued items."""
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
    conn.execute("COMMIT")
    store.close()


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
    return (table.row_count == n and not table._require_update_dimensions
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

    from tui.widgets.plain_table import PlainTable

    cls = PlainTable if plain else DataTable
    rows = [(str(i), f"C{i:06d}", "cin", "4", "queued", "", f"w{i % 500:04d}", f"Team {i % 40:02d}", "qa1")
            for i in range(n)]

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield cls(zebra_stripes=True, cursor_type="row")

        def on_mount(self) -> None:
            table = self.query_one(cls)
            table.add_columns(*"Queue Child Cohort Tier Status Claimed Worker Team Auditor".split())
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
        out[name] = times
        out[f"{name} gc"] = list(GC_PAUSES)
        await press(app, pilot, "ctrl+home", lambda: row() == 0)
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


def session(path: Path, n: int, with_keys: bool) -> dict:
    """A fresh process: start-up from the spawn (interpreter, imports, app) until the rows
    are shown; then, with_keys, the key figures in that same session."""
    t = time.time()
    cmd = [sys.executable, __file__, "--session-child", str(path), str(n), "1" if with_keys else "0"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True, env=os.environ)
    child = json.loads(res.stdout.strip().splitlines()[-1])
    child["mounted"] = (child.pop("mounted_at") - t) * 1000
    child["shown"] = (child.pop("shown_at") - t) * 1000
    return child


def session_child(path: Path, n: int, with_keys: bool) -> None:
    ctx = context(path)
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
        return {"mounted_at": mounted_at, "shown_at": shown_at, "keys": out}

    gc.callbacks.append(_gc_watch)
    print(json.dumps(asyncio.run(run())))


# -- report ---------------------------------------------------------------------------------
def med(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--session-child", nargs=3, metavar=("DB", "N", "KEYS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.session_child:
        db, n, with_keys = args.session_child
        session_child(Path(db), int(n), with_keys == "1")
        return

    tmp = tempfile.TemporaryDirectory()
    base = Path(tmp.name)
    # Never read the user's config or data (as tests/conftest.py does).
    os.environ["DIPAUDIT_CONFIG_DIR"] = str(base / "config")
    os.environ["DIPAUDIT_DATA_DIR"] = str(base / "data")
    for var in ("DIPAUDIT_CONFIG", "DIPAUDIT_DB", "DIPAUDIT_USER", "DIPAUDIT_NOW"):
        os.environ.pop(var, None)
    from core.config import Settings

    t0 = time.perf_counter()
    big = args.rows
    sizes = [0, 100, big]
    paths = {n: base / f"queue{n}.db" for n in sizes}
    for n, p in paths.items():
        build(p, n, Settings())
    ctxs = {n: context(p) for n, p in paths.items()}
    print(f"built 3 databases (0, 100, {big:,} queue items) in {time.perf_counter() - t0:.1f} s")

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
            res.setdefault(("PlainTable", big), []).append(await bare(big, plain=True))
        return res

    gc.callbacks.append(_gc_watch)
    res = asyncio.run(all_runs())
    # In a fresh process each (no other session's objects for the GC to walk): start-up
    # from the spawn, then the keys in that session.
    for _ in range(args.runs):
        for n in sizes:
            run = session(paths[n], n, with_keys=n > 0)
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
                       (f"bare PlainTable, {big:,} rows", ("PlainTable", big))):
        runs = res[key]
        print(f"  {label:30}{med([r['mounted'] for r in runs])} |{med([r['shown'] for r in runs])}")
    for n in sizes:
        runs = res[("fresh", n)]
        label = f"fresh process, {'empty queue' if n == 0 else f'{n:,} rows'}"
        print(f"  {label:30}{med([r['mounted'] for r in runs])} |{med([r['shown'] for r in runs])}"
              "   (from spawn: interpreter, imports, app)")

    small, large = res[("keys", 100)], res[("keys", big)]
    print("per key, in a fresh process: posted -> handled and drawn, ms")
    print(f"  {'':52}{'100 rows':>8} / max{f'{big:,} rows':>18} / max")

    def line(label: str, key: str) -> None:
        a, b = small[key], large[key]
        print(f"  {label:52}{med(a)} /{max(a):7.1f}      {med(b)} /{max(b):7.1f}")

    line("end, home (as bound: horizontal scroll only)", "end/home")
    line("ctrl+end, ctrl+home (last / first row)", "ctrl+end/home")
    line(f"down x{DOWNS} (up at the last row)", "down")
    line(f"pagedown x{PAGES} (pageup at the last row)", "pagedown")
    for key in ("down", "pagedown"):
        a, b = small[f"{key} gc"], large[f"{key} gc"]
        print(f"  {'  full GCs in the ' + key + 's: per run, median ms':52}"
              f"{len(a) / args.runs:8.1f} /{statistics.median(a or [0]):7.1f}      "
              f"{len(b) / args.runs:8.1f} /{statistics.median(b or [0]):7.1f}")
    line("/ (to the filter)", "filter /")
    line(f"typing '{FILTER_TEXT}', per key", "filter key")
    line("last key -> filtered rows drawn", "filter shown")
    line("escape -> every row back", "filter clear")
    print(f"  filter '{FILTER_TEXT}' shows {int(small['filter rows'][0])} of 100"
          f" and {int(large['filter rows'][0]):,} of {big:,} rows;"
          f" end/home moved the cursor: {'yes' if max(large['end/home moves']) else 'no'}")
    print(f"total {time.perf_counter() - t0:.0f} s")
    for c in ctxs.values():
        c.store.close()
    tmp.cleanup()
    # Issue 10 items 4 and 5 (100 rows stands in for the demo's first screen).
    goals = Goals("bench_tui")
    goals.value("fresh process, 100 rows: first screen shown", statistics.median(
        r["shown"] for r in res[("fresh", 100)]), at_most=600, unit="ms")
    goals.value(f"fresh process, {big:,} rows: first screen shown", statistics.median(
        r["shown"] for r in res[("fresh", big)]), at_most=800, unit="ms")
    for key in ("down", "pagedown", "filter key"):
        goals.value(f"{key} at {big:,} rows, median", statistics.median(large[key]), at_most=16, unit="ms")
        goals.value(f"{key} at {big:,} rows, worst", max(large[key]), at_most=50, unit="ms")
    goals.finish()


if __name__ == "__main__":
    main()
