"""The injected clock.

Core never reads the wall clock directly: every service takes a ``Clock`` so the
CLI's ``--now`` (env ``DIPAUDIT_NOW``) and the tests can move time. Datetimes are
stored as aware UTC and shown in Europe/London.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime:  # aware, UTC
        ...


class SystemClock:
    """The real clock (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stays where it is put; ``advance`` moves it (tests, simulation)."""

    at: datetime = field(default_factory=lambda: datetime(2020, 4, 27, 9, 0, tzinfo=UTC))

    def __post_init__(self) -> None:
        self.at = as_utc(self.at)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at = self.at + timedelta(**delta)
        return self.at

    def set(self, at: datetime) -> None:
        self.at = as_utc(at)


def as_utc(dt: datetime) -> datetime:
    """An aware UTC datetime; a naive one is read as Europe/London wall time."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=LONDON)
    return dt.astimezone(UTC)


def parse_when(text: str) -> datetime:
    """Parse an ISO-8601 instant such as ``2020-04-27T09:00`` or ``2020-04-27T08:00Z``.

    Without an offset the time is Europe/London wall time (what an auditor means).
    A bare date means 09:00 London on that day.
    """
    text = text.strip()
    if not text:
        raise ValueError("empty time")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if len(text) == 10:
        d = date.fromisoformat(text)
        return as_utc(datetime(d.year, d.month, d.day, 9, 0))  # noqa: DTZ001 - London wall time, made aware by as_utc
    return as_utc(datetime.fromisoformat(text))


def clock_from(now: str | None) -> Clock:
    """The clock for a CLI run: fixed at ``now`` when given, else the system clock."""
    return FixedClock(parse_when(now)) if now else SystemClock()


def iso(dt: datetime | None) -> str | None:
    """Storage form: UTC, seconds precision, sortable as text."""
    if dt is None:
        return None
    return as_utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def local(dt: datetime) -> datetime:
    return as_utc(dt).astimezone(LONDON)


def show(dt: datetime | str | None, with_time: bool = True) -> str:
    """How a person reads a time: Europe/London, ``Thu 26 Nov 2026 15:04``."""
    if dt is None or dt == "":
        return ""
    if isinstance(dt, str):
        dt = from_iso(dt)
    loc = local(dt)
    return loc.strftime("%a %d %b %Y %H:%M" if with_time else "%a %d %b %Y")


def show_short(value: datetime | date | str | None, *, with_time: bool = True) -> str:
    """A time as a table cell: London, no year (``Wed 13 May 10:00``), so tables fit 80
    columns; a plain date (or ``with_time=False``) as ``Wed 13 May``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = from_iso(value) if "T" in value else date.fromisoformat(value)
    if not isinstance(value, datetime):
        return value.strftime("%a %d %b")
    return local(value).strftime("%a %d %b %H:%M" if with_time else "%a %d %b")


def show_time_of_day(value: datetime | str | None, *, seconds: bool = False) -> str:
    """The London clock time alone (``10:04``, or ``10:04:37``): "saved at ...", "changed at ..."."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = from_iso(value)
    return local(value).strftime("%H:%M:%S" if seconds else "%H:%M")


def show_date(d: date | None, *, missing: str = "") -> str:
    """A date as a person reads it in a sentence: ``Mon 27 Apr 2020``."""
    return d.strftime("%a %d %b %Y") if d else missing


def uk_date(d: date) -> str:
    """A date as evidence cites it, the way the case record shows it: ``23/03/2020``."""
    return d.strftime("%d/%m/%Y")


def today(clock: Clock) -> date:
    """The date today in Europe/London by the given clock."""
    return local(clock.now()).date()


def span(seconds: float) -> str:
    """A duration as a person reads it at a glance: ``2d 3h``, ``3h 20m``, ``12m``."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"
