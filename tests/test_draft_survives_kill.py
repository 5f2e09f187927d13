"""A killed process loses nothing committed: a draft saved by fill_audit survives SIGKILL,
and a save cut off mid-transaction leaves no trace."""

import os
import signal
import subprocess
import sys
import textwrap

from conftest import REPO, as_user
from factories import add_audit_people, add_child

from core.audit import get_audit, start_audit
from core.clock import FixedClock
from core.config import Settings
from core.context import Context
from core.store import Store

CHILD = textwrap.dedent("""
    import sys, time
    from datetime import UTC, datetime
    from core.audit import fill_audit
    from core.clock import FixedClock
    from core.config import Settings
    from core.context import Context
    from core.store import Store

    store = Store.open(sys.argv[1])
    ctx = Context(store=store, clock=FixedClock(datetime(2020, 4, 27, 9, 5, tzinfo=UTC)),
                  settings=Settings(), user="aud1", os_login="tester")
    audit_id = int(sys.argv[2])
    fill_audit(ctx, audit_id, {"overview": "typed before the SSH session dropped",
                               "ratings": {"covid_note": {"rating": "met", "evidence": "25/03/2020"}}},
               expected_version=1)
    print("saved", flush=True)
    # The next keystrokes: a save that is cut off before it commits.
    with ctx.tx() as tx:
        tx.execute("UPDATE audits SET overview = 'half a save' WHERE audit_id = ?", [audit_id])
        print("mid-save", flush=True)
        time.sleep(600)
""")


def test_draft_survives_a_killed_process(db_path, tmp_path):
    store = Store.open(db_path)
    ctx = Context(store=store, clock=FixedClock(), settings=Settings(), user="admin1", os_login="t")
    add_audit_people(ctx)
    add_child(ctx, "C1")
    audit = start_audit(as_user(ctx, "aud1"), "C1")
    store.close()

    script = tmp_path / "typist.py"
    script.write_text(CHILD)
    proc = subprocess.Popen([sys.executable, str(script), str(db_path), str(audit.audit_id)],
                            stdout=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert proc.stdout.readline().strip() == "saved"
        assert proc.stdout.readline().strip() == "mid-save"  # it holds the write lock now
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    reopened = Store.open(db_path)
    try:
        ctx2 = Context(store=reopened, clock=FixedClock(), settings=Settings(), user="aud1", os_login="t")
        draft = get_audit(ctx2, audit.audit_id)
        assert draft.status == "draft"
        assert draft.overview == "typed before the SSH session dropped"
        assert draft.ratings["covid_note"].rating == "met"
        assert draft.version == 2
        # Reopening the child resumes the same draft, and the lock died with the process.
        assert start_audit(ctx2, "C1").audit_id == audit.audit_id
        with ctx2.tx() as tx:
            tx.event("audit", audit.audit_id, "reopened")
    finally:
        reopened.close()
