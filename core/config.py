"""One settings model. Every number in the rules is here, with the guidance's default.

Sources, highest first: keyword arguments, ``DIPAUDIT_*`` environment variables
(nested with ``__``, e.g. ``DIPAUDIT_SAMPLING__EXCLUSION_DAYS=21``), the TOML file
(``DIPAUDIT_CONFIG`` or ``config.toml`` in the user config dir), then defaults.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from . import locations
from .errors import Fault, InputError


class SamplingSettings(BaseModel):
    per_worker: int = Field(1, ge=1, description="children drawn per worker")
    exclusion_days: int = Field(28, ge=0, description="a child audited on D is eligible again on D + this")
    tiers: dict[str, int] = Field(
        default_factory=lambda: {"unborn": 1, "cp": 1, "care_leaver": 1, "cla": 2, "cin": 3},
        description="priority tier of each cohort; 1 is drawn first",
    )


class NoteTypeSettings(BaseModel):
    """Names a case management system uses for each kind of note (matched case-insensitively)."""

    covid: list[str] = ["COVID-19", "COVID 19", "Covid-19 case note", "COVID-19 case note"]
    virtual_contact: list[str] = ["Virtual contact", "Virtual contact case note"]
    communication: list[str] = ["Communication", "Communications", "Communications case note"]
    management_oversight: list[str] = ["Management oversight", "Management oversight case note"]
    qa_audit: list[str] = ["QA Audit", "QA Audit case note"]

    def kind_of(self, name: str) -> str:
        key = " ".join(name.replace("\u2019", "'").split()).casefold()
        for kind in ("covid", "virtual_contact", "communication", "management_oversight", "qa_audit"):
            if key in {" ".join(n.split()).casefold() for n in getattr(self, kind)}:
                return kind
        return "other"


class WorkflowSettings(BaseModel):
    comment_window_hours: int = 72
    review_after_days: int = 14
    escalation_respond_working_days: int = 1
    auto_refer_head_of_service: bool = True
    reminder_days_before_due: int = 2
    action_due_working_days: int = 10  # default suggestion for a new action's due date
    bank_holiday_region: str = "ENG"


class NotifySettings(BaseModel):
    full_names: bool = False  # notifications name a child by id and initials unless turned on
    apprise_config: Path | None = None  # YAML/text Apprise config with tagged URLs
    max_attempts: int = 8
    retry_minutes: int = 5  # first retry after this; doubles each attempt (exponential backoff)
    # Apprise mail URL without the recipient, e.g. "mailtos://user:pass@smtp.council.gov.uk?from=dipaudit@council.gov.uk";
    # each message adds to=<the person's email>. None: no email channel.
    email_url: str | None = None
    # Send to a person's Teams address (a Power Automate Workflows URL, workflows://...) when they have one.
    teams: bool = True


class SecuritySettings(BaseModel):
    """Who may act as someone else. Identity is the OS login (``core.identity``)."""

    # OS logins allowed to name another person with --user / DIPAUDIT_USER and to move the
    # clock with --now / DIPAUDIT_NOW (a service account, the test suite). Default: nobody.
    act_as: list[str] = Field(default_factory=list, description="OS logins that may act as anyone")

    @field_validator("act_as", mode="before")
    @classmethod
    def _logins(cls, v):
        if isinstance(v, str):
            v = [v] if v.strip() else []  # DIPAUDIT_SECURITY__ACT_AS= (blank): nobody
        logins = list(v or [])
        out = []
        for login in logins:
            text = str(login).strip()
            if not text or any(c.isspace() for c in text):
                raise ValueError(f"{login!r} is not an OS login")
            if text not in out:
                out.append(text)
        return out


class SchedulerSettings(BaseModel):
    """The scheduler's watch: when the silence of ``dipaudit tick`` is reported."""

    stale_minutes: int = Field(30, ge=1, description="no delivering tick for this long: say so")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(value) -> str:
    """``tue``, ``Tue`` or ``Tuesday`` -> ``tue``."""
    text = str(value).strip().casefold()
    for short, full in zip(WEEKDAYS, DAY_NAMES, strict=True):
        if text in (short, full):
            return short
    raise ValueError(f"not a day of the week (one of {', '.join(WEEKDAYS)})")


def _clock_time(value) -> str:
    """``8:00`` or ``08:00`` -> ``08:00`` (24-hour London wall-clock time)."""
    text = str(value).strip()
    hh, sep, mm = text.partition(":")
    if not (sep and hh.isdigit() and mm.isdigit() and len(mm) == 2 and 0 <= int(hh) < 24
            and 0 <= int(mm) < 60):
        raise ValueError("not a time of day as HH:MM (24-hour, London)")
    return f"{int(hh):02d}:{mm}"


class ReportSettings(BaseModel):
    """When the SMT and weekly reports fall due (London wall-clock time) and what they hold."""

    smt_days: list[str] = Field(default_factory=lambda: ["tue", "thu"],
                                description="days the SMT report is sent")
    smt_time: str = "08:00"
    weekly_day: str = "mon"
    weekly_time: str = "08:00"
    week_starts: str = "mon"  # a reporting week runs from this day's midnight for seven days
    trend_weeks: int = Field(8, ge=1, le=104, description="weeks before the reported one in the trend")
    weekly_by_worker: bool = False  # the weekly report stops at team level unless this is on
    scheduled: bool = True  # dipaudit tick sends each report when its slot comes

    @field_validator("smt_days", mode="before")
    @classmethod
    def _days(cls, v):
        days = [v] if isinstance(v, str) else list(v)
        out = sorted({_weekday(d) for d in days}, key=WEEKDAYS.index)
        if not out:
            raise ValueError("at least one day")
        return out

    @field_validator("weekly_day", "week_starts", mode="before")
    @classmethod
    def _day(cls, v):
        return _weekday(v)

    @field_validator("smt_time", "weekly_time", mode="before")
    @classmethod
    def _time(cls, v):
        return _clock_time(v)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DIPAUDIT_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    council: str = "Example Council Children's Services"
    programme: str = "covid-virtual-oversight"
    sampling: SamplingSettings = SamplingSettings()
    note_types: NoteTypeSettings = NoteTypeSettings()
    workflow: WorkflowSettings = WorkflowSettings()
    notify: NotifySettings = NotifySettings()
    reports: ReportSettings = ReportSettings()
    security: SecuritySettings = SecuritySettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    keys: dict[str, str] = Field(default_factory=dict, description="binding id -> key(s)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=locations.config_file())
        return (init_settings, env_settings, toml)

    def tier_of(self, cohort: str) -> int:
        return self.sampling.tiers.get(cohort, 3)


def load_settings(**overrides) -> Settings:
    """The settings; a bad config file or ``DIPAUDIT_*`` value is an InputError, one line per fault."""
    path = str(locations.config_file())
    try:
        return Settings(**overrides)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"not valid TOML: {exc}") from exc
    except RecursionError:  # the TOML parser recurses per level: a file nested thousands deep
        raise InputError(path, "not a config file: lists or tables nested thousands deep") from None
    except PermissionError as exc:  # a config file (or its folder) this login may not read
        raise InputError(path, f"cannot read the config file ({exc.strerror}); set DIPAUDIT_CONFIG"
                         " to one you can read") from exc
    except SettingsError as exc:  # a DIPAUDIT_* list or table that is not JSON
        raise InputError("environment", f"{exc}: a list or table setting is JSON there,"
                         " e.g. DIPAUDIT_SECURITY__ACT_AS='[\"dipaudit\"]'") from exc
    except ValidationError as exc:
        faults = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            env = "DIPAUDIT_" + "__".join(str(p) for p in err["loc"]).upper()
            faults.append(Fault(None, where, f"{err['msg']} (got {err.get('input')!r}; set here or in {env})"))
        raise InputError(path, faults) from exc
