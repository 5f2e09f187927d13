"""Pre-checks: suggestions from case-note history, at their boundaries."""

from datetime import date

import pytest
from factories import add_note

from core.config import Settings
from core.prechecks import run_prechecks
from core.programme import load_programme

AUDIT = date(2020, 4, 27)


@pytest.fixture(scope="module")
def programme():
    return load_programme(Settings())


def note(d: str, kind: str) -> dict:
    return {"date": d, "kind": kind}


def check(programme, notes, audit_date=AUDIT):
    return run_prechecks(notes, programme, "C1", audit_date)


def test_only_standards_with_a_precheck_get_a_suggestion(programme):
    s = check(programme, [])
    assert set(s) == {"covid_note", "virtual_contact", "oversight_current", "oversight_virtual"}


def test_no_notes_at_all_suggests_not_met_everywhere(programme):
    s = check(programme, [])
    assert {k: v.rating for k, v in s.items()} == dict.fromkeys(s, "not_met")
    assert "no COVID-19 case note since virtual practice began on 23/03/2020" in s["covid_note"].evidence
    assert "no management oversight note" in s["oversight_current"].evidence
    assert "between 23/03/2020 and 20/04/2020" in s["oversight_virtual"].evidence


@pytest.mark.parametrize(("last", "rating", "days"), [
    ("2020-03-30", "met", 28),      # exactly 4 weeks: met
    ("2020-03-29", "not_met", 29),  # one day over
])
def test_oversight_current_boundary_28_vs_29_days(programme, last, rating, days):
    s = check(programme, [note(last, "management_oversight")])["oversight_current"]
    assert s.rating == rating
    d = date.fromisoformat(last).strftime("%d/%m/%Y")
    assert f"last management oversight {d}, {days} days before the audit on 27/04/2020" in s.evidence


def test_oversight_interval_comes_from_the_programme(programme):
    p = programme.model_copy(deep=True)
    p.parameters.oversight_interval_days = 14
    assert check(p, [note("2020-04-10", "management_oversight")])["oversight_current"].rating == "not_met"


def test_only_communication_notes_flags_the_note_type(programme):
    notes = [note("2020-03-30", "communication"), note("2020-04-06", "communication"),
             note("2020-04-14", "communication")]
    s = check(programme, notes)["virtual_contact"]
    assert s.rating == "not_met"
    assert s.evidence.startswith(
        "no virtual contact note since 23/03/2020 but 3 communication notes (latest 14/04/2020):"
        " check the note type")


def test_virtual_contact_and_communication_notes_is_partly_met(programme):
    notes = [note("2020-03-30", "virtual_contact"), note("2020-04-06", "communication")]
    s = check(programme, notes)["virtual_contact"]
    assert s.rating == "partly_met"
    assert "1 virtual contact note (latest 30/03/2020)" in s.evidence
    assert "check the note type of the communication notes" in s.evidence


def test_only_virtual_contact_notes_is_met_and_earlier_communication_notes_do_not_count(programme):
    notes = [note("2020-03-20", "communication"), note("2020-04-01", "virtual_contact"),
             note("2020-04-15", "virtual_contact")]
    s = check(programme, notes)["virtual_contact"]
    assert s.rating == "met"
    assert "2 virtual contact notes since 23/03/2020 (latest 15/04/2020)" in s.evidence


def test_covid_note_must_be_since_virtual_practice_began(programme):
    assert check(programme, [note("2020-03-22", "covid")])["covid_note"].rating == "not_met"
    s = check(programme, [note("2020-03-23", "covid")])["covid_note"]
    assert s.rating == "met" and "23/03/2020" in s.evidence


@pytest.mark.parametrize(("d", "rating"), [
    ("2020-03-22", "not_met"), ("2020-03-23", "met"), ("2020-04-20", "met"), ("2020-04-21", "not_met"),
])
def test_oversight_virtual_window_is_inclusive(programme, d, rating):
    assert check(programme, [note(d, "management_oversight")])["oversight_virtual"].rating == rating


def test_notes_after_the_audit_date_are_ignored(programme):
    notes = [note("2020-04-28", "covid"), note("2020-04-28", "management_oversight"),
             note("2020-04-28", "virtual_contact")]
    s = check(programme, notes)
    assert {v.rating for v in s.values()} == {"not_met"}


def test_evidence_is_one_sentence(programme):
    notes = [note("2020-03-30", "virtual_contact"), note("2020-04-06", "communication"),
             note("2020-04-02", "management_oversight"), note("2020-03-25", "covid")]
    for s in check(programme, notes).values():
        assert s.evidence.endswith(".") and s.evidence.count(". ") == 0, s.evidence


def test_reads_the_childs_notes_from_the_store(ctx, programme):
    add_note(ctx, "C1", "2020-04-02", "management_oversight")
    add_note(ctx, "C1", "2020-04-30", "covid")  # after the audit date
    add_note(ctx, "C2", "2020-04-01", "covid")  # another child
    s = run_prechecks(ctx, programme, "C1", AUDIT)
    assert s["oversight_current"].rating == "met"
    assert "02/04/2020, 25 days before" in s["oversight_current"].evidence
    assert s["covid_note"].rating == "not_met"
