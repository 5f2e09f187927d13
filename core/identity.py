"""Who is acting: the OS login, mapped to a person by the people directory's ``os_login``.

The rule (design.md "Trust model"), applied once where a command builds its context:

- The acting user is the person whose ``os_login`` (blank: their login) is the OS
  login this process runs as (``core.context.os_login``: the effective uid, never an
  environment variable). Nobody maps to it: the OS login itself, which holds no
  roles (before a people directory exists, that is who the first import is by).
- Naming anyone else (``--user`` / ``DIPAUDIT_USER``) and moving the clock
  (``--now`` / ``DIPAUDIT_NOW``) are for the OS logins in ``[security] act_as``
  (``DIPAUDIT_SECURITY__ACT_AS``) and for a database built by ``dipaudit demo``
  (fictional people only). Otherwise: a one-line ``PermissionDenied`` naming the OS
  login and the setting.
- The scheduler applies the rules as ``system`` whoever runs it, so ``dipaudit tick``
  needs no ``--user``; ``--user system`` is accepted there (and only there).

Every event records both the acting person (``actor``) and the OS login.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .errors import PermissionDenied, StateError
from .store import Reader, events, meta, people
from .vocabulary import SYSTEM

DEMO_KEY = "demo"  # the meta row core.demo writes when it has built a demo database
SETTING = "[security] act_as (DIPAUDIT_SECURITY__ACT_AS)"


@dataclass(frozen=True, kw_only=True)
class Identity:
    """Who a command acts as, and on what authority (a plain class: building a pydantic
    model here would load pydantic for every command)."""

    os_login: str
    user: str  # the login every change is recorded as (actor)
    own: str  # who this OS login is: the mapped person's login, else the OS login
    acting_as: bool = False  # user is someone else
    clock_moved: bool = False  # --now
    authority: str | None = None  # "act_as" | "demo" when acting as someone else or moving the clock


def is_demo(r: Reader | None) -> bool:
    """Whether the database was built by ``dipaudit demo`` (fictional people only): its
    marker, and the trail's record of the build (a marker written into a live database
    with ``sqlite3`` alone opens nothing; one with a forged event breaks the chain)."""
    return r is not None and meta.get(r, DEMO_KEY) is not None and events.demo_built(r)


def own_login(r: Reader | None, os_login: str) -> str:
    """The login of the person whose OS login ``os_login`` is, else ``os_login`` itself.
    Refused when ``os_login`` is another person's login (that person logs in as someone
    else): running as them would take their roles."""
    if r is None:
        return os_login
    mapped = people.login_of_os_login(r, os_login)
    if mapped:
        return mapped
    other = people.os_login_of(r, os_login)
    if other is not None:
        raise PermissionDenied(
            f"OS login {os_login} is not the person {os_login} in the people directory (their OS login"
            f" is {other}); an admin sets your os_login in the people import")
    return os_login


def establish(r: Reader | None, settings: Settings, *, os_login: str, user: str | None = None,
              moves_clock: bool = False, scheduler: bool = False) -> Identity:
    """The identity a command runs with (``r``: the database, None before it exists), or a
    one-line PermissionDenied. ``user``: the login asked for (--user); ``moves_clock``:
    --now was given; ``scheduler``: the command is the scheduler (``dipaudit tick``)."""
    own = own_login(r, os_login)
    wanted = (user or "").strip() or own
    acting_as = wanted != own and not (scheduler and wanted == SYSTEM)
    authority = None
    if acting_as or moves_clock:
        if os_login in settings.security.act_as:
            authority = "act_as"
        elif is_demo(r):
            authority = "demo"
        elif acting_as:
            raise PermissionDenied(
                f"OS login {os_login} may not act as {wanted} (--user / DIPAUDIT_USER): only the OS logins"
                f" in {SETTING} may, or anyone on a demo database; you act as {own}")
        else:
            raise PermissionDenied(
                f"OS login {os_login} may not move the clock (--now / DIPAUDIT_NOW) on a live database:"
                f" only the OS logins in {SETTING} may, or anyone on a demo database")
    return Identity(os_login=os_login, user=wanted, own=own, acting_as=acting_as, clock_moved=moves_clock,
                    authority=authority)


def refuse_import_into_demo(r: Reader, doing: str) -> None:
    """A demo database holds fictional people only (that is why anyone may act as anyone
    there): real files are never imported into one."""
    if is_demo(r):
        raise StateError(f"this is a demo database (fictional people only); {doing} into a database of"
                         " its own (dipaudit --db PATH init)")
