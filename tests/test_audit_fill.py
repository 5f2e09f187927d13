"""The AuditFill model: what fill data may hold, and every fault named by its key path
in words a person can act on (the same words the hand-written checks used)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from conftest import as_user
from factories import add_audit_people, add_child, full_audit_data

from core.audit import AuditFill, fill_audit, get_audit, start_audit
from core.errors import InputError
from core.programme import load_programme


@pytest.fixture
def programme(ctx):
    return load_programme(ctx.settings)


@pytest.fixture
def draft(ctx):
    add_audit_people(ctx)
    add_child(ctx, "C1", worker="w1")
    aud = as_user(ctx, "aud1")
    return aud, start_audit(aud, "C1")


def faults(data, programme) -> list[tuple[str | None, str]]:
    with pytest.raises(InputError) as exc:
        AuditFill.parse(data, programme, "fill.json")
    return [(f.column, f.message) for f in exc.value.faults]


@pytest.mark.parametrize("data,expected", [
    (["not", "a", "table"], [(None, "expected a table/object of audit fields")]),
    ({"ratings": ["met"]}, [("ratings", "expected a table of standard id -> {rating, evidence}")]),
    ({"ratings": {"covid_note": 5}}, [("ratings.covid_note", "expected {rating, evidence}")]),
    ({"ratings": {"covid_note": {"rating": "met", "evidence": 4}}},
     [("ratings.covid_note.evidence", "expected text")]),
    ({"ratings": {"covid_note": {"score": 3}}},
     [("ratings.covid_note.score", "unknown field; expected rating or evidence")]),
    ({"positive_practice": ["x"]}, [("positive_practice", "expected text")]),
    ({"actions": {"owner_role": "worker"}}, [("actions", "expected a list of {owner_role, description, due}")]),
    ({"actions": ["do it"]}, [("actions[1]", "expected {owner_role, description, due}")]),
    ({"actions": [{"owner_role": "worker", "action_id": True}]}, [("actions[1].action_id", "expected a whole number")]),
    ({"actions": [{"owner_role": "worker", "owner": 7}]}, [("actions[1].owner", "expected text")]),
    ({"actions": [{"owner_role": "worker", "due": datetime(2020, 5, 12, 9, 0)}]},  # noqa: DTZ001 - TOML 2020-05-12T09:00 is naive
     [("actions[1].due", "'2020-05-12 09:00:00' is a date and time; give the date only (YYYY-MM-DD)")]),
    ({"actions": [{"owner_role": "worker", "colour": "red"}]},
     [("actions[1].colour", "unknown field; expected action_id, owner_role, owner, description, due")]),
])
def test_each_fault_is_named_by_its_key_path(programme, data, expected):
    assert faults(data, programme) == expected


def test_an_unknown_standard_is_one_fault_whatever_its_entry_holds(programme):
    [(column, message)] = faults({"ratings": {"nope": {"rating": "great", "x": 1}}}, programme)
    assert column == "ratings.nope"
    assert message.startswith("no standard 'nope' in programme covid-virtual-oversight (standards: covid_note,")


def test_blank_values_mean_not_given_yet(programme):
    fill = AuditFill.parse({"ratings": {"covid_note": {"rating": "", "evidence": None}},
                            "overview": None,
                            "actions": [{"owner_role": "manager", "owner": "", "due": ""}]}, programme, "x")
    assert (fill.ratings["covid_note"].rating, fill.ratings["covid_note"].evidence) == (None, "")
    assert fill.overview == ""
    assert (fill.actions[0].owner, fill.actions[0].due, fill.actions[0].description) == (None, None, "")


def test_shorthand_rating_sets_the_rating_and_keeps_the_evidence(draft):
    aud, a = draft
    fill_audit(aud, a.audit_id, {"ratings": {"covid_note": {"rating": "not_met", "evidence": "none found"}}})
    b = fill_audit(aud, a.audit_id, {"ratings": {"covid_note": "met"}})
    assert (b.ratings["covid_note"].rating, b.ratings["covid_note"].evidence) == ("met", "none found")


def test_audit_show_json_fed_back_is_accepted_and_changes_nothing(draft):
    aud, a = draft
    filled = fill_audit(aud, a.audit_id, full_audit_data(a.audit_date))
    shown = json.loads(get_audit(aud, a.audit_id).model_dump_json())  # what `audit show --json` prints
    data = {k: shown[k] for k in ("ratings", "overview", "positive_practice", "actions")}
    again = fill_audit(aud, a.audit_id, data, expected_version=filled.version)
    assert again.version == filled.version  # nothing changed: no new version, no event
    assert [x.action_id for x in again.actions] == [x.action_id for x in filled.actions]


def test_a_fill_model_built_by_a_caller_saves_only_what_it_sets(draft):
    aud, a = draft
    fill_audit(aud, a.audit_id, {"overview": "kept", "ratings": {"covid_note": {"evidence": "kept too"}}})
    b = fill_audit(aud, a.audit_id, AuditFill(ratings={"covid_note": {"rating": "met"}}))
    assert (b.overview, b.ratings["covid_note"].rating, b.ratings["covid_note"].evidence) == (
        "kept", "met", "kept too")
    with pytest.raises(InputError, match="no standard 'nope'"):
        fill_audit(aud, a.audit_id, AuditFill(ratings={"nope": {"rating": "met"}}))
