"""The draw's population as the store gives it (per worker and tier, child ids as JSON
arrays, family ids read only for a pool walked; details of the children named read by
id), against a real SQLite file: any text in an id, a family or a team comes through as
it was stored, and the draw is the same from a dry run and a stored one."""

from __future__ import annotations

import json

import pytest
from conftest import add_people
from factories import add_child, add_note

from core.clock import today
from core.sampling import draw_sample, get_sample
from core.store import children

# Ids a CSV may well hold: quotes, backslashes, JSON and SQL punctuation, separators, non-ASCII.
ODD = ['a"b', "c\\d", "e,f", "g]h}", "i\x1fj", "k\x1el", "m n", "Zoë", "ø\u2028", "[1]"]


@pytest.fixture
def people(ctx):
    add_people(ctx, [{"login": "admin1", "roles": ["admin"]}, {"login": "aud1", "roles": ["auditor"]},
                     {"login": "w1", "roles": ["worker"]},
                     {"login": "w2", "roles": ["worker"]}])
    return ctx


def test_odd_ids_families_and_teams_come_through_as_stored(people):
    ctx = people
    for i, cid in enumerate(ODD):
        add_child(ctx, cid, worker="w1" if i % 2 else "w2", cohort=["cp", "cla", "cin"][i % 3],
                  team=f'Team "{cid}"', family_id="fam\x1f\"x\"" if i < 4 else None)
    add_note(ctx, "m n", "2020-04-20", "qa_audit")  # recently audited: left out, with its details

    dry = draw_sample(ctx, seed=3, per_worker=3, dry_run=True)
    stored = draw_sample(ctx, seed=3, per_worker=3)

    assert dry.picks == stored.picks
    by_id = {cid: i for i, cid in enumerate(ODD)}
    for pick in stored.picks:
        i = by_id[pick.child_id]
        assert (pick.team, pick.cohort) == (f'Team "{pick.child_id}"', ["cp", "cla", "cin"][i % 3])
    # One child of the family at most; the others are logged as its siblings.
    family = [p.child_id for p in stored.picks if by_id[p.child_id] < 4]
    assert len(family) == 1
    record = get_sample(ctx, stored.sample_id)
    logged = {e.child_id: e for e in record.exclusions.children}
    assert {c for c, e in logged.items() if e.code == "sibling"} <= set(ODD[:4]) - set(family)
    assert logged["m n"].code == "recent_audit"
    assert (logged["m n"].team, logged["m n"].cohort) == ('Team "m n"', "cp")
    # The eligible children: every child but the one audited; each child either eligible
    # or excluded with its reason.
    eligible = [c for ids in record.eligible_children.values() for c in ids]
    assert sorted(eligible) == sorted(set(ODD) - {"m n"})
    assert {p.child_id for p in record.picks} <= set(eligible)
    assert set(eligible) | set(logged) == set(ODD)


def test_the_population_is_per_worker_and_tier_with_sorted_ids_and_families_by_child(people):
    ctx = people
    for cid, worker, cohort, fam in [("C3", "w1", "cin", None), ("C1", "w1", "cin", "F"), ("C2", "w1", "cp", ""),
                                     ("C5", " w2 ", "cin", "F"), ("C4", "w2", "cin", None)]:
        add_child(ctx, cid, worker=worker, cohort=cohort, family_id=fam)
    add_child(ctx, "X1", worker="w1", is_open=False, closed_on="2020-01-01")

    pools, shut = children.draw_population(ctx.store, day=today(ctx.clock), tiers={"cp": 1, "cin": 3},
                                           teams=[])

    got = [(worker, tier, ids, json.loads(families) if families else {}) for worker, tier, ids, families in pools]
    # " w2 " and "w2" are one worker (WORKER_KEY trims); an empty family id is held as it is.
    assert got == [("w1", 1, ["C2"], {"C2": ""}), ("w1", 3, ["C1", "C3"], {"C1": "F"}),
                   ("w2", 3, ["C4", "C5"], {"C5": "F"})]
    assert [row[0] for row in shut] == ["X1"]
    assert children.draw_details(ctx.store, ["C5", "C1", "C5"]) == {
        "C1": ("cin", "Team A", "w1"), "C5": ("cin", "Team A", "w2")}
    assert children.draw_details(ctx.store, []) == {}
    assert children.draw_teams(ctx.store, day=today(ctx.clock), teams=[]) == ["Team A"]
