"""One vocabulary: every status, code and label dipaudit shows a person, defined once.

The services, the CLI and the screens import these; nothing else spells a status
set or a label. Labels are written in sentence case as they stand alone (a table
cell, a heading); inside a sentence a caller lower-cases them where the words are
common nouns (``label.lower()``), never by keeping a second copy.
"""

from __future__ import annotations

# Who the scheduler's changes are recorded as (events, finalised_by, escalation steps).
SYSTEM = "system"

# --- people -------------------------------------------------------------------------
ROLES = ("auditor", "pdt", "admin", "worker", "manager", "head_of_service", "smt", "director")

# --- the caseload -------------------------------------------------------------------
COHORTS = ("unborn", "cp", "care_leaver", "cla", "cin")
COHORT_LABELS = {
    "unborn": "Unborn baby",
    "cp": "Child protection plan",
    "care_leaver": "Care leaver",
    "cla": "Child looked after",
    "cin": "Child in need",
}
# The same, short and plural, in a list of what a sampling tier holds:
# "Tier 1 (unborn, CP plan, care leavers)" (the draw form).
COHORT_SHORT_LABELS = {"unborn": "unborn", "cp": "CP plan", "care_leaver": "care leavers",
                       "cla": "looked after", "cin": "in need"}

# Canonical case-note kinds used by the rules; councils map their own names onto them.
NOTE_KINDS = ("covid", "virtual_contact", "communication", "management_oversight", "qa_audit", "other")
# How the child's record names each kind (the checklist's filter cycles through these).
KIND_LABELS = {
    "covid": "COVID-19",
    "virtual_contact": "Virtual contact",
    "communication": "Communication",
    "management_oversight": "Management oversight",
    "qa_audit": "QA Audit",
    "other": "Other",
}
# The key dates a caseload carries (core/importers: Annex A columns, canonical extras).
KEY_DATE_LABELS = {
    "cin_start": "CIN start",
    "cin_closure": "CIN closure",
    "last_seen": "Last seen",
    "cp_plan_start": "CP plan start",
    "cp_plan_end": "CP plan end",
    "last_statutory_visit": "Last statutory visit",
    "latest_review_conference": "Latest review conference",
    "date_looked_after": "Looked after since",
    "date_ceased_looked_after": "Ceased looked after",
    "latest_statutory_review": "Latest statutory review",
    "last_social_work_visit": "Last social work visit",
    "latest_pathway_plan_review": "Latest pathway plan review",
    "latest_contact": "Latest contact",
}


def key_date_label(key: str) -> str:
    """How a key date is named; one the vocabulary lacks reads as its words (``next_visit``: 'Next visit')."""
    return KEY_DATE_LABELS.get(key) or key.replace("_", " ").capitalize()


# --- the queue ----------------------------------------------------------------------
QUEUE_STATUSES = ("queued", "claimed", "in_progress", "done", "cancelled")
# A queue item in one of these holds its child: the child is not drawn again.
LIVE_QUEUE = ("queued", "claimed", "in_progress")
# ... and in one of these it is held by an auditor (claimed, or its audit started).
HELD = ("claimed", "in_progress")

# --- the audit ----------------------------------------------------------------------
AUDIT_STATUSES = ("draft", "submitted", "queried", "finalised")
AUDIT_STATUS_LABELS = {"draft": "Draft", "submitted": "Submitted", "queried": "Queried",
                       "finalised": "Finalised"}
# Counted as the child's last audit (by the London date of submitted_at).
AUDITED_STATUSES = ("submitted", "queried", "finalised")
# In the comment window: submitted and not yet finalised.
IN_WINDOW = ("submitted", "queried")
# Amending one of these needs a reason (an 'amended' event).
AMENDABLE = ("submitted", "queried")

RATINGS = ("met", "partly_met", "not_met", "not_applicable")
RATING_LABELS = {
    "met": "Met",
    "partly_met": "Partly met",
    "not_met": "Not met",
    "not_applicable": "Not applicable",
}
# A standard counts as met for the overall verdict when it is met or does not apply.
MET_OR_NA = ("met", "not_applicable")
# Ratings the guidance expects to be backed by evidence of the gap.
NEEDS_EVIDENCE = ("not_met", "partly_met")

# Who owns a recommended action, and how the case note names them.
OWNER_ROLES = ("worker", "manager")
OWNER_ROLE_LABELS = {"worker": "social worker", "manager": "supervising manager"}
# Who an action's owner is, on the checklist's one-word toggle button.
OWNER_ROLE_BUTTONS = {"worker": "Worker", "manager": "Manager"}
# Whom a submission alerts, after their name: "Wendy Worker (w1), worker".
RECIPIENT_ROLE_LABELS = {"worker": "worker", "manager": "supervising manager"}

# --- comments -----------------------------------------------------------------------
COMMENT_STATUSES = ("noted", "open", "resolved")  # open and resolved: queries
COMMENT_STATUS_LABELS = {"noted": "comment", "open": "QUERY open", "resolved": "query resolved"}

# --- escalations --------------------------------------------------------------------
ESCALATION_LEVELS = ("manager", "head_of_service")
ESCALATION_STATUSES = ("open", "responded", "closed")
LEVEL_LABELS = {"manager": "Supervising manager", "head_of_service": "Head of Service"}
PHONED = ("reached", "no-answer")
# Each time-stamped step of an escalation, as its timeline names it.
STEP_LABELS = {
    "raised": "Raised",
    "phoned": "Phoned",
    "emailed": "Emailed",
    "responded": "Responded",
    "overdue": "Overdue",
    "referred": "Referred to Head of Service",
    "referral_failed": "Referral failed",
    "closed": "Closed",
}

# --- actions ------------------------------------------------------------------------
OUTCOMES = ("completed", "not_completed", "not_needed")
# An action's status is 'open' until a review closes it with its outcome (or keeps it open).
ACTION_STATUS_LABELS = {"open": "Open", "completed": "Completed", "not_completed": "Not completed",
                        "not_needed": "No longer needed"}
OUTCOME_LABELS = {k: ACTION_STATUS_LABELS[k] for k in OUTCOMES}

# --- notifications ------------------------------------------------------------------
# The work a person holds (``core.people.list_people``), as ``dipaudit people`` counts it.
OPEN_ITEM_LABELS = {"queue_item": "queue", "draft_audit": "draft", "action": "action",
                    "escalation": "escalation waiting", "escalation_raised": "escalation raised"}

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "dead")
