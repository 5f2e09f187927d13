"""Sampling rules (design.md "Sampling"), each against a real SQLite file.

The clock is 2020-04-27 09:00 UTC (10:00 London), so the draw date is 2020-04-27:
an audit dated 2020-03-30 (28 days before) is eligible again, 2020-03-31 (27 days) is not.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import add_people, as_user
from factories import add_child, add_note

from core.config import SamplingSettings, Settings
from core.context import Context
from core.errors import DipauditError, NotFound, PermissionDenied
from core.last_audit import last_audit_dates
from core.sampling import draw_sample, get_sample

DAY_28_BEFORE = "2020-03-30"
DAY_27_BEFORE = "2020-03-31"


@pytest.fixture
def people(ctx):
    add_people(ctx, [
        {"login": "admin1", "roles": ["admin"]},
        {"login": "aud1", "roles": ["auditor"]},
        {"login": "aud2", "roles": ["auditor"]},
        {"login": "aud3", "roles": ["auditor"]},
        {"login": "w1", "roles": ["worker"]},
    ])
    return ctx


def add_audit_row(ctx: Context, child_id: str, *, submitted_at: str | None, status: str = "submitted") -> int:
    """An audit as the audit service would leave it (only the columns sampling reads matter)."""
    with ctx.tx() as tx:
        return tx.db["audits"].insert({
            "child_id": child_id, "auditor": "aud1", "programme_id": "p", "programme_version": "1",
            "status": status, "audit_date": "2020-03-01",
            "started_at": "2020-03-01T09:00:00Z", "submitted_at": submitted_at,
            "updated_at": tx.at, "updated_by": "aud1",
        }).last_pk


def picked(result) -> list[str]:
    return sorted(p.child_id for p in result.picks)


def count(ctx, table: str) -> int:
    return ctx.store.scalar(f"SELECT COUNT(*) FROM {table}")


# --- the four-week exclusion -------------------------------------------------------------


@pytest.mark.parametrize("source", ["qa_audit_note", "submitted_audit"])
def test_audit_28_days_before_is_eligible_27_days_before_is_excluded(people, source):
    ctx = people
    add_child(ctx, "OLD", worker="w1")
    add_child(ctx, "NEW", worker="w2")
    if source == "qa_audit_note":
        add_note(ctx, "OLD", DAY_28_BEFORE, "qa_audit")
        add_note(ctx, "NEW", DAY_27_BEFORE, "qa_audit")
    else:
        add_audit_row(ctx, "OLD", submitted_at=f"{DAY_28_BEFORE}T10:00:00Z")
        add_audit_row(ctx, "NEW", submitted_at=f"{DAY_27_BEFORE}T10:00:00Z")

    result = draw_sample(ctx, seed=1)

    assert picked(result) == ["OLD"]
    [unfilled] = result.unfilled
    assert unfilled.worker == "w2"
    assert unfilled.reason == "only open child is audited in the last 28 days"
    log = get_sample(ctx, result.sample_id)
    [excluded] = log.exclusions.children
    assert excluded.child_id == "NEW"
    assert excluded.reason.startswith(f"audited on {DAY_27_BEFORE}")
    assert "eligible again on 2020-04-28" in excluded.reason


def test_a_submitted_audit_counts_from_its_london_date(people):
    # 23:30 UTC on 30 March is 00:30 on 31 March in London (BST): 27 days before the draw.
    ctx = people
    add_child(ctx, "C1")
    add_audit_row(ctx, "C1", submitted_at="2020-03-30T23:30:00Z")
    assert str(last_audit_dates(ctx)["C1"]) == DAY_27_BEFORE
    with pytest.raises(DipauditError, match="no eligible child"):
        draw_sample(ctx, seed=1)


def test_the_draw_date_is_london_today_by_the_clock(people, clock):
    # 23:30 UTC on 27 April is 00:30 on 28 April in London: the 31 March audit is now 28 days old.
    ctx = people
    add_child(ctx, "C1")
    add_note(ctx, "C1", DAY_27_BEFORE, "qa_audit")
    with pytest.raises(DipauditError, match="no eligible child"):
        draw_sample(ctx, seed=1, dry_run=True)
    clock.advance(hours=14, minutes=30)
    result = draw_sample(ctx, seed=1)
    assert picked(result) == ["C1"]
    assert get_sample(ctx, result.sample_id).params["draw_date"] == "2020-04-28"


def test_last_audit_date_is_the_latest_of_audits_and_notes_and_drafts_do_not_count(people):
    ctx = people
    for c in ("A", "B", "C", "D"):
        add_child(ctx, c)
    add_note(ctx, "A", "2020-01-10", "qa_audit")
    add_audit_row(ctx, "A", submitted_at="2020-02-10T10:00:00Z", status="finalised")
    add_note(ctx, "B", "2020-03-01", "qa_audit")
    add_audit_row(ctx, "B", submitted_at="2020-02-01T10:00:00Z", status="queried")
    add_audit_row(ctx, "C", submitted_at=None, status="draft")
    add_note(ctx, "D", "2020-04-20", "management_oversight")  # not an audit

    dates = {k: str(v) for k, v in last_audit_dates(ctx).items()}
    assert dates == {"A": "2020-02-10", "B": "2020-03-01"}


def test_the_exclusion_period_comes_from_settings(people):
    ctx = people
    add_child(ctx, "C1")
    add_note(ctx, "C1", "2020-04-20", "qa_audit")  # 7 days before
    short = Context(store=ctx.store, clock=ctx.clock, user="admin1", os_login="t",
                    settings=Settings(sampling=SamplingSettings(exclusion_days=7)))
    assert picked(draw_sample(short, seed=1, dry_run=True)) == ["C1"]
    with pytest.raises(DipauditError, match="no eligible child"):
        draw_sample(ctx, seed=1, dry_run=True)


# --- open, allocated cases only ---------------------------------------------------------


def test_closed_and_unallocated_children_are_never_drawn_and_are_logged(people):
    ctx = people
    add_child(ctx, "OPEN", worker="w1")
    add_child(ctx, "SHUT", worker="w1", is_open=False, closed_on="2020-04-01")
    add_child(ctx, "ENDS_TODAY", worker="w2", closed_on="2020-04-27")
    add_child(ctx, "ENDS_LATER", worker="w3", closed_on="2020-05-15")
    add_child(ctx, "NOBODY", worker=None)
    add_child(ctx, "BLANK", worker="   ")

    result = draw_sample(ctx, seed=3, per_worker=5)

    assert picked(result) == ["ENDS_LATER", "OPEN"]
    log = get_sample(ctx, result.sample_id)
    reasons = {e.child_id: e.reason for e in log.exclusions.children}
    assert reasons == {
        "SHUT": "case closed on 2020-04-01",
        "ENDS_TODAY": "case closed on 2020-04-27",
        "NOBODY": "no allocated worker",
        "BLANK": "no allocated worker",
    }
    assert log.exclusions.counts == {"closed": 2, "unallocated": 2}
    # w1 and w3 each had one child of five wanted; w2, whose only child has closed, is
    # reported too (issue 9, item 6: it used to be skipped silently).
    assert [u.worker for u in result.unfilled] == ["w1", "w2", "w3"]
    assert result.unfilled[1].reason == "no open cases: 1 closed"


# --- tiers -------------------------------------------------------------------------------


def test_a_draw_fills_from_tier_1_then_2_then_3(people):
    ctx = people
    for cid, cohort in [("A1", "cin"), ("A2", "cla"), ("A3", "cp"), ("A4", "cin"), ("A5", "cla")]:
        add_child(ctx, cid, cohort=cohort, worker="w1")
    for cid, cohort in [("B1", "cin"), ("B2", "unborn"), ("B3", "care_leaver")]:
        add_child(ctx, cid, cohort=cohort, worker="w2")

    one = draw_sample(ctx, seed=7, dry_run=True)
    assert {p.worker: p.tier for p in one.picks} == {"w1": 1, "w2": 1}
    assert [p.child_id for p in one.picks if p.worker == "w1"] == ["A3"]

    three = draw_sample(ctx, seed=7, per_worker=3, dry_run=True)
    w1 = [p for p in three.picks if p.worker == "w1"]
    assert [p.tier for p in w1] == [1, 2, 2]
    assert w1[0].child_id == "A3" and {p.child_id for p in w1[1:]} == {"A2", "A5"}
    w2 = [p for p in three.picks if p.worker == "w2"]
    assert [p.tier for p in w2] == [1, 1, 3]


def test_tier_option_limits_the_draw_and_reports_workers_with_none(people):
    ctx = people
    add_child(ctx, "A1", cohort="cin", worker="w1")
    add_child(ctx, "A2", cohort="cp", worker="w1")
    add_child(ctx, "B1", cohort="cp", worker="w2")

    result = draw_sample(ctx, seed=1, tiers=[3])

    assert [(p.child_id, p.tier) for p in result.picks] == [("A1", 3)]
    assert [(u.worker, u.reason) for u in result.unfilled] == [("w2", "no open child in tier 3")]
    assert get_sample(ctx, result.sample_id).params["tiers"] == [3]


def test_an_unknown_tier_is_refused(people):
    add_child(people, "A1")
    with pytest.raises(DipauditError, match="no tier 4: the tiers are 1, 2, 3"):
        draw_sample(people, tiers=[4])


# --- siblings ------------------------------------------------------------------------------


def test_siblings_are_never_drawn_together(people):
    ctx = people
    add_child(ctx, "S1", worker="w1", family_id="FAM")
    add_child(ctx, "S2", worker="w2", family_id="FAM")
    add_child(ctx, "S3", worker="w2", family_id="FAM")

    result = draw_sample(ctx, seed=5)

    assert picked(result) == ["S1"]
    [u] = result.unfilled
    assert (u.worker, u.reason) == ("w2", "all 2 open children are siblings of children already drawn")
    log = get_sample(ctx, result.sample_id)
    assert {e.reason for e in log.exclusions.children} == {"sibling of S1 already drawn"}


def test_only_child_who_is_a_sibling_is_reported(people):
    ctx = people
    add_child(ctx, "S1", worker="w1", family_id="FAM")
    add_child(ctx, "S2", worker="w2", family_id="FAM")
    result = draw_sample(ctx, seed=5)
    assert [u.reason for u in result.unfilled] == ["only child is a sibling of a child already drawn"]


# --- reproducible ---------------------------------------------------------------------------


def _caseload(ctx, workers=6, each=12):
    cohorts = ["cin", "cla", "cp", "cin", "care_leaver", "cin"]
    for w in range(workers):
        for i in range(each):
            add_child(ctx, f"W{w}C{i:02d}", worker=f"w{w}", cohort=cohorts[i % len(cohorts)],
                      team="Team A" if w % 2 else "Team B", family_id=f"F{w}-{i % 5}")


def test_same_seed_same_sample_and_different_seeds_differ(people):
    ctx = people
    _caseload(ctx)
    first = draw_sample(ctx, seed=2020, per_worker=2, dry_run=True)
    again = draw_sample(ctx, seed=2020, per_worker=2, dry_run=True)
    assert first.picks == again.picks
    others = {tuple(picked(draw_sample(ctx, seed=s, per_worker=2, dry_run=True))) for s in range(1, 6)}
    assert len(others) > 1


def test_a_stored_draw_matches_its_dry_run_and_a_missing_seed_is_chosen_and_stored(people):
    ctx = people
    _caseload(ctx)
    dry = draw_sample(ctx, seed=99, dry_run=True)
    stored = draw_sample(ctx, seed=99)
    assert dry.picks == stored.picks
    chosen = draw_sample(ctx, per_worker=1)  # no seed given: one is chosen
    assert get_sample(ctx, chosen.sample_id).seed == chosen.seed


def test_the_same_children_are_drawn_whatever_order_the_caseload_was_loaded_in(people, tmp_path):
    from core.store import Store

    ctx = people
    _caseload(ctx)
    other = Store.open(tmp_path / "reversed.db")
    try:
        rctx = Context(store=other, clock=ctx.clock, settings=ctx.settings, user="admin1", os_login="t")
        add_people(rctx, [{"login": "admin1", "roles": ["admin"]}])
        for row in reversed(ctx.store.query("SELECT * FROM children")):
            add_child(rctx, row["child_id"], cohort=row["cohort"], worker=row["worker"],
                      team=row["team"], family_id=row["family_id"])
        assert draw_sample(rctx, seed=31, per_worker=3).picks == \
            draw_sample(ctx, seed=31, per_worker=3).picks
    finally:
        other.close()


# --- unfilled workers -----------------------------------------------------------------------


def test_a_worker_whose_children_were_all_audited_recently_is_reported(people):
    ctx = people
    for i in range(3):
        add_child(ctx, f"A{i}", worker="w1")
        add_note(ctx, f"A{i}", "2020-04-10", "qa_audit")
    add_child(ctx, "B0", worker="w2")

    result = draw_sample(ctx, seed=1)

    assert [(u.worker, u.team, u.reason) for u in result.unfilled] == [
        ("w1", "Team A", "all 3 open children audited in the last 28 days")
    ]


def test_a_worker_with_fewer_eligible_children_than_wanted_is_reported_with_the_mix(people):
    ctx = people
    for i in range(4):
        add_child(ctx, f"A{i}", worker="w1")
    add_note(ctx, "A0", "2020-04-10", "qa_audit")
    add_audit_row(ctx, "A1", submitted_at=None, status="draft")

    result = draw_sample(ctx, seed=1, per_worker=3)

    assert len(result.picks) == 2
    assert [u.reason for u in result.unfilled] == [
        "2 of 3 drawn: 4 open children, 1 audited in the last 28 days, 1 with an audit in progress"
    ]


def test_per_worker_default_comes_from_settings_and_limited_tiers_are_named(people):
    ctx = people
    for i in range(3):
        add_child(ctx, f"A{i}", worker="w1", cohort="cp")
    add_note(ctx, "A0", "2020-04-10", "qa_audit")
    two = Context(store=ctx.store, clock=ctx.clock, user="admin1", os_login="t",
                  settings=Settings(sampling=SamplingSettings(per_worker=3)))
    result = draw_sample(two, seed=1, tiers=[1], dry_run=True)
    assert len(result.picks) == 2
    assert [u.reason for u in result.unfilled] == [
        "2 of 3 drawn: 3 open children in tier 1, 1 audited in the last 28 days"
    ]


# --- children already being worked -------------------------------------------------------------


def test_children_in_a_live_queue_item_or_with_a_draft_audit_are_not_drawn_again(people):
    ctx = people
    _caseload(ctx, workers=2, each=6)
    add_audit_row(ctx, "W0C00", submitted_at=None, status="draft")
    first = draw_sample(ctx, seed=1)
    second = draw_sample(ctx, seed=1)

    assert not set(picked(first)) & set(picked(second))
    assert "W0C00" not in picked(first) + picked(second)
    log = get_sample(ctx, second.sample_id)
    reasons = {e.child_id: e.reason for e in log.exclusions.children}
    for child in picked(first):
        assert reasons[child].startswith("already in the queue (item ")
    assert reasons["W0C00"].startswith("audit in progress (draft audit ")


def test_a_done_or_cancelled_queue_item_does_not_hold_its_child(people):
    ctx = people
    add_child(ctx, "C1")
    first = draw_sample(ctx, seed=1)
    with ctx.tx() as tx:
        tx.execute("UPDATE queue_items SET status = 'cancelled'")
    assert picked(draw_sample(ctx, seed=1)) == picked(first) == ["C1"]


# --- roles, parameters, refusals ---------------------------------------------------------------


def test_drawing_needs_auditor_or_admin(people):
    add_child(people, "C1")
    with pytest.raises(PermissionDenied, match="w1 may not draw a sample: needs the auditor or admin role"):
        draw_sample(as_user(people, "w1"))
    with pytest.raises(PermissionDenied, match="stranger is not in the people directory"):
        draw_sample(as_user(people, "stranger"))
    assert draw_sample(as_user(people, "aud1"), seed=1).picks
    assert count(people, "samples") == 1


def test_auditors_are_assigned_round_robin_and_must_be_auditors(people):
    ctx = people
    _caseload(ctx, workers=5, each=3)
    result = draw_sample(ctx, seed=1, auditors=["aud1", "aud2"])
    rows = ctx.store.query("SELECT auditor FROM queue_items ORDER BY queue_id")
    assert [r["auditor"] for r in rows] == ["aud1", "aud2", "aud1", "aud2", "aud1"]
    assert len(result.picks) == 5
    with pytest.raises(DipauditError, match="w1 cannot be given audits: not an auditor"):
        draw_sample(ctx, auditors=["aud1", "w1"])
    with pytest.raises(NotFound, match="no person with login 'ghost'"):
        draw_sample(ctx, auditors=["ghost"])


def test_no_auditors_leaves_picks_unassigned(people):
    add_child(people, "C1")
    draw_sample(people, seed=1)
    assert people.store.scalar("SELECT auditor FROM queue_items") is None


def test_team_option_restricts_workers_and_children(people):
    ctx = people
    _caseload(ctx, workers=4, each=3)
    result = draw_sample(ctx, seed=1, teams=["team a"])
    assert {p.team for p in result.picks} == {"Team A"}
    assert {p.worker for p in result.picks} == {"w1", "w3"}
    with pytest.raises(DipauditError, match="no children in team Team Z"):
        draw_sample(ctx, teams=["Team Z"])


def test_no_eligible_child_is_an_error_and_nothing_is_written(people):
    ctx = people
    add_child(ctx, "C1")
    add_note(ctx, "C1", "2020-04-20", "qa_audit")
    add_child(ctx, "C2", is_open=False)
    events = count(ctx, "events")
    with pytest.raises(DipauditError, match=r"no eligible child to draw from 2 children \(1 closed, 1 recent audit\)"):
        draw_sample(ctx, seed=1)
    assert count(ctx, "samples") == count(ctx, "queue_items") == 0
    assert count(ctx, "events") == events


def test_an_empty_caseload_is_an_error(people):
    with pytest.raises(DipauditError, match="the caseload is empty"):
        draw_sample(people, seed=1)
    assert count(people, "samples") == 0


def test_a_dry_run_writes_nothing(people):
    ctx = people
    _caseload(ctx, workers=3, each=3)
    events = count(ctx, "events")
    result = draw_sample(ctx, seed=4, dry_run=True)
    assert result.sample_id is None and len(result.picks) == 3
    assert count(ctx, "samples") == count(ctx, "queue_items") == 0
    assert count(ctx, "events") == events


# --- the stored record -----------------------------------------------------------------------------


def test_the_stored_log_has_seed_params_population_exclusions_picks_and_an_event(people):
    ctx = people
    _caseload(ctx, workers=2, each=6)
    add_note(ctx, "W0C02", "2020-04-01", "qa_audit")
    add_child(ctx, "GONE", worker="w0", is_open=False, closed_on="2020-03-01")

    result = draw_sample(as_user(ctx, "aud1"), seed=11, per_worker=2, auditors=["aud3"])
    s = get_sample(ctx, result.sample_id)

    assert s.seed == 11 and s.created_by == "aud1" and s.created_at == "2020-04-27T09:00:00Z"
    assert s.params == {"per_worker": 2, "tiers": [1, 2, 3], "teams": [], "auditors": ["aud3"],
                           "exclusion_days": 28, "draw_date": "2020-04-27",
                           "tier_of_cohort": {"care_leaver": 1, "cin": 3, "cla": 2, "cp": 1, "unborn": 1}}
    # 12 open children: W0C02 (cp, tier 1) audited recently, so 11 eligible.
    assert s.population == {"1": 3, "2": 2, "3": 6}
    assert sum(len(v) for v in s.eligible_children.values()) == 11
    assert s.exclusions.counts == {"closed": 1, "recent_audit": 1}
    assert [p.child_id for p in s.picks] == [p.child_id for p in result.picks]
    assert {p.auditor for p in s.picks} == {"aud3"} and {p.status for p in s.picks} == {"queued"}
    assert all(p.reason.startswith(f"tier {p.tier} ({p.cohort}): drawn at random") for p in s.picks)
    event = ctx.store.one("SELECT * FROM events WHERE entity = 'sample'")
    assert (event["entity_id"], event["action"], event["actor"]) == (str(result.sample_id), "drawn", "aud1")
    assert json.loads(event["after"])["picks"] == 4
    with pytest.raises(NotFound, match="no sample 999"):
        get_sample(ctx, 999)


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_sample_json_and_show(people, db_path):
    from tui.cli import cli

    _caseload(people, workers=2, each=3)
    runner = CliRunner()
    base = ["--db", str(db_path), "--user", "aud1", "--now", "2020-04-27T10:00"]
    out = runner.invoke(cli, [*base, "sample", "--seed", "8", "--per-worker", "1", "--tier", "3", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert set(data) == {"sample_id", "seed", "picks", "unfilled"}
    assert data["seed"] == 8 and len(data["picks"]) == 2
    assert set(data["picks"][0]) == {"child_id", "worker", "team", "tier", "cohort", "reason"}

    shown = runner.invoke(cli, [*base, "sample", "show", str(data["sample_id"]), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["params"]["tiers"] == [3]

    human = runner.invoke(cli, [*base, "sample", "--dry-run", "--seed", "8"])
    assert human.exit_code == 0 and "Dry run (nothing written): seed 8, 2 children drawn" in human.output
    one = runner.invoke(cli, [*base, "sample", "--dry-run", "--seed", "8", "--team", "Team A"])
    assert one.exit_code == 0 and "seed 8, 1 child drawn" in one.output, one.output
    shown = runner.invoke(cli, [*base, "sample", "show", str(data["sample_id"])])
    assert f"Sample {data['sample_id']}: seed 8, drawn Mon 27 Apr 2020 10:00 by aud1" in shown.output


def test_one_person_spelled_two_ways_in_the_lists_is_one_worker(people):
    """List 7 names the worker "Walt Two", the canonical file their login: both children
    are matched to the same person, so --per-worker 1 draws one child."""
    add_people(people, [{"login": "w.two", "name": "Walt Two", "roles": ["worker"]}])
    add_child(people, "A1", cohort="cp", worker="w.two", team="T")
    add_child(people, "A2", cohort="cp", worker="w.two", team="T")
    people.store.db.execute("UPDATE children SET worker = 'Walt Two' WHERE child_id = 'A2'")
    result = draw_sample(as_user(people, "aud1"), per_worker=1, seed=7)
    assert len(result.picks) == 1
    assert result.picks[0].worker == "w.two"  # as the extract first spells them (child A1)
    assert result.unfilled == []
