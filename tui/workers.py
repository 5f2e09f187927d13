"""The one way a screen calls core: a service in a thread worker, its result as a message.

sqlite-utils is synchronous, so every core call runs off the main thread. The worker
only calls the service and posts a message; it never touches a widget or the screen's
state. The screen's handler for that message changes what is shown::

    from ..messages import QueueLoaded
    from ..workers import run_service

    def refresh_data(self) -> None:
        run_service(self, list_queue, include_done=self.include_done, done=QueueLoaded)

    def on_queue_loaded(self, message: QueueLoaded) -> None:
        self.items = message.items
        self.refill()

A failure posts ``ServiceFailed(request, error, title)`` instead, which bubbles: the
screen may handle one it expects (and ``stop()`` it); the App shows the rest, a
``DipauditError`` as a toast and anything else in the error modal (``DipauditApp.
report_exception``). A result that arrives after a newer request of the same kind
replaced it (``exclusive``) is dropped, never shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, get_current_worker

from .messages import ServiceFailed

T = TypeVar("T")


def run_service(
    node: DOMNode,
    service: Callable[..., T],
    *args: Any,
    done: Callable[[T], Message],
    request: str | None = None,
    exclusive: bool = True,
    title: str = "Not done",
    **kwargs: Any,
) -> Worker[None]:
    """Call ``service(ctx, *args, **kwargs)`` in a thread worker and post ``done(result)``
    to ``node`` (the screen or widget asking), or ``ServiceFailed`` if it raised.

    ``request`` names the call (the worker's name and group; default: the service's
    name); with ``exclusive`` a new request cancels an older one of the same name on
    the same node, whose result is then never posted. ``title`` heads the toast of a
    refusal. The keyword names ``done``, ``request``, ``exclusive`` and ``title`` are
    this function's; every other keyword goes to the service."""
    ctx = node.app.ctx  # read here, on the main thread
    name = request or getattr(service, "__name__", "service")

    def work() -> None:
        worker = get_current_worker()
        try:
            message = done(service(ctx, *args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - every failure reaches the auditor as a message
            message = ServiceFailed(name, exc, title)
        if not worker.is_cancelled:
            node.post_message(message)

    return node.run_worker(work, name=name, group=name, thread=True, exclusive=exclusive,
                           exit_on_error=False)
