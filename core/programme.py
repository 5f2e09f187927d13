"""Programmes of practice standards are data: a TOML file a council can edit or replace.

A programme file has three parts::

    [programme]            id, title, version, description (optional)
    [parameters]           virtual_practice_start, oversight_deadline, oversight_interval_days
    [[standards]]          id, title, guidance, precheck (optional)

The packaged default is ``core/programmes/<id>.toml``; a council's own file of the
same id in ``core.locations.programmes_dir()`` wins. Each audit stores a snapshot
of the programme it used, so editing a programme never changes an existing audit.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from . import locations
from .config import Settings
from .errors import Fault, InputError, NotFound, validation_faults

# The pre-checks dipaudit knows how to compute from case-note history (core.prechecks).
PRECHECKS = ("covid_note", "virtual_contact", "oversight_current", "oversight_virtual")


class _Strict(BaseModel):
    model_config = {"extra": "forbid"}


class Standard(_Strict):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    title: str = Field(min_length=1)
    guidance: str = ""
    precheck: str | None = None

    @field_validator("precheck")
    @classmethod
    def _known_precheck(cls, v: str | None) -> str | None:
        if v is not None and v not in PRECHECKS:
            raise ValueError(f"unknown precheck '{v}'; known: {', '.join(PRECHECKS)}")
        return v


class Parameters(_Strict):
    virtual_practice_start: date
    oversight_deadline: date
    oversight_interval_days: int = Field(28, ge=1)


class Programme(BaseModel):
    """A programme as used by an audit (also the JSON snapshot stored with it)."""

    id: str
    title: str
    version: str
    description: str = ""
    parameters: Parameters
    standards: list[Standard]

    def standard(self, standard_id: str) -> Standard | None:
        return next((s for s in self.standards if s.id == standard_id), None)

    @property
    def standard_ids(self) -> list[str]:
        return [s.id for s in self.standards]


class _Header(_Strict):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    title: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = ""

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v


class _ProgrammeFile(_Strict):
    programme: _Header
    parameters: Parameters
    standards: list[Standard] = Field(min_length=1)


def programme_from_data(data: dict, source: str) -> Programme:
    """Validate parsed TOML; every fault is named by its key path. Raises InputError."""
    try:
        parsed = _ProgrammeFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(source, validation_faults(exc)) from None
    seen: dict[str, int] = {}
    faults = []
    for i, s in enumerate(parsed.standards, start=1):
        if s.id in seen:
            faults.append(Fault(None, f"standards[{i}].id",
                                f"duplicate standard id '{s.id}' (also standards[{seen[s.id]}])"))
        seen.setdefault(s.id, i)
    p = parsed.parameters
    if p.oversight_deadline < p.virtual_practice_start:
        faults.append(Fault(None, "parameters.oversight_deadline",
                            "is before parameters.virtual_practice_start"))
    if faults:
        raise InputError(source, faults)
    h = parsed.programme
    return Programme(id=h.id, title=h.title, version=h.version, description=h.description,
                     parameters=parsed.parameters, standards=parsed.standards)


def toml_fault(exc: tomllib.TOMLDecodeError) -> Fault:
    """A TOML syntax error as a Fault on its line."""
    # Python 3.11 puts the position in the message: "... (at line 4, column 9)".
    msg = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    row = int(m.group(1)) if m else None
    msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
    column = f"character {m.group(2)}" if m else None
    return Fault(row, column, f"not valid TOML: {msg}")


def parse_programme(text: str, source: str) -> Programme:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, toml_fault(exc)) from None
    return programme_from_data(data, source)


def check_programme_file(path: str | Path) -> Programme:
    """Load and validate a programme file; InputError names the file and the key at fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read: {exc}") from None
    return parse_programme(text, str(path))


def programme_source(programme_id: str) -> str:
    """Where a programme comes from: the council's override, else the packaged file."""
    override = locations.programmes_dir() / f"{programme_id}.toml"
    if override.is_file():
        return str(override)
    packaged = resources.files("core") / "programmes" / f"{programme_id}.toml"
    if packaged.is_file():
        return str(packaged)
    raise NotFound(f"no programme {programme_id!r} (looked in {locations.programmes_dir()} and the packaged programmes)")


# Programmes read, by (file, modification time, size): a file is parsed once per process
# until it changes (a TUI starting audit after audit reads the TOML once).
_LOADED: dict[tuple[str, int, int], Programme] = {}


def load_programme(settings: Settings, programme_id: str | None = None) -> Programme:
    """The programme in use: ``programme_id`` or ``settings.programme``; a council's file wins."""
    pid = programme_id or settings.programme
    source = programme_source(pid)
    try:
        st = Path(source).stat()
    except OSError:
        return check_programme_file(source)  # says what is wrong with it
    key = (source, st.st_mtime_ns, st.st_size)
    if key not in _LOADED:
        if len(_LOADED) > 32:
            _LOADED.clear()
        _LOADED[key] = check_programme_file(source)
    return _LOADED[key].model_copy(deep=True)
