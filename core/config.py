"""One settings model. Every number in the rules is here, with the guidance's default.

Sources, highest first: keyword arguments, ``DIPAUDIT_*`` environment variables
(nested with ``__``, e.g. ``DIPAUDIT_SAMPLING__EXCLUSION_DAYS=21``), the TOML file
(``DIPAUDIT_CONFIG`` or ``config.toml`` in the user config dir), then defaults.

The sources are read here (``tomllib``, ``os.environ``) with pydantic-settings' rules
(``BaseSettings`` with ``env_prefix="DIPAUDIT_"``, ``env_nested_delimiter="__"``, a TOML
source), not by pydantic-settings itself: importing it cost every command a fifth of a
second (it loads asyncio, dotenv, importlib.metadata and its many sources).

Nor are the settings pydantic models: importing pydantic and building the settings'
validators cost every command another fifth of a second, before any work. Each section
is a plain class (``Section``) declared as a pydantic model would be (annotations,
defaults, ``setting(ge=...)``, ``@before`` validators). A value whose validity is plain
(an ``int`` in range, a ``str``, a list of ``str``, "true" for a flag, ...) is taken as
pydantic would take it; anything else (a wrong type, a value out of range, a validator's
refusal, a float for an int) is handed to pydantic models built from the same
declarations (``_pydantic_model``), which coerce it or raise the ``ValidationError``
pydantic always raised, word for word. So the rules and the messages are pydantic's,
and pydantic loads only when a value needs it.
"""

import copy
import json
import os
import re
import sys
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import is_dataclass
from pathlib import Path
from types import UnionType
from typing import Any, ClassVar, Union, get_args, get_origin

from . import locations
from .errors import Fault, InputError

ENV_PREFIX = "DIPAUDIT_"
NESTED = "__"


class SettingsError(ValueError):
    """A ``DIPAUDIT_*`` list or table that is not JSON (pydantic-settings' words)."""


# -- sections: plain classes declared like pydantic models ------------------------------------

_MISSING: Any = object()


class FieldSpec:
    """One setting: its type (``annotation``), default (or ``default_factory``), bounds and
    description, as a pydantic ``Field`` holds them."""

    __slots__ = ("name", "annotation", "default", "default_factory", "ge", "le", "description")

    def __init__(self, default: Any = _MISSING, *, default_factory: Callable[[], Any] | None = None,
                 ge: int | None = None, le: int | None = None, description: str | None = None):
        self.name = ""
        self.annotation: Any = None
        self.default, self.default_factory = default, default_factory
        self.ge, self.le, self.description = ge, le, description

    def make_default(self) -> Any:
        if self.default_factory is not None:
            return self.default_factory()
        return copy.deepcopy(self.default)  # a section or list default is never shared


def setting(default: Any = _MISSING, **kwargs: Any) -> Any:
    """A setting's default with pydantic ``Field``'s keywords (``ge``, ``le``,
    ``default_factory``, ``description``)."""
    return FieldSpec(default, **kwargs)


def before(*names: str) -> Callable:
    """A validator run on the raw value of each named setting (pydantic's
    ``field_validator(..., mode="before")``): returns the value, or raises ValueError."""

    def mark(fn: Callable) -> Callable:
        fn.__before__ = names  # type: ignore[attr-defined]
        return fn

    return mark


class Section:
    """A table of settings. ``Section(**values)`` validates ``values`` over the defaults
    (pydantic's ``ValidationError`` for a bad one); ``model_construct(**values)`` does not
    validate. Unknown keys are ignored."""

    model_fields: ClassVar[dict[str, FieldSpec]] = {}
    _before: ClassVar[dict[str, Callable]] = {}
    _validate_default: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = dict(cls.model_fields)
        validators = dict(cls._before)
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            if get_origin(annotation) is ClassVar or name.startswith("_"):
                continue
            spec = cls.__dict__.get(name, _MISSING)
            spec = spec if isinstance(spec, FieldSpec) else FieldSpec(spec)
            spec.name, spec.annotation = name, annotation
            fields[name] = spec
            if name in cls.__dict__:
                delattr(cls, name)  # values live on instances
        for value in list(cls.__dict__.values()):
            fn = getattr(value, "__func__", value)
            for name in getattr(fn, "__before__", ()):
                validators[name] = fn
        cls.model_fields, cls._before = fields, validators
        cls._pydantic = None

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(_validate(type(self), values))

    @classmethod
    def model_construct(cls, **values: Any):
        """The defaults with ``values`` over them, validated by nothing (pydantic's
        ``model_construct``)."""
        self = cls.__new__(cls)
        for name, spec in cls.model_fields.items():
            self.__dict__[name] = values[name] if name in values else spec.make_default()
        return self

    @classmethod
    def model_validate(cls, values: Mapping[str, Any]):
        return cls(**values)

    def model_copy(self, *, deep: bool = False):
        return copy.deepcopy(self) if deep else copy.copy(self)

    def model_dump(self) -> dict[str, Any]:
        return {name: value.model_dump() if isinstance(value, Section) else copy.deepcopy(value)
                for name, value in self.__dict__.items()}

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, as a pydantic model is

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


_DIGITS = re.compile(r"[0-9]{1,18}")
_BOOL_TEXT = {"0": False, "off": False, "f": False, "false": False, "n": False, "no": False,
              "1": True, "on": True, "t": True, "true": True, "y": True, "yes": True}


class _Refer(Exception):
    """A value the quick check does not settle: pydantic decides it."""


def _plain(annotation: Any, value: Any) -> Any:
    """``value`` as pydantic would validate it for ``annotation``, when that is plain;
    ``_Refer`` otherwise (pydantic then coerces it or says what is wrong)."""
    if isinstance(annotation, type) and issubclass(annotation, Section):
        if type(value) is annotation:
            return value  # an instance is taken as it is (pydantic's revalidate_instances="never")
        if isinstance(value, dict):
            return annotation.model_construct(**_quick(annotation, value))
        return _refer()
    if annotation is int:
        if type(value) is int:
            return value
        if type(value) is str and _DIGITS.fullmatch(value):
            return int(value)
    elif annotation is bool:
        if type(value) is bool:
            return value
        if type(value) is str and value.lower() in _BOOL_TEXT:
            return _BOOL_TEXT[value.lower()]
    elif annotation is str:
        if type(value) is str:
            return value
    elif annotation == (str | None):
        if value is None or type(value) is str:
            return value
    elif annotation == (Path | None):
        if value is None or isinstance(value, Path):
            return value
        if type(value) is str and value:
            return Path(value)
    elif get_origin(annotation) is list:
        (item,) = get_args(annotation)
        if type(value) is list:
            return [_plain(item, v) for v in value]
    elif get_origin(annotation) is dict:
        key, item = get_args(annotation)
        if type(value) is dict:
            return {_plain(key, k): _plain(item, v) for k, v in value.items()}
    return _refer()


def _refer() -> Any:
    raise _Refer


def _validate(cls: type[Section], values: Mapping[str, Any]) -> dict[str, Any]:
    """The validated values of a ``cls``: quickly when every value is plain, else by pydantic."""
    try:
        return _quick(cls, values)
    except (_Refer, TypeError, RecursionError):
        pass
    model = _pydantic_model(cls).model_validate(_as_data(values))  # ValidationError if bad
    return {name: _from_pydantic(spec.annotation, getattr(model, name))
            for name, spec in cls.model_fields.items()}


def _quick(cls: type[Section], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` validated when each is plain (``_plain``); ``_Refer`` at the first that is
    not, the whole table then going to pydantic (so a fault is named from the top)."""
    out = {}
    for name, spec in cls.model_fields.items():
        given = name in values
        value = values[name] if given else spec.make_default()
        if not given and not cls._validate_default:
            out[name] = value
            continue
        if name in cls._before:
            try:
                value = cls._before[name](value)
            except ValueError:
                raise _Refer from None
        value = _plain(spec.annotation, value)
        if (spec.ge is not None and value < spec.ge) or (spec.le is not None and value > spec.le):
            raise _Refer
        out[name] = value
    return out


def _as_data(value: Any) -> Any:
    """Sections given as values (``Settings(sampling=SamplingSettings(...))``) as their
    tables, for pydantic; their values are already valid and validate to themselves."""
    if isinstance(value, Section):
        return {k: _as_data(v) for k, v in value.__dict__.items()}
    if isinstance(value, Mapping):
        return {k: _as_data(v) for k, v in value.items()}
    return value


def _from_pydantic(annotation: Any, value: Any) -> Any:
    section = _model_class(annotation)
    if section is not None and value is not None:
        return section.model_construct(**{n: _from_pydantic(s.annotation, getattr(value, n))
                                          for n, s in section.model_fields.items()})
    return value


def _pydantic_model(cls: type[Section]):
    """The pydantic model declared as ``cls`` is (built once, when first needed)."""
    if cls._pydantic is None:
        from pydantic import ConfigDict, Field, create_model, field_validator

        fields: dict[str, Any] = {}
        for name, spec in cls.model_fields.items():
            section = _model_class(spec.annotation)
            annotation = _pydantic_model(section) if section is not None else spec.annotation
            if section is not None:
                default = {"default_factory": lambda s=spec: _as_data(s.make_default())}
            elif spec.default_factory is not None:
                default = {"default_factory": spec.default_factory}
            else:
                default = {"default": spec.default}
            fields[name] = (annotation, Field(**default, ge=spec.ge, le=spec.le, description=spec.description))
        validators = {f"_before_{name}": field_validator(name, mode="before")(classmethod(
            lambda _cls, v, fn=fn: fn(v))) for name, fn in cls._before.items()}
        cls._pydantic = create_model(
            cls.__name__, __config__=ConfigDict(extra="ignore", validate_default=cls._validate_default),
            __validators__=validators, **fields)
    return cls._pydantic


class SamplingSettings(Section):
    per_worker: int = setting(1, ge=1, description="children drawn per worker")
    exclusion_days: int = setting(28, ge=0, description="a child audited on D is eligible again on D + this")
    tiers: dict[str, int] = setting(
        default_factory=lambda: {"unborn": 1, "cp": 1, "care_leaver": 1, "cla": 2, "cin": 3},
        description="priority tier of each cohort; 1 is drawn first",
    )


class NoteTypeSettings(Section):
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


class WorkflowSettings(Section):
    comment_window_hours: int = 72
    review_after_days: int = 14
    escalation_respond_working_days: int = 1
    auto_refer_head_of_service: bool = True
    reminder_days_before_due: int = 2
    action_due_working_days: int = 10  # default suggestion for a new action's due date
    bank_holiday_region: str = "ENG"


class NotifySettings(Section):
    full_names: bool = False  # notifications name a child by id and initials unless turned on
    apprise_config: Path | None = None  # YAML/text Apprise config with tagged URLs
    max_attempts: int = 8
    retry_minutes: int = 5  # first retry after this; doubles each attempt (exponential backoff)
    # Apprise mail URL without the recipient, e.g. "mailtos://user:pass@smtp.council.gov.uk?from=dipaudit@council.gov.uk";
    # each message adds to=<the person's email>. None: no email channel.
    email_url: str | None = None
    # Send to a person's Teams address (a Power Automate Workflows URL, workflows://...) when they have one.
    teams: bool = True


class SecuritySettings(Section):
    """Who may act as someone else. Identity is the OS login (``core.identity``)."""

    # OS logins allowed to name another person with --user / DIPAUDIT_USER and to move the
    # clock with --now / DIPAUDIT_NOW (a service account, the test suite). Default: nobody.
    act_as: list[str] = setting(default_factory=list, description="OS logins that may act as anyone")

    @staticmethod
    @before("act_as")
    def _logins(v):
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


class SchedulerSettings(Section):
    """The scheduler's watch: when the silence of ``dipaudit tick`` is reported."""

    stale_minutes: int = setting(30, ge=1, description="no delivering tick for this long: say so")
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


class ReportSettings(Section):
    """When the SMT and weekly reports fall due (London wall-clock time) and what they hold."""

    smt_days: list[str] = setting(default_factory=lambda: ["tue", "thu"], description="days the SMT report is sent")
    smt_time: str = "08:00"
    weekly_day: str = "mon"
    weekly_time: str = "08:00"
    week_starts: str = "mon"  # a reporting week runs from this day's midnight for seven days
    trend_weeks: int = setting(8, ge=1, le=104, description="weeks before the reported one in the trend")
    weekly_by_worker: bool = False  # the weekly report stops at team level unless this is on
    scheduled: bool = True  # dipaudit tick sends each report when its slot comes

    @staticmethod
    @before("smt_days")
    def _days(v):
        days = [v] if isinstance(v, str) else list(v)
        out = sorted({_weekday(d) for d in days}, key=WEEKDAYS.index)
        if not out:
            raise ValueError("at least one day")
        return out

    @staticmethod
    @before("weekly_day", "week_starts")
    def _day(v):
        return _weekday(v)

    @staticmethod
    @before("smt_time", "weekly_time")
    def _time(v):
        return _clock_time(v)


class Settings(Section):
    """The settings. ``Settings(**overrides)`` reads the sources (``_sourced``), as a
    pydantic-settings ``BaseSettings`` did (so does ``model_validate``);
    ``model_construct()`` is the bare defaults."""

    _validate_default = True

    council: str = "Example Council Children's Services"
    programme: str = "covid-virtual-oversight"
    sampling: SamplingSettings = SamplingSettings()
    note_types: NoteTypeSettings = NoteTypeSettings()
    workflow: WorkflowSettings = WorkflowSettings()
    notify: NotifySettings = NotifySettings()
    reports: ReportSettings = ReportSettings()
    security: SecuritySettings = SecuritySettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    keys: dict[str, str] = setting(default_factory=dict, description="binding id -> key(s)")

    def __init__(self, **overrides: Any) -> None:
        super().__init__(**_sourced(type(self), overrides))

    def tier_of(self, cohort: str) -> int:
        return self.sampling.tiers.get(cohort, 3)


# -- the sources, as pydantic-settings reads them ---------------------------------------------

def _sourced(cls: type[Section], overrides: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments over ``DIPAUDIT_*`` variables over the TOML file, tables merged
    key by key (a TOML ``[sampling]`` and ``DIPAUDIT_SAMPLING__PER_WORKER`` both count)."""
    toml = _by_field_name(cls, _toml_file(locations.config_file()))  # read first, as pydantic-settings does
    state: dict[str, Any] = {}
    for source in (_by_field_name(cls, overrides), _environment(cls, os.environ), toml):
        state = _deep_update(source, state)
    return state


def _deep_update(mapping: dict[str, Any], updating: dict[str, Any]) -> dict[str, Any]:
    out = mapping.copy()
    for key, value in updating.items():
        if key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _deep_update(out[key], value)
        else:
            out[key] = value
    return out


def _toml_file(path: Path) -> dict[str, Any]:
    """The config file's tables, or nothing when there is no file. TOMLDecodeError,
    PermissionError and RecursionError go up to ``load_settings``."""
    path = Path(path).expanduser()
    if not path.is_file():  # a folder it may not enter raises PermissionError here
        return {}
    import tomllib  # only when there is a file to read

    with path.open("rb") as f:
        return tomllib.load(f)


def _by_field_name(cls: type[Section], given: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level keys matched to field names ignoring case (the first of several wins);
    any other key kept as it is (the model ignores it)."""
    by_lower: dict[str, list[str]] = {}
    for key in given:
        by_lower.setdefault(key.lower(), []).append(key)
    out: dict[str, Any] = {}
    used: set[str] = set()
    for name in cls.model_fields:
        keys = by_lower.get(name.lower(), [])
        if keys:
            out[name] = given[keys[0]]
            used.update(keys)
    out.update({k: v for k, v in given.items() if k not in used})
    return out


def _model_class(annotation: Any) -> type[Section] | None:
    annotation = _optional_inner(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, Section) else None


def _optional_inner(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        args = get_args(annotation)
        if len(args) == 2 and type(None) in args:
            return next(a for a in args if a is not type(None))
    return annotation


def _is_dict(annotation: Any) -> bool:
    origin = get_origin(annotation)
    return annotation is dict or (isinstance(origin, type) and issubclass(origin, dict))


def _complex(annotation: Any) -> tuple[bool, bool]:
    """Whether a value for this type is JSON in the environment, and whether JSON that does
    not parse is let through (any union, e.g. ``list[str] | None``) rather than refused."""
    if get_origin(annotation) in (Union, UnionType):
        return any(_complex(m)[0] for m in get_args(annotation)), True
    return any(_complex_type(t) for t in (annotation, get_origin(annotation))), False


def _complex_type(t: Any) -> bool:
    if not isinstance(t, type) or issubclass(t, (str, bytes)):
        return False
    return issubclass(t, (Section, Mapping, Sequence, AbstractSet, tuple, deque)) or is_dataclass(t)


def _next_field(target: Any, key: str) -> Any:
    """The field (or, inside a table, the value type) that ``key`` names below ``target``."""
    if not target:
        return None
    annotation = target.annotation if isinstance(target, FieldSpec) else target
    origin = get_origin(annotation)
    if isinstance(origin, type) and issubclass(origin, dict):
        args = get_args(annotation)
        return args[-1] if args else None
    for member in get_args(annotation):
        found = _next_field(member, key)
        if found:
            return found
    if isinstance(annotation, type) and issubclass(annotation, Section):
        for name, field in annotation.model_fields.items():
            if name.lower() == key.lower():
                return field
    return None


def _explode(name: str, field: FieldSpec, env: Mapping[str, str]) -> dict[str, Any]:
    """``DIPAUDIT_SAMPLING__TIERS__CP=2`` -> ``{"tiers": {"cp": "2"}}`` for the field
    ``sampling``; a value for a list or table is JSON (ValueError if not)."""
    prefix = f"{ENV_PREFIX}{name}{NESTED}".lower()
    is_dict = _is_dict(field.annotation)
    result: dict[str, Any] = {}
    for env_name, env_val in env.items():
        if not env_name.startswith(prefix):
            continue
        *keys, last = env_name[len(prefix):].split(NESTED)
        node: Any = result
        target: Any = field
        for key in keys:
            target = _next_field(target, key)
            if isinstance(node, dict):
                node = node.setdefault(key, {})
        target = _next_field(target, last)
        if (target or is_dict) and env_val:
            if isinstance(target, FieldSpec):
                is_complex, lenient = _complex(target.annotation)
            elif target:
                is_complex, lenient = _complex(target)[0], True
            else:
                is_complex, lenient = True, True
            if is_complex:
                try:
                    env_val = json.loads(env_val)
                except ValueError:
                    if not lenient:
                        raise
        if isinstance(node, dict):
            node[last] = env_val
    return result


def _field_names(field: FieldSpec | Any, values: dict[str, Any]) -> dict[str, Any]:
    """Keys of a table read from the environment matched to the model's field names ignoring case."""
    model = _model_class(field.annotation if isinstance(field, FieldSpec) else field)
    if model is None:
        return values
    out: dict[str, Any] = {}
    for key, value in values.items():
        match = next(((n, f) for n, f in model.model_fields.items() if n.lower() == key.lower()), None)
        if match is None:
            out[key] = value
        elif _model_class(match[1].annotation) is not None and isinstance(value, dict):
            out[match[0]] = _field_names(match[1], value)
        else:
            out[match[0]] = value
    return out


def _environment(cls: type[Section], environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``DIPAUDIT_*`` variables for ``cls``'s fields (names ignore case)."""
    env = {k.lower(): v for k, v in environ.items()}
    data: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        value: Any = env.get(f"{ENV_PREFIX}{name}".lower())
        try:
            if _complex(field.annotation)[0]:
                if value is None:
                    value = _explode(name, field, env) or None
                else:
                    value = json.loads(value)
                    if isinstance(value, dict):
                        value = _deep_update(value, _explode(name, field, env))
        except ValueError as exc:
            raise SettingsError(f'error parsing value for field "{name}" from source "EnvSettingsSource"') from exc
        if value is not None:
            data[name] = _field_names(field, value) if isinstance(value, dict) else value
    return data


def _is_validation_error(exc: BaseException) -> bool:
    """A pydantic ``ValidationError`` (pydantic is loaded only if a value needed it)."""
    pydantic_core = sys.modules.get("pydantic_core")
    return pydantic_core is not None and isinstance(exc, pydantic_core.ValidationError)


def _is_toml_error(exc: BaseException) -> bool:
    tomllib = sys.modules.get("tomllib")
    return tomllib is not None and isinstance(exc, tomllib.TOMLDecodeError)


def load_settings(**overrides) -> Settings:
    """The settings; a bad config file or ``DIPAUDIT_*`` value is an InputError, one line per fault."""
    path = str(locations.config_file())
    try:
        return Settings(**overrides)
    except RecursionError:  # the TOML parser recurses per level: a file nested thousands deep
        raise InputError(path, "not a config file: lists or tables nested thousands deep") from None
    except PermissionError as exc:  # a config file (or its folder) this login may not read
        raise InputError(path, f"cannot read the config file ({exc.strerror}); set DIPAUDIT_CONFIG"
                         " to one you can read") from exc
    except SettingsError as exc:  # a DIPAUDIT_* list or table that is not JSON
        raise InputError("environment", f"{exc}: a list or table setting is JSON there,"
                         " e.g. DIPAUDIT_SECURITY__ACT_AS='[\"dipaudit\"]'") from exc
    except ValueError as exc:  # tomllib and pydantic load only when needed: their errors are matched here
        if _is_toml_error(exc):
            raise InputError(path, f"not valid TOML: {exc}") from exc
        if not _is_validation_error(exc):
            raise
        faults = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            env = "DIPAUDIT_" + "__".join(str(p) for p in err["loc"]).upper()
            faults.append(Fault(None, where, f"{err['msg']} (got {err.get('input')!r}; set here or in {env})"))
        raise InputError(path, faults) from exc
