"""The sample queue: listing, claim and release rules, the child detail pane's data."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import add_people, as_user
from factories import add_child, add_note

from core.errors import Conflict, NotFound, PermissionDenied, StateError
from core.queue import child_detail, claim, list_queue, release
from core.sampling import draw_sample


@pytest.fixture
def queued(ctx):
    """Three workers' children drawn into the queue; item for w2's child assigned to aud2."""
    add_people(ctx, [
        {"login": "admin1", "roles": ["admin"]},
        {"login": "aud1", "roles": ["auditor"]},
        {"login": "aud2", "roles": ["auditor"]},
        {"login": "pdt1", "roles": ["pdt"]},
        {"login": "m1", "name": "Mary Manager", "roles": ["manager"]},
        {"login": "w1", "name": "Wendy Worker", "roles": ["worker"], "manager": "m1"},
    ])
    add_child(ctx, "C1", worker="w1", cohort="cp", team="Team A")
    add_child(ctx, "C2", worker="w2", cohort="cla", team="Team B")
    add_child(ctx, "C3", worker="w3", cohort="cin", team="Team A")
    draw_sample(ctx, seed=1)
    with ctx.tx() as tx:
        tx.execute("UPDATE queue_items SET auditor = 'aud2' WHERE child_id = 'C2'")
    return ctx


def item_of(ctx, child_id: str) -> int:
    return ctx.store.scalar("SELECT queue_id FROM queue_items WHERE child_id = ?", [child_id])


def set_status(ctx, child_id: str, status: str, claimed_by: str | None = None) -> None:
    with ctx.tx() as tx:
        tx.execute("UPDATE queue_items SET status = ?, claimed_by = ? WHERE child_id = ?",
                   [status, claimed_by, child_id])


# --- listing -----------------------------------------------------------------------------------


def test_list_queue_shows_live_items_highest_tier_first_with_filters(queued):
    ctx = queued
    assert [(i.child_id, i.tier, i.status) for i in list_queue(ctx)] == [
        ("C1", 1, "queued"), ("C2", 2, "queued"), ("C3", 3, "queued")]
    assert [i.child_id for i in list_queue(ctx, team="team a")] == ["C1", "C3"]
    assert [i.child_id for i in list_queue(ctx, auditor="aud2")] == ["C2"]
    claim(as_user(ctx, "aud1"), item_of(ctx, "C3"))
    assert [i.child_id for i in list_queue(ctx, auditor="aud1")] == ["C3"]
    assert [i.child_id for i in list_queue(ctx, status="claimed")] == ["C3"]
    set_status(ctx, "C1", "done")
    assert [i.child_id for i in list_queue(ctx)] == ["C2", "C3"]
    assert [i.child_id for i in list_queue(ctx, include_done=True)] == ["C1", "C2", "C3"]
    assert [i.child_id for i in list_queue(ctx, status="done")] == ["C1"]


# --- claim -----------------------------------------------------------------------------------------


def test_an_auditor_claims_a_queued_item_with_an_event(queued):
    ctx = queued
    qid = item_of(ctx, "C1")
    item = claim(as_user(ctx, "aud1"), qid)
    assert (item.status, item.claimed_by, item.claimed_at) == ("claimed", "aud1", "2020-04-27T09:00:00Z")
    event = ctx.store.one("SELECT * FROM events WHERE entity = 'queue_item' AND action = 'claimed'")
    assert (event["entity_id"], event["actor"]) == (str(qid), "aud1")
    assert json.loads(event["after"])["claimed_by"] == "aud1"


def test_a_second_claim_is_a_conflict_naming_the_holder_and_changes_nothing(queued):
    ctx = queued
    qid = item_of(ctx, "C1")
    claim(as_user(ctx, "aud1"), qid)
    with pytest.raises(Conflict, match=f"queue item {qid} \\(child C1\\) is already claimed by aud1 since"):
        claim(as_user(ctx, "aud2"), qid)
    assert list_queue(ctx, status="claimed")[0].claimed_by == "aud1"
    # Claiming what you already hold is harmless.
    assert claim(as_user(ctx, "aud1"), qid).claimed_by == "aud1"
    assert ctx.store.scalar("SELECT COUNT(*) FROM events WHERE action = 'claimed'") == 1


def test_an_item_assigned_to_another_auditor_is_theirs_unless_you_are_admin(queued):
    ctx = queued
    qid = item_of(ctx, "C2")
    with pytest.raises(PermissionDenied, match="is assigned to aud2; only they or an admin may claim it"):
        claim(as_user(ctx, "aud1"), qid)
    assert claim(as_user(ctx, "admin1"), qid).claimed_by == "admin1"


def test_only_auditors_and_admins_claim(queued):
    with pytest.raises(PermissionDenied, match="pdt1 may not claim a queue item"):
        claim(as_user(queued, "pdt1"), item_of(queued, "C1"))


def test_claiming_a_done_or_missing_item_is_refused(queued):
    ctx = queued
    set_status(ctx, "C1", "done")
    with pytest.raises(StateError, match="is done; only a queued item can be claimed"):
        claim(as_user(ctx, "aud1"), item_of(ctx, "C1"))
    with pytest.raises(NotFound, match="no queue item 999"):
        claim(as_user(ctx, "aud1"), 999)


# --- release -------------------------------------------------------------------------------------


def test_the_claimer_releases_an_item_back_to_the_queue_with_an_event(queued):
    ctx = queued
    qid = item_of(ctx, "C1")
    claim(as_user(ctx, "aud1"), qid)
    item = release(as_user(ctx, "aud1"), qid)
    assert (item.status, item.claimed_by, item.claimed_at) == ("queued", None, None)
    assert ctx.store.scalar("SELECT COUNT(*) FROM events WHERE action = 'released'") == 1
    assert claim(as_user(ctx, "aud2"), qid).claimed_by == "aud2"  # free for anyone again


def test_only_the_claimer_or_an_admin_releases(queued):
    ctx = queued
    qid = item_of(ctx, "C1")
    claim(as_user(ctx, "aud1"), qid)
    with pytest.raises(PermissionDenied, match="is claimed by aud1; only they or an admin may release it"):
        release(as_user(ctx, "aud2"), qid)
    assert release(as_user(ctx, "admin1"), qid).status == "queued"


def test_an_item_with_an_audit_in_progress_or_not_claimed_cannot_be_released(queued):
    ctx = queued
    set_status(ctx, "C1", "in_progress", claimed_by="aud1")
    with pytest.raises(StateError, match="has an audit in progress"):
        release(as_user(ctx, "aud1"), item_of(ctx, "C1"))
    with pytest.raises(StateError, match="is queued, not claimed; nothing to release"):
        release(as_user(ctx, "aud1"), item_of(ctx, "C3"))


# --- the detail pane ------------------------------------------------------------------------------


def test_child_detail_has_the_child_notes_newest_first_last_audit_worker_and_manager(queued):
    ctx = queued
    for day in range(1, 20):
        add_note(ctx, "C1", f"2020-03-{day:02d}", "communication", summary=f"n{day}")
    add_note(ctx, "C1", "2020-04-02", "qa_audit")
    with ctx.tx() as tx:
        tx.db["child_sources"].insert({"child_id": "C1", "source": "list7", "cohort": "cp",
                                       "key_dates": json.dumps({"cp_plan_start": "2020-01-05"}),
                                       "row_hash": "x"})

    d = child_detail(ctx, "C1")

    assert d["child"]["cohort"] == "cp" and d["child"]["is_open"] is True
    assert [n["date"] for n in d["notes"]][:3] == ["2020-04-02", "2020-03-19", "2020-03-18"]
    assert len(d["notes"]) == 15
    assert str(d["last_audit"]) == "2020-04-02" and d["last_audit_source"] == "QA Audit case note"
    assert d["sources"][0]["source"] == "list7"
    assert d["sources"][0]["key_dates"] == {"cp_plan_start": "2020-01-05"}
    assert d["worker"]["name"] == "Wendy Worker" and d["manager"]["name"] == "Mary Manager"
    assert d["queue_item"].child_id == "C1"
    assert child_detail(ctx, "C3")["worker"] is None  # w3 is not in the directory
    with pytest.raises(NotFound, match="no child NOPE"):
        child_detail(ctx, "NOPE")


# --- the CLI --------------------------------------------------------------------------------------


def test_cli_queue_list_claim_release(queued, db_path):
    from tui.cli import cli

    runner = CliRunner()
    base = ["--db", str(db_path), "--now", "2020-04-27T10:00"]
    qid = item_of(queued, "C1")
    listed = runner.invoke(cli, [*base, "--user", "aud1", "queue", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [r["child_id"] for r in rows] == ["C1", "C2", "C3"]
    assert {"queue_id", "child_id", "worker", "team", "tier", "auditor", "status"} <= set(rows[0])

    out = runner.invoke(cli, [*base, "--user", "aud1", "queue", "claim", str(qid)])
    assert out.exit_code == 0 and f"queue item {qid} (child C1) claimed by aud1" in out.output
    again = runner.invoke(cli, [*base, "--user", "aud1", "queue", "claim", str(qid)])  # yours already: unchanged
    assert again.exit_code == 0 and f"queue item {qid} (child C1) claimed by aud1" in again.output
    lost = runner.invoke(cli, [*base, "--user", "aud2", "queue", "claim", str(qid)])
    assert isinstance(lost.exception, Conflict)
    out = runner.invoke(cli, [*base, "--user", "aud1", "queue", "release", str(qid), "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["status"] == "queued"
    table = runner.invoke(cli, [*base, "--user", "aud1", "queue", "--team", "Team B"])
    assert "C2" in table.output and "C1" not in table.output


def test_cli_claim_of_your_own_item_in_progress_says_so_and_changes_nothing(queued, db_path):
    """Claiming an item whose audit you have started said "claimed by you", as if it were
    claimed just now; it says it is yours already, in progress, and nothing changes."""
    from core.audit import start_audit
    from tui.cli import cli

    qid = item_of(queued, "C1")
    aud1 = as_user(queued, "aud1")
    claim(aud1, qid)
    audit = start_audit(aud1, str(qid))
    before = queued.store.one("SELECT * FROM queue_items WHERE queue_id = ?", [qid])
    out = CliRunner().invoke(cli, ["--db", str(db_path), "--now", "2020-04-27T10:00", "--user", "aud1",
                                   "queue", "claim", str(qid)])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == (f"queue item {qid} (child C1) is already yours, in progress"
                                  f" (audit {audit.audit_id})")
    assert queued.store.one("SELECT * FROM queue_items WHERE queue_id = ?", [qid]) == before


def test_queue_json_prints_every_field_of_an_item_in_order_as_the_pydantic_model_did(queued, db_path):
    """QueueItem is a plain dataclass (core.read_models); ``--json`` prints what the pydantic
    model printed: the same keys in the same order, the extra columns of the row left out,
    and nulls kept."""
    from tui.cli import cli

    claim(as_user(queued, "aud1"), item_of(queued, "C1"))
    out = CliRunner().invoke(cli, ["--db", str(db_path), "--user", "aud1", "queue", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [list(r) for r in rows] == [["queue_id", "sample_id", "child_id", "worker", "team", "tier",
                                        "cohort", "auditor", "claimed_by", "claimed_at", "status",
                                        "audit_id"]] * 3
    first = rows[0]
    assert (first["child_id"], first["tier"], first["cohort"], first["status"], first["claimed_by"],
            first["audit_id"]) == ("C1", 1, "cp", "claimed", "aud1", None)
    assert isinstance(first["queue_id"], int) and first["claimed_at"].endswith("Z")
    assert out.output == json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def test_cli_listing_shows_control_characters_escaped_and_in_line(queued, db_path):
    """An imported name with an ESC sequence (and a bell, a newline) acted on the terminal
    (the colour changed, the row split), and, stripped when piped, threw the columns out
    of line. The listing shows each escaped, its columns aligned."""
    from tui.cli import cli

    with queued.tx() as tx:
        tx.execute("UPDATE queue_items SET worker = ? WHERE child_id = 'C1'", ["Ev\x1b[31mil\x07\nname"])
    out = CliRunner().invoke(cli, ["--db", str(db_path), "--now", "2020-04-27T10:00", "--user", "aud1", "queue"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert len(lines) == 4  # the header and three items: no row split
    assert "\x1b" not in out.output and "\x07" not in out.output
    assert "Ev\\x1b[31mil\\x07\\nname" in lines[1]
    header = lines[0]
    start = header.index("team")  # the column after worker starts at the same place on every line
    assert all(line[start - 2:start] == "  " and line[start] != " " for line in lines[1:])
