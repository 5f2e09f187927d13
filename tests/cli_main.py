"""Run ``dipaudit`` in-process through ``tui.cli.main`` (its one-line error handling and
exit statuses, exactly as the installed script), optionally as another OS login.

    r = run_main(["--db", str(db), "queue", "--json"], login="mallory")
    assert r.code == 3 and r.err.count("\\n") == 1
"""

from __future__ import annotations

import json
import os
import pwd
import sys
from dataclasses import dataclass
from unittest import mock

from click.testing import CliRunner

import tui.cli
from tui.cli import main


@dataclass
class Ran:
    code: int
    out: str
    err: str
    exception: BaseException | None = None  # anything main() let escape (a traceback)


def run_main(args: list[str], *, login: str | None = None, env: dict | None = None) -> Ran:
    """``login``: the OS login the command believes it runs as (``tui.cli.os_login``)."""
    runner = CliRunner()
    patches = [mock.patch.object(sys, "argv", ["dipaudit", *args])]
    if login is not None:
        patches.append(mock.patch.object(tui.cli, "os_login", lambda: login))
    escaped = None
    with runner.isolation(env=env) as streams:
        for p in patches:
            p.start()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:  # noqa: BLE001 - a traceback is what the tests look for
            code, escaped = -1, exc
        finally:
            for p in reversed(patches):
                p.stop()
        out, err = streams[0].getvalue().decode(), streams[1].getvalue().decode()
    return Ran(code, out, err, escaped)


def as_os_user(name: str, fn) -> tuple[int, str]:
    """Run ``fn()`` (returning (code, text)) in a forked child that has really become the OS
    user ``name`` (setgid, setuid): not a patched login. The child needs no file outside what
    the parent has already imported."""
    entry = pwd.getpwnam(name)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
            try:
                code, text = fn()
            except BaseException as exc:  # noqa: BLE001 - reported to the parent as a failure
                code, text = -1, repr(exc)
            os.write(write, json.dumps([code, text]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    code, text = json.loads(data)
    return code, text
