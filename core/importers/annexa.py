"""The caseload layouts: Ofsted Annex A Lists 6-9 and dipaudit's canonical CSV.

Headings are those of Data to Insight's liia-tools Annex A schema (field notes).
Each list says which cohort it holds, which column ends the episode, and which
dates are kept as the child's key dates. A table is recognised from its
headings (a column only that list has), or from a sheet named "List 7", or
``--list N`` says which it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .common import Column, Table, col, match_columns, norm

# Highest risk first: a child in several lists takes the first of these among its open sources.
COHORT_ORDER = ("unborn", "cp", "care_leaver", "cla", "cin")


@dataclass(frozen=True)
class Layout:
    """How one kind of caseload table is read."""

    source: str  # child_sources.source
    title: str
    cohort: str | None  # None: each row says (canonical)
    columns: tuple[Column, ...]
    required: tuple[tuple[str, ...], ...]  # each entry: one of these column keys must be present
    dates: tuple[str, ...]  # date columns kept as key dates
    end: str | None = None  # the column whose date ends the episode
    markers: tuple[str, ...] = ()  # columns only this layout has
    number: int | None = None

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


CHILD_ID = col("child_id", "Child Unique ID", "Child ID", "Unique Child ID", "child_id", "LCS ID")
COMMON = (
    CHILD_ID,
    col("name", "Child Name", "Name", "Full Name"),
    col("gender", "Gender"),
    col("date_of_birth", "Date of Birth", "DOB"),
    col("age", "Age of Child (Years)", "Age of Child", "Age"),
    col("team", "Allocated Team"),
    col("worker", "Allocated Worker"),
    col("family_id", "Family ID", "Family Group", "Family Group ID"),
)
BASE_REQUIRED = (("child_id",), ("date_of_birth",), ("team",), ("worker",))

LIST6 = Layout(
    source="list6",
    title="Annex A List 6 (children in need)",
    cohort="cin",
    number=6,
    columns=COMMON + (
        col("cin_start", "CIN Start Date"),
        col("last_seen", "Date Child Was Last Seen"),
        col("cin_closure", "CIN Closure Date"),
        col("case_status", "Case Status"),
    ),
    required=BASE_REQUIRED + (("cin_start",),),
    dates=("cin_start", "last_seen", "cin_closure"),
    end="cin_closure",
    markers=("cin_start", "cin_closure"),
)
LIST7 = Layout(
    source="list7",
    title="Annex A List 7 (child protection)",
    cohort="cp",
    number=7,
    columns=COMMON + (
        col("cp_plan_start", "Child Protection Plan Start Date"),
        col("last_statutory_visit", "Date of the Last Statutory Visit"),
        col("latest_review_conference", "Date of latest review conference"),
        col("cp_plan_end", "Child Protection Plan End Date"),
    ),
    required=BASE_REQUIRED + (("cp_plan_start",),),
    dates=("cp_plan_start", "last_statutory_visit", "latest_review_conference", "cp_plan_end"),
    end="cp_plan_end",
    markers=("cp_plan_start", "cp_plan_end"),
)
LIST8 = Layout(
    source="list8",
    title="Annex A List 8 (children looked after)",
    cohort="cla",
    number=8,
    columns=COMMON + (
        col("date_looked_after", "Date Started to be Looked After"),
        col("latest_statutory_review", "Date of Latest Statutory Review"),
        col("last_social_work_visit", "Date of Last Social Work Visit"),
        col("date_ceased_looked_after", "Date Ceased to be Looked After"),
    ),
    required=BASE_REQUIRED + (("date_looked_after",),),
    dates=("date_looked_after", "latest_statutory_review", "last_social_work_visit", "date_ceased_looked_after"),
    end="date_ceased_looked_after",
    markers=("date_looked_after", "date_ceased_looked_after"),
)
LIST9 = Layout(
    source="list9",
    title="Annex A List 9 (care leavers)",
    cohort="care_leaver",
    number=9,
    columns=COMMON + (
        col("personal_advisor", "Allocated Personal Advisor"),
        col("eligibility", "Eligibility Category"),
        col("latest_pathway_plan_review", "Latest Pathway Plan Review Date"),
        col("la_in_touch", "LA in Touch"),
        col("latest_contact", "Latest Date of Contact"),
    ),
    # A care leaver's allocated person is often the personal advisor.
    required=(("child_id",), ("date_of_birth",), ("team",), ("worker", "personal_advisor")),
    dates=("latest_pathway_plan_review", "latest_contact"),
    markers=("eligibility", "personal_advisor", "latest_pathway_plan_review"),
)
ANNEX_A = {6: LIST6, 7: LIST7, 8: LIST8, 9: LIST9}

# Key dates a canonical caseload may carry too (any of the lists' dates, by key).
KEY_DATES = tuple(dict.fromkeys(d for lay in ANNEX_A.values() for d in lay.dates))
CANONICAL = Layout(
    source="canonical",
    title="canonical caseload",
    cohort=None,
    columns=(
        CHILD_ID,
        col("name", "name", "Child Name"),
        col("date_of_birth", "date_of_birth", "Date of Birth", "DOB"),
        col("expected_date_of_birth", "expected_date_of_birth", "Expected Date of Birth", "EDD"),
        col("cohort", "cohort"),
        col("worker", "worker", "Allocated Worker"),
        col("team", "team", "Allocated Team"),
        col("family_id", "family_id", "Family ID", "Family Group"),
        col("closed_on", "closed_on", "Closed On", "Closure Date"),
        *(col(k, k) for k in KEY_DATES),
    ),
    required=(("child_id",), ("worker",)),
    dates=KEY_DATES,
    end="closed_on",
    markers=("cohort", "closed_on", "expected_date_of_birth"),
)

# Recognition order: the lists with the most distinctive columns first.
RECOGNITION = (LIST7, LIST8, LIST9, LIST6, CANONICAL)
_SHEET_LIST = re.compile(r"list\s*0?([6-9])\b", re.IGNORECASE)

# Cohort names a file may use (canonical cohort column, List 6 "Case Status"), normalised.
COHORT_WORDS = {
    "unborn": "unborn",
    "cp": "cp",
    "childprotection": "cp",
    "childprotectionplan": "cp",
    "careleaver": "care_leaver",
    "care_leaver": "care_leaver",
    "cla": "cla",
    "lac": "cla",
    "lookedafter": "cla",
    "childlookedafter": "cla",
    "lookedafterchild": "cla",
    "cin": "cin",
    "childinneed": "cin",
    "childinneedplan": "cin",
}


def cohort_of(label: str | None) -> str | None:
    """'cp', 'Child Protection plan' (prefix already stripped), 'Looked after child' -> a cohort."""
    if not label:
        return None
    try:
        return _cohort_cache[label]
    except KeyError:
        found = COHORT_WORDS.get(norm(label)) or COHORT_WORDS.get(label.strip().casefold())
        if len(_cohort_cache) < 1000:
            _cohort_cache[label] = found
        return found


_cohort_cache: dict[str, str | None] = {}


def recognise(table: Table, list_number: int | None) -> Layout | None:
    """The layout of a table: ``--list N``, else its headings, else a sheet named "List N"."""
    if list_number is not None:
        return ANNEX_A[list_number]
    for layout in RECOGNITION:
        found = match_columns(table.headings, layout.columns)
        if "child_id" in found and any(m in found for m in layout.markers):
            return layout
    if table.sheet and (m := _SHEET_LIST.search(table.sheet)):
        return ANNEX_A[int(m[1])]
    return None
