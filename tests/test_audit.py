"""The audit lifecycle to submission: start, fill, submit, on a real database file."""

import json
from datetime import date

import pytest
from conftest import add_people, as_user
from factories import add_audit_people, add_child, add_note, full_audit_data, submitted_audit

from core import locations
from core.audit import (
    fill_audit,
    get_audit,
    list_audits,
    refresh_prechecks,
    start_audit,
    submission_gaps,
    submit_audit,
)
from core.errors import Conflict, InputError, NotFound, PermissionDenied, StateError
from core.store import audits as store_audits


@pytest.fixture
def people(ctx):
    add_audit_people(ctx)
    add_people(ctx, [{"login": "aud2", "name": "Bob Auditor", "roles": ["auditor"]}])
    add_child(ctx, "C1", worker="w1", name="Alex Example")
    return ctx


@pytest.fixture
def aud1(people):
    return as_user(people, "aud1")


@pytest.fixture
def aud2(people):
    return as_user(people, "aud2")


def add_queue_item(ctx, child_id, *, auditor=None, status="queued", claimed_by=None):
    with ctx.tx() as tx:
        sample_id = tx.db["samples"].insert({"seed": 1, "params": "{}", "created_at": tx.at,
                                             "created_by": "aud1"}).last_pk
        return tx.db["queue_items"].insert({
            "sample_id": sample_id, "child_id": child_id, "worker": "w1", "team": "Team A",
            "tier": 3, "cohort": "cin", "auditor": auditor, "status": status,
            "claimed_by": claimed_by, "created_at": tx.at, "updated_at": tx.at}).last_pk


def snapshot(ctx, audit_id):
    """Everything an audit is stored as, to prove a refusal wrote nothing."""
    q = ctx.store.query
    return (q("SELECT * FROM audits WHERE audit_id = ?", [audit_id]),
            q("SELECT * FROM ratings WHERE audit_id = ? ORDER BY standard_id", [audit_id]),
            q("SELECT * FROM actions WHERE audit_id = ?", [audit_id]),
            q("SELECT * FROM queue_items"), q("SELECT * FROM outbox"),
            q("SELECT COUNT(*) AS n FROM events"))


# --- start ---------------------------------------------------------------------
def test_only_an_auditor_may_start(people):
    with pytest.raises(PermissionDenied, match="w1 may not start an audit: needs the auditor role"):
        start_audit(as_user(people, "w1"), "C1")
    assert people.store.scalar("SELECT COUNT(*) FROM audits") == 0


def test_start_from_the_queue_claims_the_item_and_snapshots(aud1):
    add_note(aud1, "C1", "2020-04-02", "management_oversight")
    qid = add_queue_item(aud1, "C1", auditor="aud1")
    a = start_audit(aud1, str(qid))
    assert (a.status, a.auditor, a.queue_id, a.version) == ("draft", "aud1", qid, 1)
    assert (a.worker, a.manager, a.team) == ("w1", "m1", "Team A")
    assert a.audit_date == date(2020, 4, 27)
    assert a.programme.id == "covid-virtual-oversight" and a.programme.version == "1"
    assert all(r.rating is None for r in a.ratings.values()) and len(a.ratings) == 6
    assert a.ratings["oversight_current"].suggested.rating == "met"
    assert a.ratings["oversight_partners"].suggested is None
    item = aud1.store.one("SELECT * FROM queue_items WHERE queue_id = ?", [qid])
    assert (item["status"], item["claimed_by"], item["audit_id"]) == ("in_progress", "aud1", a.audit_id)
    row = aud1.store.one("SELECT programme_id, programme_version FROM audits")
    row["programme"] = store_audits.programme_json(aud1.store, a.audit_id)  # kept once (m009b)
    assert json.loads(row["programme"])["standards"][0]["id"] == "covid_note"
    assert aud1.store.scalar("SELECT COUNT(*) FROM events WHERE entity = 'audit' AND action = 'started'") == 1


def test_starting_again_resumes_the_draft(aud1):
    a = start_audit(aud1, "C1")
    fill_audit(aud1, a.audit_id, {"overview": "half written"})
    again = start_audit(aud1, "C1")
    assert again.audit_id == a.audit_id and again.overview == "half written"
    assert aud1.store.scalar("SELECT COUNT(*) FROM audits") == 1


def test_by_child_id_finds_the_childs_queue_item(aud1):
    qid = add_queue_item(aud1, "C1")
    a = start_audit(aud1, "C1")
    assert a.queue_id == qid


def test_a_child_claimed_by_another_auditor_is_a_conflict_naming_them(aud1, aud2):
    qid = add_queue_item(aud1, "C1", status="claimed", claimed_by="aud2")
    with pytest.raises(Conflict, match=rf"queue item {qid} \(child C1\) is claimed by Bob Auditor \(aud2\)"):
        start_audit(aud1, str(qid))
    assert aud1.store.scalar("SELECT COUNT(*) FROM audits") == 0


def test_another_auditors_draft_is_a_conflict(aud1, aud2):
    start_audit(aud2, "C1")
    with pytest.raises(Conflict, match="already has a draft audit 1 by Bob Auditor"):
        start_audit(aud1, "C1")


def test_an_item_assigned_to_another_auditor_follows_the_queue_rule(aud1):
    add_queue_item(aud1, "C1", auditor="aud2")
    with pytest.raises(PermissionDenied, match="assigned to aud2"):
        start_audit(aud1, "C1")


def test_ad_hoc_audit_without_a_queue_item_and_unknown_refs(aud1):
    a = start_audit(aud1, "C1")
    assert a.queue_id is None
    with pytest.raises(NotFound, match="no queue item or child 'C9'"):
        start_audit(aud1, "C9")


# --- fill ----------------------------------------------------------------------
def test_partial_fill_changes_only_what_it_names_and_logs_before_after(aud1):
    a = start_audit(aud1, "C1")
    fill_audit(aud1, a.audit_id, {"ratings": {"covid_note": {"rating": "met", "evidence": "note 25/03"}}})
    b = fill_audit(aud1, a.audit_id, {"ratings": {"covid_note": {"evidence": "note 25/03/2020"}},
                                      "positive_practice": "good"})
    assert b.ratings["covid_note"].rating == "met"
    assert b.ratings["covid_note"].evidence == "note 25/03/2020"
    assert b.positive_practice == "good" and b.overview == ""
    assert b.version == 3 and b.updated_by == "aud1"
    ev = aud1.store.query("SELECT before, after FROM events WHERE action = 'saved' ORDER BY event_id")
    assert json.loads(ev[-1]["before"])["ratings.covid_note"]["evidence"] == "note 25/03"
    assert json.loads(ev[-1]["after"])["ratings.covid_note"]["evidence"] == "note 25/03/2020"
    assert json.loads(ev[-1]["after"])["version"] == 3


def test_a_save_that_changes_nothing_keeps_the_version(aud1):
    a = start_audit(aud1, "C1")
    fill_audit(aud1, a.audit_id, {"overview": "x"})
    assert fill_audit(aud1, a.audit_id, {"overview": "x"}).version == 2


def test_actions_replace_the_list_and_keep_identity_by_action_id(aud1):
    a = start_audit(aud1, "C1")
    b = fill_audit(aud1, a.audit_id, {"actions": [
        {"owner_role": "worker", "description": "one", "due": "2020-05-12"},
        {"owner_role": "manager", "description": "two", "due": "2020-05-12"}]})
    assert [(x.owner_role, x.owner, x.owner_name) for x in b.actions] == [
        ("worker", "w1", "Wendy Worker"), ("manager", "m1", "Mark Manager")]
    keep = b.actions[1].action_id
    c = fill_audit(aud1, a.audit_id, {"actions": [
        {"action_id": keep, "owner_role": "manager", "description": "two, clearer", "due": "2020-05-13"}]})
    assert [(x.action_id, x.description, x.due) for x in c.actions] == [
        (keep, "two, clearer", date(2020, 5, 13))]


def test_bad_fill_data_lists_every_field_and_writes_nothing(aud1):
    a = start_audit(aud1, "C1")
    before = snapshot(aud1, a.audit_id)
    with pytest.raises(InputError) as exc:
        fill_audit(aud1, a.audit_id, {
            "ratings": {"covid_note": {"rating": "great"}, "nope": {"rating": "met"}},
            "overview": 3,
            "actions": [{"owner_role": "director", "description": "x", "due": "12/05/2020"},
                        {"description": "y"}],
            "colour": "blue"}, source="fill.json")
    cols = [f.column for f in exc.value.faults]
    assert set(cols) == {"colour", "ratings.covid_note.rating", "ratings.nope", "overview",
                         "actions[1].owner_role", "actions[1].due", "actions[2].owner_role"}
    assert "fill.json, column 'ratings.covid_note.rating': 'great' is not a rating" in str(exc.value)
    assert snapshot(aud1, a.audit_id) == before


def test_stale_version_is_a_conflict_and_nothing_is_overwritten(aud1):
    a = start_audit(aud1, "C1")
    # Two sessions of the same audit (e.g. two terminals) both read version 1.
    fill_audit(aud1, a.audit_id, {"overview": "first"}, expected_version=1)
    before = snapshot(aud1, a.audit_id)
    with pytest.raises(Conflict) as exc:
        fill_audit(aud1, a.audit_id, {"overview": "second"}, expected_version=1)
    assert str(exc.value) == ("audit 1 was changed by Ann Auditor at 10:00 (version 2);"
                              " your changes were not saved")
    assert snapshot(aud1, a.audit_id) == before
    assert get_audit(aud1, a.audit_id).overview == "first"


def test_a_second_auditor_cannot_fill_or_submit_someone_elses_audit(aud1, aud2):
    a = start_audit(aud1, "C1")
    before = snapshot(aud1, a.audit_id)
    with pytest.raises(PermissionDenied, match="aud2 may not change audit 1: it belongs to Ann Auditor"):
        fill_audit(aud2, a.audit_id, {"overview": "mine now"})
    with pytest.raises(PermissionDenied, match="aud2 may not submit audit 1"):
        submit_audit(aud2, a.audit_id)
    assert snapshot(aud1, a.audit_id) == before


def test_submitted_audits_change_only_with_a_reason_and_finalised_never(ctx):
    a = submitted_audit(ctx)
    aud1 = as_user(ctx, "aud1")
    with pytest.raises(StateError, match="amending it needs a reason"):
        fill_audit(aud1, a.audit_id, {"overview": "better"})
    b = fill_audit(aud1, a.audit_id, {"overview": "better"}, amendment_reason="worker's comment")
    assert b.overview == "better" and b.status == "submitted"
    ev = ctx.store.one("SELECT after FROM events WHERE action = 'amended'")
    assert json.loads(ev["after"])["reason"] == "worker's comment"
    with ctx.tx() as tx:
        tx.execute("UPDATE audits SET status = 'finalised' WHERE audit_id = ?", [a.audit_id])
    with pytest.raises(StateError, match="finalised audits are read-only; add an addendum"):
        fill_audit(aud1, a.audit_id, {"overview": "late"}, amendment_reason="x")


def test_an_audit_keeps_its_programme_after_the_programme_file_changes(aud1):
    a = start_audit(aud1, "C1")
    target = locations.programmes_dir()
    target.mkdir(parents=True)
    (target / "covid-virtual-oversight.toml").write_text("""
[programme]
id = "covid-virtual-oversight"
title = "Edited"
version = "2"
[parameters]
virtual_practice_start = 2020-03-23
oversight_deadline = 2020-04-20
[[standards]]
id = "only_one"
title = "Only one standard now"
""")
    kept = get_audit(aud1, a.audit_id)
    assert kept.programme.version == "1" and len(kept.standards) == 6
    fill_audit(aud1, a.audit_id, {"ratings": {"oversight_partners": {"rating": "met"}}})
    with pytest.raises(InputError, match="no standard 'only_one'"):
        fill_audit(aud1, a.audit_id, {"ratings": {"only_one": {"rating": "met"}}})
    add_child(aud1, "C2", worker="w1")
    assert start_audit(aud1, "C2").programme.version == "2"


def test_refresh_prechecks_sees_new_notes_and_keeps_ratings(aud1):
    a = start_audit(aud1, "C1")
    fill_audit(aud1, a.audit_id, {"ratings": {"covid_note": {"rating": "not_met", "evidence": "none"}}})
    assert a.ratings["covid_note"].suggested.rating == "not_met"
    add_note(aud1, "C1", "2020-04-01", "covid")
    b = refresh_prechecks(aud1, a.audit_id)
    assert b.ratings["covid_note"].suggested.rating == "met"
    assert b.ratings["covid_note"].rating == "not_met" and b.version == 2


# --- submit --------------------------------------------------------------------
def test_submit_refuses_listing_every_gap_and_changes_nothing(aud1):
    qid = add_queue_item(aud1, "C1")
    a = start_audit(aud1, "C1")
    data = full_audit_data(a.audit_date)
    del data["ratings"]["oversight_contact_level"]
    data["ratings"]["virtual_contact"]["evidence"] = " "
    data["overview"] = ""
    data["actions"] = [{"owner_role": "worker", "description": "", "due": "2020-04-27"},
                       {"owner_role": "manager", "description": "chase", "due": None}]
    fill_audit(aud1, a.audit_id, data)
    before = snapshot(aud1, a.audit_id)
    with pytest.raises(StateError) as exc:
        submit_audit(aud1, a.audit_id)
    lines = str(exc.value).splitlines()
    assert lines[0] == "audit 1 cannot be submitted yet (6 to do):"
    assert lines[1:] == [
        "- Virtual contacts since 23 March 2020 are recorded with the virtual contact case note,"
        " not the communications case note: evidence is needed for 'Partly met'",
        "- The oversight directs the worker on what level of contact should be in place: not rated",
        "- overview: not written",
        "- action 1 (worker): no description of what must be done",
        "- action 1 (worker): due 2020-04-27 is not after the audit date 2020-04-27",
        "- action 2 (manager): no due date",
    ]
    assert submission_gaps(get_audit(aud1, a.audit_id)) == [g[2:] for g in lines[1:]]
    assert snapshot(aud1, a.audit_id) == before
    assert aud1.store.one("SELECT status FROM queue_items WHERE queue_id = ?", [qid])["status"] == "in_progress"


def test_an_action_without_a_known_owner_is_a_gap(aud1):
    add_child(aud1, "C3", worker="Unmatched Name")
    a = start_audit(aud1, "C3")
    data = full_audit_data(a.audit_date)
    fill_audit(aud1, a.audit_id, data)
    gaps = submission_gaps(get_audit(aud1, a.audit_id))
    assert gaps == ["action 2 (manager): no owner (no manager known for this child)"]


def test_submission_is_one_transaction_with_outbox_rows_for_worker_and_manager(aud1):
    qid = add_queue_item(aud1, "C1")
    a = start_audit(aud1, "C1")
    fill_audit(aud1, a.audit_id, full_audit_data(a.audit_date))
    events_before = aud1.store.scalar("SELECT MAX(event_id) FROM events")
    s = submit_audit(aud1, a.audit_id)
    assert s.status == "submitted"
    assert s.submitted_at == "2020-04-27T09:00:00Z"
    assert s.review_due_at == "2020-05-11T09:00:00Z"  # 14 days
    assert {x.review_due_at for x in s.actions} == {"2020-05-11T09:00:00Z"}
    assert s.standards_met is False
    assert aud1.store.one("SELECT status FROM queue_items WHERE queue_id = ?", [qid])["status"] == "done"
    rows = aud1.store.query("SELECT * FROM outbox ORDER BY outbox_id")
    assert [(r["recipient"], r["recipient_role"], r["template"], r["idempotency_key"]) for r in rows] == [
        ("w1", "worker", "audit_submitted", "audit:1:submitted:w1"),
        ("m1", "manager", "audit_submitted", "audit:1:submitted:m1")]
    payload = json.loads(rows[0]["payload"])
    assert payload["child_initials"] == "A.E."
    assert "Alex" not in rows[0]["payload"] and "child_name" not in payload
    assert payload["comment_deadline"] == "2020-04-30T09:00:00Z"
    assert (payload["auditor_name"], payload["actions"], payload["standards_met"]) == ("Ann Auditor", 2, False)
    # the audit's event and the queue item's event, all in the one transaction (same instant)
    ev = aud1.store.query("SELECT entity, action, at FROM events WHERE event_id > ?", [events_before])
    assert {(e["entity"], e["action"]) for e in ev} == {("audit", "submitted"), ("queue_item", "done")}
    with pytest.raises(StateError, match="already submitted"):
        submit_audit(aud1, a.audit_id)


def test_full_names_in_notifications_only_when_the_council_turns_them_on(ctx):
    ctx.settings.notify.full_names = True
    a = submitted_audit(ctx)
    payload = json.loads(ctx.store.one("SELECT payload FROM outbox LIMIT 1")["payload"])
    assert payload["child_name"] == "Alex Example" and a.status == "submitted"


def test_list_audits_filters_and_derives_standards_met(ctx):
    submitted_audit(ctx)
    aud1 = as_user(ctx, "aud1")
    add_child(ctx, "C2", worker="w1")
    d = start_audit(aud1, "C2")
    fill_audit(aud1, d.audit_id, {"ratings": {s: {"rating": "met"} for s in d.ratings}})
    rows = list_audits(ctx)
    assert [(r.audit_id, r.status, r.standards_met) for r in rows] == [
        (2, "draft", True), (1, "submitted", False)]
    assert [r.audit_id for r in list_audits(ctx, status="submitted")] == [1]
    assert [r.audit_id for r in list_audits(ctx, child_id="C2")] == [2]


# --- the CLI, as a script would use it -------------------------------------------
def run_cli(db_path, *args, user="aud1"):
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", "from tui.cli import main; main()", "--db", str(db_path),
         "--user", user, "--now", "2020-04-27T10:00", *args],
        capture_output=True, text=True, env={**os.environ}, timeout=60)


def test_cli_round_trip_start_fill_submit_note(people, db_path, tmp_path):
    qid = add_queue_item(people, "C1")
    r = run_cli(db_path, "audit", "start", str(qid), "--json")
    assert r.returncode == 0, r.stderr
    audit_id = json.loads(r.stdout)["audit_id"]

    partial = tmp_path / "partial.toml"
    partial.write_text('overview = ""\n[ratings.covid_note]\nrating = "met"\nevidence = "25/03/2020"\n')
    assert run_cli(db_path, "audit", "fill", str(audit_id), "--from", str(partial)).returncode == 0
    gaps = run_cli(db_path, "audit", "submit", str(audit_id))
    assert gaps.returncode != 0 and gaps.stdout == ""
    assert "- overview: not written" in gaps.stderr.splitlines()
    assert sum(line.endswith(": not rated") for line in gaps.stderr.splitlines()) == 5

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"ratings": {"covid_note": {"rating": "yes"}}}))
    r = run_cli(db_path, "audit", "fill", str(audit_id), "--from", str(bad))
    assert r.returncode == 2
    assert r.stderr.startswith(f"{bad}, column 'ratings.covid_note.rating': 'yes' is not a rating")

    full = tmp_path / "audit.json"
    full.write_text(json.dumps(full_audit_data(date(2020, 4, 27))))
    r = run_cli(db_path, "audit", "fill", str(audit_id), "--from", str(full), "--expect-version", "2")
    assert r.returncode == 0, r.stderr
    r = run_cli(db_path, "audit", "submit", str(audit_id))
    assert r.returncode == 0, r.stderr
    assert "alerted Wendy Worker (worker), Mark Manager (manager)" in r.stdout

    shown = json.loads(run_cli(db_path, "audit", "show", str(audit_id), "--json").stdout)
    assert shown["status"] == "submitted" and shown["submitted_at"] == "2020-04-27T09:00:00Z"
    assert shown["ratings"]["virtual_contact"]["rating"] == "partly_met"
    assert set(shown["ratings"]["covid_note"]["suggested"]) == {"rating", "evidence"}
    assert [a["owner"] for a in shown["actions"]] == ["w1", "m1"]
    listed = run_cli(db_path, "audit", "list")
    assert listed.returncode == 0 and "Mon 27 Apr 2020 10:00" in listed.stdout  # London time, not UTC ISO
    note = run_cli(db_path, "audit", "note", str(audit_id))
    assert note.returncode == 0 and note.stdout.startswith("QA Audit\n")
    assert "within 72 hours of submission" in note.stdout


def test_two_auditors_starting_the_same_child_at_once_make_one_audit(people, db_path):
    """Two processes race to start C1: exactly one draft exists, the other is told who has it."""
    import subprocess
    import sys

    add_queue_item(people, "C1")
    script = ("import sys\nfrom tui.cli import main\nmain()\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, "--db", str(db_path), "--user", who,
                               "--now", "2020-04-27T10:00", "audit", "start", "C1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("aud1", "aud2")]
    results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert sorted(rc for rc, _, _ in results) == [0, 4], results
    winner = "aud1" if results[0][0] == 0 else "aud2"
    loser_err = next(err for rc, _, err in results if rc)
    assert "claimed by" in loser_err or "already has a draft audit" in loser_err
    rows = people.store.query("SELECT auditor FROM audits")
    assert rows == [{"auditor": winner}]
    item = people.store.one("SELECT claimed_by, status FROM queue_items")
    assert item == {"claimed_by": winner, "status": "in_progress"}


def test_fill_files_name_the_line_of_a_syntax_error(tmp_path):
    from core.audit import read_fill_file

    bad = tmp_path / "a.toml"
    bad.write_text('overview = "ok"\n[ratings.covid_note]\nrating = met\n')
    with pytest.raises(InputError) as exc:
        read_fill_file(bad)
    assert exc.value.faults[0].row == 3 and str(exc.value).startswith(f"{bad}: row 3")
    bad = tmp_path / "a.json"
    bad.write_text('{"overview": "ok",\n "ratings": }\n')
    with pytest.raises(InputError, match=r"a.json: row 2, column 'character 13': not valid JSON"):
        read_fill_file(bad)
    good = tmp_path / "b.toml"
    good.write_text('[[actions]]\nowner_role = "worker"\ndescription = "x"\ndue = 2020-05-12\n')
    assert read_fill_file(good)["actions"][0]["due"] == date(2020, 5, 12)


def test_a_worker_outside_the_directory_and_no_manager_are_named_not_silently_alerted(ctx):
    """The extract names a worker the people directory does not know, so no manager is
    known either: submission still goes through (the audit is done), but nobody
    unreachable gets an outbox row, and the auditor and the trail say who was not told."""
    from core.audit import fill_audit, start_audit, submission_recipients, submit_audit

    add_audit_people(ctx)
    add_child(ctx, "U1", worker="Nobody Known", team="Team A")
    aud = as_user(ctx, "aud1")
    audit = start_audit(aud, "U1")
    data = full_audit_data()
    data["actions"] = [a for a in data["actions"] if a["owner_role"] == "worker"]
    fill_audit(aud, audit.audit_id, data)
    problems = [r["problem"] for r in submission_recipients(aud, audit) if not r["alerted"]]
    assert problems == ["the social worker 'Nobody Known' is not in the people directory",
                        "no supervising manager is recorded for Nobody Known in the people directory"]
    submit_audit(aud, audit.audit_id)
    assert ctx.store.scalar("SELECT COUNT(*) FROM outbox WHERE entity_id = ?", [str(audit.audit_id)]) == 0
    event = ctx.store.one("SELECT after FROM events WHERE entity = 'audit' AND action = 'submitted'")
    assert json.loads(event["after"])["not_alerted"] == problems
