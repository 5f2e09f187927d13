"""The QA Audit case note: every standard, the actions with owners and dates, the invitation."""

import pytest
from conftest import as_user
from factories import add_audit_people, add_child, submitted_audit

from core import locations
from core.audit import fill_audit, start_audit
from core.casenote import TemplateProblem, render_case_note, render_case_note_for
from core.config import Settings


def test_case_note_has_every_part_the_guidance_asks_for(ctx):
    a = submitted_audit(ctx)
    note = render_case_note(ctx, a.audit_id)
    assert note.startswith("QA Audit\n")
    assert "Date:       Mon 27 Apr 2020" in note
    assert "Auditor:    Ann Auditor" in note
    assert "Programme:  COVID-19, Virtual Contacts and Management Oversight (version 1)" in note
    assert "Status:     Submitted Mon 27 Apr 2020 10:00" in note
    for s in a.standards:
        assert s.title in note
    assert "   Rating: Partly met\n   Evidence: Two visits recorded as communication notes." in note
    assert "   Rating: Not met\n" in note and note.count("Rating: Met") == 4
    assert "Overview of findings\nMost standards met" in note
    assert "Positive practice\nWarm, child-focused recording" in note
    assert ("1. Wendy Worker (social worker): Re-record the 2 visits as virtual contact notes.\n"
            "   By: Tue 12 May 2020") in note
    assert "2. Mark Manager (supervising manager): Add how partner agencies" in note
    assert ("Wendy Worker (social worker) and Mark Manager (supervising manager) are invited to comment"
            " on these findings and recommended actions within 72 hours of submission"
            " (by Thu 30 Apr 2020 10:00)") in note
    assert "Alex Example" not in note  # pasted into the child's own record: the id is enough


def test_the_comment_window_comes_from_settings(ctx):
    ctx.settings.workflow.comment_window_hours = 48
    a = submitted_audit(ctx)
    note = render_case_note(ctx, a.audit_id)
    assert "within 48 hours of submission (by Wed 29 Apr 2020 10:00)" in note


def test_a_draft_renders_for_the_live_preview(ctx):
    add_audit_people(ctx)
    add_child(ctx, "C1")
    aud1 = as_user(ctx, "aud1")
    a = start_audit(aud1, "C1")
    a = fill_audit(aud1, a.audit_id, {"ratings": {"covid_note": {"rating": "met"}},
                                      "actions": [{"owner_role": "worker", "description": "do it"}]})
    note = render_case_note_for(a, None, Settings())
    assert "Status:     Draft (not yet submitted)" in note
    assert "Rating: Not yet rated" in note
    assert "(not yet written)" in note
    assert "1. Wendy Worker (social worker): do it\n   By: (no date yet)" in note
    assert "within 72 hours of submission. If there are no queries" in note


def test_a_councils_template_wins_and_a_broken_one_fails_clearly(ctx):
    a = submitted_audit(ctx)
    target = locations.templates_dir()
    target.mkdir(parents=True)
    (target / "qa_audit_note.txt.j2").write_text("{{ council }}: QA Audit of {{ child_id }}\n")
    assert render_case_note(ctx, a.audit_id) == "Example Council Children's Services: QA Audit of C1\n"
    (target / "qa_audit_note.txt.j2").write_text("QA Audit {{ chlid_id }}\n")
    with pytest.raises(TemplateProblem, match="qa_audit_note.txt.j2.*'chlid_id' is undefined"):
        render_case_note(ctx, a.audit_id)


def test_a_finalised_note_says_so_and_carries_its_addenda(ctx, clock):
    """After the window: no open invitation to comment, the finalisation time, and any
    addendum (a correction never rewrites the audit) with who wrote it and when."""
    from core.audit import add_addendum
    from core.tick import tick

    audit = submitted_audit(ctx)
    clock.advance(hours=72)
    tick(ctx)
    add_addendum(as_user(ctx, "aud1"), audit.audit_id, "Visit of 02/04 was in person, not virtual.")
    note = render_case_note(ctx, audit.audit_id)
    assert "are invited to comment" not in note
    assert "finalised Thu 30 Apr 2020 10:00" in note
    assert "Addenda" in note
    assert "Ann Auditor: Visit of 02/04 was in person, not virtual." in note
