"""Drive the real ``dipaudit`` in a real terminal (tmux), as a user over SSH would.

How a test uses it::

    import pytest
    from tmux_driver import Tmux, requires_tmux

    pytestmark = [pytest.mark.tmux, requires_tmux]

    def test_user_claims(db_path, ...):                     # seed db_path first (tui_helpers)
        with Tmux.dipaudit(db_path, user="auditor1", now="2020-04-27T10:00") as term:
            term.wait_for("Sample queue")                    # polls capture-pane; no sleeps
            term.press("c")                                  # tmux key names: Enter, Tab, Escape, C-r, F1
            term.type("Team A")                              # literal text
            term.wait_for("claimed")
            screen = term.capture()                          # the visible pane as text
            assert eventually(lambda: row_written(db_path))  # the database, polled with a ceiling
            term.press("q"); term.wait_exit()                # the program ended by itself

Every session has a unique name and is killed on exit (also when the test fails);
``wait_for`` raises AssertionError with the last screen when the text never shows.
The app runs with TEXTUAL_ANIMATIONS=none at 120x40 unless ``size`` says otherwise.
Tests are skipped where tmux is not installed (``requires_tmux``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
requires_tmux = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
SOCKET = "dipaudit-tests"
DIPAUDIT = Path(sys.executable).parent / "dipaudit"  # the venv running the tests
# Every wait is a ceiling, never an expected duration: a loaded machine (CI, two CPU hogs
# beside ``pytest -n 2``) starts the app and answers keys slower, never differently.
DEADLINE = 30.0


def eventually(check, timeout: float = DEADLINE):
    """Poll ``check`` (e.g. a database read) until it returns something truthy, and return
    that; after ``timeout`` (a ceiling, not an expected time) return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


class Tmux:
    """One detached tmux session running one command."""

    def __init__(self, command: str, *, size: tuple[int, int] = (120, 40), env: dict | None = None,
                 socket: str = SOCKET):
        self.name = f"dipaudit-test-{uuid.uuid4().hex[:10]}"
        self.socket = socket  # a server of its own for a test that kills the server
        self.size = size
        self.command = command
        self.env = {**os.environ, "TEXTUAL_ANIMATIONS": "none", "TERM": "xterm-256color", **(env or {})}
        self.env.pop("TMUX", None)  # start our own server session even when run inside tmux

    @classmethod
    def dipaudit(cls, db: Path, *, user: str, now: str | None = None, args: str = "",
                 size: tuple[int, int] = (120, 40), env: dict | None = None, socket: str = SOCKET) -> Tmux:
        """A session running ``dipaudit --db DB --user USER [--now NOW] [ARGS]``."""
        # Given on the command line: a tmux server started earlier (another test, another run)
        # hands its panes its own environment, which may lack the suite's act_as.
        act_as = os.environ.get("DIPAUDIT_SECURITY__ACT_AS")
        cmd = f"DIPAUDIT_SECURITY__ACT_AS={shlex.quote(act_as)} " if act_as is not None else ""
        cmd += f"{shlex.quote(str(DIPAUDIT))} --db {shlex.quote(str(db))} --user {shlex.quote(user)}"
        if now:
            cmd += f" --now {shlex.quote(now)}"
        if args:
            cmd += " " + args
        return cls(cmd, size=size, env=env, socket=socket)

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> Tmux:
        width, height = self.size
        # The pane is sized first (a placeholder command holds it), then the program is
        # started in it: it sees WxH from its first frame, whatever size tmux would pick
        # for a detached session. window-size manual is set on this window only.
        # remain-on-exit keeps the pane after a crash, so its traceback can be captured.
        target = f"{self.name}:0"
        args = ("new-session", "-d", "-x", str(width), "-y", str(height), "-s", self.name, "sleep 600",
                ";", "set-option", "-w", "-t", target, "window-size", "manual",
                ";", "resize-window", "-t", target, "-x", str(width), "-y", str(height),
                ";", "set-option", "-w", "-t", target, "remain-on-exit", "on",
                ";", "respawn-pane", "-k", "-t", target, self.command)
        # When the last session was just killed, the server may still be exiting ("server
        # exited unexpectedly"): a new session then fails once; the next attempt starts a fresh server.
        for _attempt in range(5):
            if self._tmux(*args, check=False).returncode == 0:
                return self
            self.kill()
        self._tmux(*args)  # the last try raises with tmux's own message
        return self

    def kill(self) -> None:
        self._tmux("kill-session", "-t", self.name, check=False)

    def kill_server(self) -> None:
        """``tmux kill-server``: every session of this server at once (only for a Tmux made
        with a ``socket`` of its own: the shared one serves the other tests running)."""
        assert self.socket != SOCKET, "kill_server needs a socket of its own"
        self._tmux("kill-server", check=False)

    def __enter__(self) -> Tmux:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.kill()

    # -- input -------------------------------------------------------------
    def press(self, *keys: str) -> None:
        """Send tmux key names (``Enter``, ``Tab``, ``Escape``, ``Space``, ``C-r``, ``F1``, ``d``)."""
        for key in keys:
            self._tmux("send-keys", "-t", self.name, key)

    def type(self, text: str) -> None:
        """Send literal text (no key-name lookup)."""
        self._tmux("send-keys", "-t", self.name, "-l", text)

    # -- output ------------------------------------------------------------
    def capture(self) -> str:
        """The visible pane as plain text."""
        return self._tmux("capture-pane", "-p", "-t", self.name).stdout

    def wait_for(self, text: str | re.Pattern, timeout: float = DEADLINE, *, gone: bool = False) -> str:
        """Poll the pane until ``text`` (a string or regex) appears (or, with ``gone``, disappears).

        Returns the screen. A timeout is a generous ceiling, never an expected duration."""
        deadline = time.monotonic() + timeout
        screen = ""
        while True:
            screen = self.capture()
            found = (text.search(screen) is not None) if isinstance(text, re.Pattern) else text in screen
            if found != gone:
                return screen
            if time.monotonic() > deadline:
                what = "still shown" if gone else "never shown"
                raise AssertionError(f"{text!r} {what} within {timeout}s; screen was:\n{screen}")
            time.sleep(0.05)

    def wait_exit(self, timeout: float = DEADLINE) -> None:
        """Poll until the program in the pane has exited (e.g. after ``q``)."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                raise AssertionError(f"still running after {timeout}s; screen was:\n{self.capture()}")
            time.sleep(0.05)

    def pid(self) -> int:
        """The process id of the program in the pane."""
        return int(self._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").stdout)

    def alive(self) -> bool:
        out = self._tmux("list-panes", "-t", self.name, "-F", "#{pane_dead}", check=False)
        return out.returncode == 0 and out.stdout.strip() == "0"

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # A private server socket: never touches the user's own tmux sessions.
        return subprocess.run([TMUX, "-L", self.socket, *args], env=self.env, capture_output=True,
                              text=True, check=check)
