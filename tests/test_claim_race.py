"""Two auditors never claim the same child: real OS processes racing on one database file.

Each process opens its own connection and waits for a start file, so the claims
really overlap; whatever the interleaving, exactly one claim wins each item and
the other gets a clean Conflict naming the winner.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO, add_people
from factories import add_child

from core.sampling import draw_sample

ITEMS = 40

# One auditor's process: wait for the start signal, then try to claim every item in turn.
CLAIMER = r"""
import json, sys, time
from pathlib import Path
from core.clock import FixedClock, parse_when
from core.config import Settings
from core.context import Context
from core.errors import Conflict
from core.queue import claim
from core.store import Store

db, user, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
ctx = Context(store=Store.open(db), clock=FixedClock(parse_when("2020-04-27T10:00")),
              settings=Settings(), user=user, os_login=user)
ids = [r["queue_id"] for r in ctx.store.query("SELECT queue_id FROM queue_items ORDER BY queue_id")]
while not go.exists():
    time.sleep(0.005)
out = []
for qid in ids:
    try:
        claim(ctx, qid)
        out.append({"queue_id": qid, "won": True})
    except Conflict as exc:
        out.append({"queue_id": qid, "won": False, "error": str(exc)})
print(json.dumps(out))
"""

DRAWER = r"""
import json, sys, time
from pathlib import Path
from core.clock import FixedClock, parse_when
from core.config import Settings
from core.context import Context
from core.errors import DipauditError
from core.sampling import draw_sample
from core.store import Store

db, user, go, seed = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
ctx = Context(store=Store.open(db), clock=FixedClock(parse_when("2020-04-27T10:00")),
              settings=Settings(), user=user, os_login=user)
while not go.exists():
    time.sleep(0.005)
try:
    r = draw_sample(ctx, seed=seed, per_worker=2)
    print(json.dumps({"sample_id": r.sample_id, "picks": [p.child_id for p in r.picks]}))
except DipauditError as exc:
    print(json.dumps({"error": str(exc)}))
"""


def _setup(ctx, workers: int, each: int = 1) -> None:
    add_people(ctx, [{"login": "admin1", "roles": ["admin"]},
                     {"login": "aud1", "roles": ["auditor"]}, {"login": "aud2", "roles": ["auditor"]}])
    for w in range(workers):
        for i in range(each):
            add_child(ctx, f"W{w:02d}C{i}", worker=f"w{w:02d}")


def _race(script: str, argvs: list[list[str]], go: Path) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen([sys.executable, "-c", script, *argv], cwd=REPO, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for argv in argvs]
    go.touch()
    done = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        done.append(json.loads(out))
    return done


def test_two_processes_claiming_every_item_win_each_exactly_once(ctx, db_path, tmp_path):
    _setup(ctx, ITEMS)
    draw_sample(ctx, seed=1)
    go = tmp_path / "go"

    one, two = _race(CLAIMER, [[str(db_path), "aud1", str(go)], [str(db_path), "aud2", str(go)]], go)

    rows = {r["queue_id"]: r for r in ctx.store.query("SELECT * FROM queue_items")}
    assert len(rows) == ITEMS
    for a, b in zip(one, two, strict=True):
        assert a["queue_id"] == b["queue_id"]
        assert a["won"] != b["won"], f"item {a['queue_id']}: both or neither won"
        winner, loser = ("aud1", b) if a["won"] else ("aud2", a)
        assert rows[a["queue_id"]]["claimed_by"] == winner
        assert f"is already claimed by {winner}" in loser["error"]
    assert ctx.store.scalar("SELECT COUNT(*) FROM events WHERE action = 'claimed'") == ITEMS


def test_the_cli_claim_race_gives_one_winner_and_one_clean_conflict(ctx, db_path, tmp_path):
    _setup(ctx, 3)
    draw_sample(ctx, seed=1)
    exe = str(Path(sys.executable).with_name("dipaudit"))
    base = [exe, "--db", str(db_path), "--now", "2020-04-27T10:00"]
    procs = {(qid, user): subprocess.Popen([*base, "--user", user, "queue", "claim", str(qid)],
                                           text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for qid in (1, 2, 3) for user in ("aud1", "aud2")}
    results = {key: (p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for key, p in procs.items()}
    for p in procs.values():
        p.stdout.close()
        p.stderr.close()

    for qid in (1, 2, 3):
        codes = sorted(results[(qid, u)][0] for u in ("aud1", "aud2"))
        assert codes == [0, 4], results
        winner = ctx.store.scalar("SELECT claimed_by FROM queue_items WHERE queue_id = ?", [qid])
        loser = "aud2" if winner == "aud1" else "aud1"
        code, out, err = results[(qid, loser)]
        assert out == "" and err.strip().startswith(f"queue item {qid} (child ") and \
            f"is already claimed by {winner}" in err and "Traceback" not in err


def test_two_concurrent_draws_serialise_and_never_queue_a_child_twice(ctx, db_path, tmp_path):
    _setup(ctx, 20, each=3)
    go = tmp_path / "go"

    first, second = _race(DRAWER, [[str(db_path), "aud1", str(go), "1"],
                                   [str(db_path), "aud2", str(go), "2"]], go)

    assert first["sample_id"] and second["sample_id"]
    assert not set(first["picks"]) & set(second["picks"])
    # Whichever went first took two of each worker's three children; the other got the third.
    assert sorted([len(first["picks"]), len(second["picks"])]) == [20, 40]
    live = ctx.store.scalar("SELECT COUNT(*) FROM queue_items WHERE status = 'queued'")
    assert live == ctx.store.scalar("SELECT COUNT(DISTINCT child_id) FROM queue_items") == 60
