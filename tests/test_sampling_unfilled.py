"""Every worker in scope with no eligible child is reported unfilled with the reason,
including those with no open case at all (design.md: "Workers with no eligible child are
reported"): a caseload worker whose only case is closed, a directory worker in the teams
drawn with nothing allocated."""

from __future__ import annotations

import pytest
from conftest import add_people, as_user
from factories import add_child

from core.sampling import draw_sample, get_sample


@pytest.fixture
def drawer(ctx):
    add_people(ctx, [{"login": "aud1", "roles": ["auditor"]},
                     {"login": "w1", "name": "Wendy One", "roles": ["worker"], "team": "Team A"},
                     {"login": "w2", "name": "Will Two", "roles": ["worker"], "team": "Team A"}])
    add_child(ctx, "A1", worker="w1", team="Team A")  # w1 has an open case: drawn
    return as_user(ctx, "aud1")


def test_a_worker_whose_only_case_is_closed_is_reported(drawer):
    add_child(drawer, "B1", worker="w2", team="Team A", is_open=False, closed_on="2020-04-01")
    result = draw_sample(drawer, seed=1)
    assert [p.child_id for p in result.picks] == ["A1"]
    assert [(u.worker, u.team, u.reason) for u in result.unfilled] == [("w2", "Team A", "no open cases: 1 closed")]
    stored = get_sample(drawer, result.sample_id)
    assert [u.reason for u in stored.unfilled] == ["no open cases: 1 closed"]


def test_a_case_closing_on_or_before_the_draw_date_counts_as_closed(drawer):
    add_child(drawer, "B1", worker="w2", team="Team A", closed_on="2020-04-27")
    add_child(drawer, "B2", worker="w2", team="Team A", is_open=False)
    result = draw_sample(drawer, seed=1, dry_run=True)
    assert [(u.worker, u.reason) for u in result.unfilled] == [("w2", "no open cases: 2 closed")]


def test_a_directory_worker_with_nothing_allocated_in_the_teams_drawn_is_reported(drawer):
    add_people(drawer, [{"login": "w3", "name": "Wyn Three", "roles": ["worker"], "team": "Team B"},
                        {"login": "w4", "name": "Gone Four", "roles": ["worker"], "team": "Team A"}])
    with drawer.tx() as tx:
        tx.execute("UPDATE people SET active = 0 WHERE login = 'w4'")  # a leaver is not in scope
    result = draw_sample(drawer, seed=1, dry_run=True)
    # w2 (Team A) has no case; w3's team is not among the teams drawn (no child in Team B).
    assert [(u.worker, u.team, u.reason) for u in result.unfilled] == [
        ("Will Two", "Team A", "no open cases: none allocated in the caseload")]
    add_child(drawer, "C1", worker="someone", team="Team B")
    both = draw_sample(drawer, seed=1, dry_run=True)
    assert ("Wyn Three", "Team B", "no open cases: none allocated in the caseload") in [
        (u.worker, u.team, u.reason) for u in both.unfilled]
    only_b = draw_sample(drawer, seed=1, teams=["team b"], dry_run=True)
    assert [u.worker for u in only_b.unfilled] == ["Wyn Three"]


def test_unallocated_closed_children_name_no_worker(drawer):
    add_child(drawer, "U1", worker=None, team="Team A", is_open=False)
    unfilled = draw_sample(drawer, seed=1, dry_run=True).unfilled
    assert [(u.worker, u.reason) for u in unfilled] == [("Will Two", "no open cases: none allocated in the caseload")]
