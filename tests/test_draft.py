"""The draft tracker (core/draft.py) on its own: no Textual, a real audit on a real file.

The checklist screen is a view over a ``Draft``; these tests hold the rules of saving
(what is sent, when, once at a time, and what a conflict does) without a screen.
That core/draft.py loads no Textual is tests/test_boundaries.py's job.
"""

from __future__ import annotations

import copy
import threading

import pytest
from conftest import as_user
from factories import add_audit_people, add_child, full_audit_data

from core.audit import fill_audit, get_audit, start_audit, submit_audit
from core.draft import MIN_DELAY, SAVE_DEBOUNCE, SAVE_MAX_WAIT, Draft, Form


@pytest.fixture
def auditor(ctx):
    add_audit_people(ctx)
    add_child(ctx, "C1", name="Alex Example")
    return as_user(ctx, "aud1")


@pytest.fixture
def audit(auditor):
    return start_audit(auditor, "C1")


def edited(draft: Draft, **changes) -> Form:
    """The form as loaded, with ``changes`` typed over it."""
    form = copy.deepcopy(draft.saved)
    for key, value in changes.items():
        setattr(form, key, value)
    return form


def test_a_fresh_draft_has_nothing_to_save(audit):
    draft = Draft(audit)
    assert draft.changes(Form.of(audit)) == {}
    assert draft.next_save(Form.of(audit)) is None
    assert draft.state == "saved" and not draft.pending(Form.of(audit))


def test_only_what_differs_is_sent_and_a_rating_is_never_cleared(audit):
    draft = Draft(audit)
    form = edited(draft, overview="Seen alone")
    form.ratings["covid_note"] = {"rating": "met", "evidence": ""}
    form.ratings["virtual_contact"] = {"rating": None, "evidence": "two calls"}
    assert draft.changes(form) == {
        "overview": "Seen alone",
        "ratings": {"covid_note": {"rating": "met"}, "virtual_contact": {"evidence": "two calls"}},
    }


def test_half_typed_due_dates_hold_the_actions_back(audit):
    draft = Draft(audit)
    form = edited(draft, actions=[{"owner_role": "worker", "description": "call", "due": None}],
                  actions_ready=False)
    assert "actions" not in draft.changes(form)
    form.actions_ready = True
    assert draft.changes(form)["actions"] == [{"owner_role": "worker", "description": "call", "due": None}]


def test_save_is_due_a_second_after_the_last_edit_and_never_later_than_max_wait(audit):
    draft = Draft(audit)
    form = edited(draft, overview="a")
    assert draft.edited(form, now=100.0) == SAVE_DEBOUNCE
    # Typing goes on: each edit restarts the wait, but the first edit's deadline holds.
    assert draft.edited(form, now=100.2) == SAVE_DEBOUNCE
    assert draft.edited(form, now=100.8) == pytest.approx(SAVE_MAX_WAIT - 0.8)
    assert draft.edited(form, now=101.6) == MIN_DELAY  # past the deadline: save at once
    assert max(SAVE_DEBOUNCE, SAVE_MAX_WAIT) < 2  # the design's bar: saved within 2 seconds


def test_typed_and_deleted_again_is_nothing_to_save(audit):
    draft = Draft(audit)
    assert draft.edited(edited(draft, overview="x"), now=1.0) is not None
    assert draft.edited(edited(draft), now=1.2) is None
    assert draft.dirty_since is None and draft.state == "saved"


def test_one_save_at_a_time_and_edits_made_meanwhile_follow(audit, auditor):
    draft = Draft(audit)
    first = draft.next_save(edited(draft, overview="one"))
    assert first is not None and first.expected_version == audit.version
    assert draft.next_save(edited(draft, overview="one two")) is None  # one is running
    assert draft.state == "saving"
    draft.finish(first.write(auditor, audit.audit_id))
    assert draft.version == audit.version + 1 == get_audit(auditor, audit.audit_id).version
    second = draft.next_save(edited(draft, overview="one two"))
    assert second.changes == {"overview": "one two"} and second.expected_version == draft.version
    draft.finish(second.write(auditor, audit.audit_id))
    assert get_audit(auditor, audit.audit_id).overview == "one two"
    assert draft.state == "saved" and draft.saved_at == get_audit(auditor, audit.audit_id).updated_at


def test_finish_takes_an_outcome_once(audit, auditor):
    draft = Draft(audit)
    save = draft.next_save(edited(draft, overview="once")).write(auditor, audit.audit_id)
    draft.finish(save)
    version = draft.version
    assert draft.finish(save) is None and draft.version == version


def test_a_save_that_never_ran_leaves_its_changes_pending(audit):
    """The screen closed before the thread got to it: the last-chance save sends them."""
    draft = Draft(audit)
    form = edited(draft, overview="late")
    draft.finish(draft.next_save(form))
    assert draft.saving is None
    assert draft.next_save(form).changes == {"overview": "late"}


def test_new_actions_adopt_the_ids_core_gave_them(audit, auditor):
    draft = Draft(audit)
    form = edited(draft, actions=[{"owner_role": "worker", "description": "call", "due": "2020-05-12"},
                                  {"owner_role": "manager", "description": "check", "due": None}])
    ids = draft.finish(draft.next_save(form).write(auditor, audit.audit_id))
    stored = get_audit(auditor, audit.audit_id).actions
    assert ids == [a.action_id for a in stored] and len(ids) == 2
    # With the ids adopted, the same actions are not sent again.
    for action, action_id in zip(form.actions, ids, strict=True):
        action["action_id"] = action_id
    assert draft.changes(form) == {}


def test_a_conflict_stops_saving_and_overwrites_nothing(audit, auditor):
    draft = Draft(audit)
    fill_audit(auditor, audit.audit_id, {"overview": "from the other terminal"})
    form = edited(draft, overview="mine")
    draft.finish(draft.next_save(form).write(auditor, audit.audit_id))
    assert draft.state == "conflict" and "changed by Ann Auditor" in draft.conflict
    assert draft.stuck
    assert draft.next_save(form) is None and draft.edited(form, now=5.0) is None
    assert get_audit(auditor, audit.audit_id).overview == "from the other terminal"


def test_a_refusal_is_kept_until_a_save_succeeds(audit, ctx, auditor):
    draft = Draft(audit)
    form = edited(draft, overview="not mine to write")
    draft.finish(draft.next_save(form).write(ctx, audit.audit_id))  # admin1 is not the auditor
    assert draft.state == "failed" and draft.failure and draft.stuck
    draft.finish(draft.next_save(form).write(auditor, audit.audit_id))  # the auditor: saved
    assert draft.failure is None and draft.state == "saved"


def test_an_unexpected_failure_is_an_outcome_not_an_exception(audit, auditor):
    draft = Draft(audit)
    save = draft.next_save(edited(draft, overview="x"))
    auditor.store.close()
    save.write(auditor, audit.audit_id)  # never raises
    assert save.done and save.error is not None and not save.conflict
    draft.finish(save)
    assert draft.state == "failed"


def test_a_submitted_audit_is_read_only(audit, auditor):
    fill_audit(auditor, audit.audit_id, full_audit_data())
    submitted = submit_audit(auditor, audit.audit_id)
    draft = Draft(submitted)
    form = edited(draft, overview="changed")
    assert draft.read_only and draft.state == "read-only"
    assert draft.changes(form) == {} and draft.next_save(form) is None


def test_the_preview_form_applies_over_the_audit(audit):
    draft = Draft(audit)
    form = edited(draft, overview="seen", actions=[{"owner_role": "manager", "description": "check",
                                                    "due": "2020-05-12"}])
    preview = form.applied_to(audit)
    assert preview.overview == "seen"
    [action] = preview.actions
    assert (action.owner, action.owner_name) == ("m1", "Mark Manager")
    assert preview.ratings["covid_note"].suggested == audit.ratings["covid_note"].suggested


def test_a_save_can_run_in_another_thread(audit, auditor):
    """The screen runs ``Save.write`` in a worker thread; the draft is only touched after."""
    draft = Draft(audit)
    save = draft.next_save(edited(draft, overview="threaded"))
    thread = threading.Thread(target=save.write, args=(auditor, audit.audit_id))
    thread.start()
    thread.join(timeout=30)
    draft.finish(save)
    assert get_audit(auditor, audit.audit_id).overview == "threaded" and draft.state == "saved"

