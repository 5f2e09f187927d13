"""Pydantic models: the shapes services return and the CLI prints as JSON."""

from __future__ import annotations

import json
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator

Cohort = Literal["unborn", "cp", "care_leaver", "cla", "cin"]
QueueStatus = Literal["queued", "claimed", "in_progress", "done", "cancelled"]


class _Row(BaseModel):
    @classmethod
    def from_row(cls, row: dict):
        return cls.model_validate(row)


class Team(_Row):
    name: str
    head_of_service: str | None = None


class Person(_Row):
    login: str
    name: str
    roles: list[str] = Field(default_factory=list)
    team: str | None = None
    email: str | None = None
    teams_address: str | None = None
    manager: str | None = None
    head_of_service: str | None = None
    active: bool = True

    @field_validator("roles", mode="before")
    @classmethod
    def _roles(cls, v):
        return json.loads(v) if isinstance(v, str) else v


class Child(_Row):
    child_id: str
    name: str | None = None
    date_of_birth: date | None = None
    expected_date_of_birth: date | None = None
    cohort: Cohort
    tier: int
    worker: str | None = None
    worker_login: str | None = None
    team: str | None = None
    family_id: str | None = None
    is_open: bool = True
    closed_on: date | None = None
    key_dates: dict[str, str | None] = Field(default_factory=dict)

    @field_validator("key_dates", mode="before")
    @classmethod
    def _kd(cls, v):
        return json.loads(v) if isinstance(v, str) else v

    @property
    def initials(self) -> str:
        return initials(self.name)


class CaseNote(_Row):
    note_id: int | None = None
    child_id: str
    date: date
    kind: str
    type: str
    author: str | None = None
    summary: str | None = None


class Pick(BaseModel):
    child_id: str
    worker: str | None
    team: str | None
    tier: int
    cohort: str
    reason: str


class Unfilled(BaseModel):
    worker: str
    team: str | None = None
    reason: str


class SampleResult(BaseModel):
    sample_id: int | None  # None on a dry run
    seed: int
    picks: list[Pick]
    unfilled: list[Unfilled]


class QueueItem(_Row):
    queue_id: int
    sample_id: int
    child_id: str
    worker: str | None = None
    team: str | None = None
    tier: int
    cohort: str
    auditor: str | None = None
    claimed_by: str | None = None
    claimed_at: str | None = None
    status: QueueStatus
    audit_id: int | None = None


def initials(name: str | None) -> str:
    """``Alex Example`` -> ``A.E.``; used wherever a child is named outside the record."""
    if not name:
        return ""
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    return "".join(p[0].upper() + "." for p in parts)
