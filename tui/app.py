"""The Textual application: a thin shell. Screens live in ``tui/screens/``, one per
module, dialogs in ``tui/dialogs/``, shared widgets in ``tui/widgets/``.

Peer screens are modes (queue, comments, escalations, actions, reports), each screen built
and imported when first opened; the app starts in the queue's. The audit checklist is
pushed on top of the queue. Screens call core through ``tui.workers.run_service`` (a
thread worker posting a message from ``tui.messages``); every failure that reaches
the App is shown here, one way (``report_exception``).
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import threading
from collections.abc import Callable, Iterable
from importlib import import_module

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from core.context import Context

from .commands import ScreenCommands
from .compat import KeysAhead, draws_only_widgets_in_updates
from .messages import DataChanged, SchedulerChecked, ServiceFailed
from .screens.base import DataScreen
from .workers import run_service

# After a hang-up, how long closing may take beyond the database's busy timeout before
# the process ends itself (see DipauditApp._hang_up).
HANGUP_GRACE_SECONDS = 10.0


def _screen(path: str) -> Callable[[], Screen]:
    """A mode's screen, imported when first opened (``module:Class``): startup stays fast."""

    def build() -> Screen:
        module, name = path.split(":")
        return getattr(import_module(module), name)()

    return build


class DipauditApp(App[None]):
    TITLE = "dipaudit"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {ScreenCommands}

    # The queue is the first screen: the mode the app starts in. Switched to from Textual's
    # blank default screen, it cost a second re-styling of the whole app (every stylesheet
    # parsed again) and a second read of the queue before the first frame.
    DEFAULT_MODE = "queue"
    MODES = {
        "queue": _screen("tui.screens.queue:QueueScreen"),
        "comments": _screen("tui.screens.comments:CommentsScreen"),
        "escalations": _screen("tui.screens.escalations:EscalationsScreen"),
        "actions": _screen("tui.screens.actions:ActionsScreen"),
        "reports": _screen("tui.screens.reports:ReportsScreen"),
    }
    # Screen names and the keys that reach them (F-keys and digits survive SSH and tmux).
    SCREENS_NAV = [
        ("queue", "Sample queue", "1", "f2"),
        ("comments", "Comment review", "2", "f3"),
        ("escalations", "Escalations", "3", "f4"),
        ("actions", "Action review", "4", "f5"),
        ("reports", "Reports", "5", "f6"),
    ]

    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", id="help"),
        Binding("ctrl+p", "command_palette", "Commands", id="palette", show=False),
        Binding("q", "quit", "Quit", id="quit"),
    ] + [
        Binding(f"{digit},{fkey}", f"switch_mode('{mode}')", title, id=f"go_{mode}", show=False)
        for mode, title, digit, fkey in SCREENS_NAV
    ]

    def __init__(self, ctx: Context, *, tick_seconds: float | None = 60.0, **kwargs):
        super().__init__(**kwargs)
        draws_only_widgets_in_updates()  # a key redraws only the widgets it changed (tui/compat.py)
        self.ctx = ctx
        self.tick_seconds = tick_seconds
        self.tick_timer = None
        self.keys_ahead = KeysAhead(self)
        self.scheduler_health = None  # what core.health.scheduler_health last said (the banner)
        self.sub_title = f"{ctx.user} · {ctx.store.path}"
        keymap = dict(ctx.settings.keys)
        if keymap:
            self.set_keymap(keymap)
        self._collector_resumes: bool | None = None  # paused while starting (on_load)

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self._exit_on_hangup()
        self.check_scheduler()
        if self.tick_seconds:
            # The scheduler's tick on a timer, so open screens stay current (issue 4).
            self.tick_timer = self.set_interval(self.tick_seconds, self.run_tick, name="tick")

    def _say_unknown_keys(self) -> None:
        """A ``[keys]`` id that names no binding would remap nothing, silently: say so."""
        from .keymap import unknown_ids

        unknown = unknown_ids(self.ctx.settings.keys)
        if unknown:
            self.notify(f"[keys] names no key binding: {', '.join(unknown)} (README lists the ids);"
                        " those keys are as they were", title="Keymap", severity="warning", timeout=12)

    def on_load(self) -> None:
        # Start-up makes a great many objects and no garbage worth collecting: the cyclic
        # collector is paused until the first screen shows its rows (``first_screen_shown``).
        self._collector_resumes = gc.isenabled()
        gc.disable()

    def first_screen_shown(self) -> None:
        """The first screen has drawn its rows (the queue says so; a failed read, or the app
        closing first, does too): the collector resumes, past everything alive now.

        It was paused when the app started running (``on_load``; measured: 80-130 ms of
        collections before the first rows showed, bench/bench_tui.py's session child).
        What start-up made lives as long as the app does (Textual, the screen, its rows),
        so it is frozen out of the collector's way (``gc.freeze``; measured full-GC pauses
        of 40-200 ms while scrolling otherwise)."""
        if self._collector_resumes is None:
            return
        gc.freeze()
        if self._collector_resumes:
            gc.enable()
        self._collector_resumes = None
        if self.ctx.settings.keys and self.is_running:
            self.call_later(self._say_unknown_keys)  # it imports every screen: after the first rows

    def on_unmount(self) -> None:
        self.first_screen_shown()  # never leave the collector paused

    def _exit_on_hangup(self) -> None:
        """A dropped SSH session sends SIGHUP: close the app properly instead of dying,
        so open screens get their unmount and the checklist writes what was typed."""
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._hang_up)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (tests) or no SIGHUP on this platform

    def _hang_up(self) -> None:
        """Close as on quit. Closing writes to the terminal, which is gone, and that can
        wedge Textual's shutdown for good (seen under load: the output thread's queue
        full, the process asleep forever with the database open). The screens' unmount
        saves come first in the shutdown; so if the process is still here a grace time
        after the longest such save can take, it ends (exit status 128 + SIGHUP)."""
        grace = self.ctx.store.busy_timeout_ms / 1000 + HANGUP_GRACE_SECONDS
        watchdog = threading.Timer(grace, os._exit, args=(128 + signal.SIGHUP,))
        watchdog.daemon = True
        watchdog.start()
        self.exit()

    def run_tick(self) -> None:
        """Run the scheduler once in a thread, then ask the active screen to re-read its rows."""
        if not any(w.group == "tick" and w.is_running for w in self.workers):
            self._tick()  # a slow tick is left to finish, not doubled

    @work(thread=True, group="tick", exit_on_error=False)
    def _tick(self) -> None:
        from notify.scheduler import run_scheduler

        try:
            # The same path as `dipaudit tick`, without sending: the service account that
            # runs `dipaudit tick` holds the mail credentials, an auditor's session does not.
            run_scheduler(self.ctx, deliver=False)
        except Exception as exc:  # a failed tick is shown once, never a traceback
            message = str(exc) or type(exc).__name__
            if message != getattr(self, "_last_tick_error", None):
                self._last_tick_error = message
                self.call_from_thread(self.show_error, message, "Scheduler tick failed")
            return
        self._last_tick_error = None
        self.call_from_thread(self._after_tick)

    def _after_tick(self) -> None:
        """Tell the active screen its data may have changed (a ``DataScreen`` reads again)."""
        self.screen.post_message(DataChanged())
        self.check_scheduler()

    def check_scheduler(self) -> None:
        """Whether alerts are going out (``core.health.scheduler_health``), read in a
        worker: the banner of the active screen says so while they are not."""
        from core.health import scheduler_health

        run_service(self, scheduler_health, done=SchedulerChecked)

    def on_scheduler_checked(self, message: SchedulerChecked) -> None:
        self.scheduler_health = message.health
        if isinstance(self.screen, DataScreen):
            self.screen.show_scheduler_health(message.health)

    async def on_event(self, event: events.Event) -> None:
        # Keys typed ahead of a focus change follow the focus (see tui.compat).
        if isinstance(event, events.Key) and await self.keys_ahead.handle(event):
            return
        await super().on_event(event)

    def action_help(self) -> None:
        from .dialogs.help import HelpScreen  # Markdown loads when first needed: startup stays fast

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, title, digit, _fkey in self.SCREENS_NAV:
            yield SystemCommand(f"Go to {title}", f"Open the {title} screen (key {digit})",
                                lambda m=mode: self.switch_mode(m))

    def show_error(self, message: str, title: str = "Not done") -> None:
        """Errors reach the auditor as a toast, never a traceback."""
        self.notify(message, title=title, severity="error", timeout=8)

    def report_exception(self, exc: BaseException | None, title: str = "Not done") -> None:
        """A failure, on the main thread: a refusal the auditor can act on
        (``DipauditError``) is a toast; anything unexpected is a modal, never a traceback."""
        from core.errors import DipauditError

        from .dialogs.error import ErrorScreen

        if isinstance(exc, DipauditError):
            self.show_error(str(exc), title)
            return
        self.log.error("unexpected failure", exc)
        self.push_screen(ErrorScreen(
            "Something went wrong",
            f"{type(exc).__name__}: {exc}",
            "Nothing half-done was saved. Try again; if it keeps happening, tell your admin.",
        ))

    def on_service_failed(self, message: ServiceFailed) -> None:
        """A service a screen called (``tui.workers.run_service``) failed, and the screen
        left it to the App."""
        self.first_screen_shown()  # the first read may be what failed: it shows no rows
        self.report_exception(message.error, message.title)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that raised (one not started through ``run_service``): shown the same way."""
        if event.state == WorkerState.ERROR:
            self.report_exception(event.worker.error)


def create_app(ctx: Context, **kwargs) -> DipauditApp:
    """The one app factory, used by the CLI and the tests."""
    return DipauditApp(ctx, **kwargs)
