"""Shared fixtures: a real SQLite file per test, a fixed clock, a context."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.config import Settings
from core.context import Context, os_login
from core.store import Store


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Never touch the real user's config or data: each test gets its own dirs."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DIPAUDIT_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("DIPAUDIT_DATA_DIR", str(base / "data"))
    monkeypatch.delenv("DIPAUDIT_CONFIG", raising=False)
    for var in ("DIPAUDIT_DB", "DIPAUDIT_USER", "DIPAUDIT_NOW"):
        monkeypatch.delenv(var, raising=False)
    # The suite acts as its made-up people and moves the clock (--user, --now): it is
    # listed in [security] act_as, as a council lists its tick's service account.
    # Tests of the refusals take it away (tests/test_identity.py).
    monkeypatch.setenv("DIPAUDIT_SECURITY__ACT_AS", json.dumps([os_login()]))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2020, 4, 27, 9, 0, tzinfo=UTC))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "dipaudit.db"


@pytest.fixture
def store(db_path: Path):
    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture
def ctx(store: Store, clock: FixedClock) -> Context:
    return Context(store=store, clock=clock, settings=Settings(), user="admin1", os_login="tester")


def add_people(ctx: Context, people: list[dict]) -> None:
    """Put people straight into the directory (tests of other features)."""
    with ctx.tx() as tx:
        for p in people:
            row = {
                "login": p["login"],
                "name": p.get("name", p["login"].title()),
                "roles": json.dumps(p.get("roles", [])),
                "team": p.get("team"),
                "email": p.get("email", f"{p['login']}@example.org"),
                "teams_address": p.get("teams_address"),
                "manager": p.get("manager"),
                "head_of_service": p.get("head_of_service"),
            }
            tx.db["people"].upsert(row, pk="login")


def as_user(ctx: Context, login: str) -> Context:
    return Context(store=ctx.store, clock=ctx.clock, settings=ctx.settings, user=login, os_login="tester")


REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
