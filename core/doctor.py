"""``dipaudit doctor``: what can quietly go wrong with a deployment, checked in one place.

Each check is a line ``ok|warning|fail  what  detail``; ``notify.doctor.run_doctor``
adds the mail and Teams channels (Apprise is notify's) and runs them all. Here: the
database's file modes, the config's ``act_as``, who you are, events written as someone
else by an OS login not in ``act_as``, the outbox's dead messages, the scheduler's last
delivering run and the whole trail.
"""

from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

from .clock import from_iso, show, span
from .context import Context
from .files import GROUP_SHARED, private_mode
from .health import scheduler_health
from .identity import SETTING, is_demo
from .models import Check
from .store import events, outbox, people
from .trail import verify_trail
from .vocabulary import SYSTEM


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def file_checks(db: str | Path) -> list[Check]:
    """The database, its -wal and -shm and its folder: private (0600, or 0660 in a setgid
    group folder); nobody outside the group can read, write or replace them."""
    db = Path(db)
    if not db.exists():
        return [Check(status="fail", what="database", detail=f"no database at {db} (dipaudit init)")]
    folder = db.parent if str(db.parent) else Path(".")
    shared = private_mode(folder) == GROUP_SHARED
    want = "660" if shared else "600"
    out = []
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if not path.exists():
            out.append(Check(status="ok", what=path.name, detail="not there (no connection open)"))
            continue
        m = _mode(path)
        if m & 0o007:
            can = "read and write" if m & 0o006 == 0o006 else "write" if m & 0o002 else "read" if m & 0o004 else "open"
            out.append(Check(status="fail", what=path.name, detail=f"mode {m:04o}: every local user can {can} it"
                             f" (children's records); chmod {want} {path}"))
        elif m & 0o070 and not shared:
            out.append(Check(status="warning", what=path.name, detail=f"mode {m:04o}: its group may open it but"
                             f" {folder} is not a setgid group folder (README, deployment); chmod 600 {path}"))
        elif shared and m & 0o060 != 0o060:
            out.append(Check(status="warning", what=path.name, detail=f"mode {m:04o} in a group folder: the"
                             f" others in group {_group(os.stat(path).st_gid)} cannot write it; chmod 660 {path}"))
        else:
            out.append(Check(status="ok", what=path.name, detail=f"mode {m:04o}, group {_group(os.stat(path).st_gid)}"))
    fm, st = _mode(folder), os.stat(folder)
    if fm & 0o002 and not fm & stat.S_ISVTX:
        out.append(Check(status="fail", what="folder", detail=f"{folder}: mode {fm:04o}: anyone can replace the"
                         " database in it; chmod o-rwx"))
    elif fm & 0o007:
        fix = ("a folder everyone shares: give the database a folder of its own (README, deployment)"
               if fm & stat.S_ISVTX else "chmod o-rwx")
        out.append(Check(status="warning", what="folder", detail=f"{folder}: mode {fm:04o}: every local user can"
                         f" see what is in it; {fix}"))
    else:
        kind = "setgid group folder" if shared else "private"
        out.append(Check(status="ok", what="folder", detail=f"{folder}: mode {fm:04o}, group {_group(st.st_gid)}"
                         f" ({kind})"))
    return out


def _act_as(ctx: Context) -> Check:
    listed = ctx.settings.security.act_as
    if not listed:
        return Check(status="ok", what="act_as", detail="nobody may act as another person or move the clock")
    people_too = []
    for login in listed:
        person = people.login_of_os_login(ctx.store, login)
        held = people.get(ctx.store, person)["roles"] if person else []
        if held:
            people_too.append(f"{login} (the OS login of {person}: {', '.join(held)})")
    if people_too:
        return Check(status="warning", what="act_as", detail="lists people who may then act as anyone: "
                     + "; ".join(people_too) + "; list service accounts only")
    return Check(status="ok", what="act_as", detail="may act as anyone: " + ", ".join(listed))


def _identity(ctx: Context) -> Check:
    person = people.get(ctx.store, ctx.user)
    if person:
        roles = ", ".join(person["roles"]) or "no roles"
        left = "" if person.get("active", 1) else " (left)"
        return Check(status="ok", what="you", detail=f"OS login {ctx.os_login} acts as {ctx.user}{left}: {roles}")
    return Check(status="ok", what="you", detail=f"OS login {ctx.os_login}, not in the people directory (no roles)")


def _acted_as(ctx: Context) -> Check:
    if is_demo(ctx.store):
        return Check(status="ok", what="acting as", detail="a demo database: anyone may act as anyone")
    allowed = set(ctx.settings.security.act_as)
    odd = [r for r in events.acted_as(ctx.store, system=SYSTEM) if r["os_login"] not in allowed]
    if not odd:
        return Check(status="ok", what="acting as", detail="no event was written as someone else by an OS login"
                     " outside act_as")
    shown = "; ".join(f"{r['os_login']} as {r['actor']} ({r['events']} event{'' if r['events'] == 1 else 's'},"
                      f" last {show(r['last_at'])})" for r in odd[:5])
    more = f"; and {len(odd) - 5} more" if len(odd) > 5 else ""
    return Check(status="warning", what="acting as", detail=f"events written as someone else by OS logins not in"
                 f" {SETTING}: {shown}{more} (dipaudit log)")


def _scheduler(ctx: Context) -> Check:
    h = scheduler_health(ctx)
    if h.demo:
        return Check(status="ok", what="scheduler", detail="a demo database: nobody to alert, not watched")
    if h.stale:
        return Check(status="fail", what="scheduler", detail=f"{h.message}; run dipaudit tick from cron or a"
                     " systemd timer (README, deployment)")
    ago = span((ctx.now() - from_iso(h.last_delivered_at)).total_seconds())
    return Check(status="ok", what="scheduler", detail=f"last delivering tick {show(h.last_delivered_at)}"
                 f" ({ago} ago; stale after {h.stale_minutes} minutes)")


def _outbox(ctx: Context) -> Check:
    dead = outbox.count_status(ctx.store, "dead")
    if dead:
        return Check(status="warning", what="outbox", detail=f"{dead} messages given up on"
                     " (dipaudit notify outbox --status dead)")
    return Check(status="ok", what="outbox", detail="no message given up on")


def _trail(ctx: Context) -> Check:
    v = verify_trail(ctx)
    if not v.intact:
        return Check(status="fail", what="trail", detail=f"broken at event {v.first_broken}: {v.problem}")
    return Check(status="ok", what="trail", detail=f"intact: {v.events} events"
                 + (f", newest {v.head}" if v.head else ""))


def checks(ctx: Context) -> list[Check]:
    """Every check that needs the open database, in the order they are shown."""
    return [_act_as(ctx), _identity(ctx), _acted_as(ctx), _scheduler(ctx), _outbox(ctx), _trail(ctx)]
