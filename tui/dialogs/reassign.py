"""Reassigning work (a queue item, an action) from the TUI: who it may go to, and the
prompt asking for them. The change itself is core's (``core.queue.reassign``,
``core.actions.reassign``: admins only; the person must still be here and hold the role),
called by the screen through ``tui.workers.run_service``."""

from __future__ import annotations

from core.context import Context

from .text_prompt import TextPrompt

SHOWN_CHOICES = 8  # colleagues named in the prompt; any other login may be typed


def reassign_choices(ctx: Context, role: str, *, doing: str) -> list[tuple[str, str]]:
    """``[(login, name)]`` of the active people holding ``role``: whom an admin may give
    the work to. Refused (core's words) for anyone but an admin, before they type."""
    from core.people import list_people, require_role  # pydantic: not for the queue's first screen

    require_role(ctx, "admin", doing=doing)
    return [(p.login, p.name) for p in list_people(ctx) if p.active and role in p.roles]


def reassign_prompt(title: str, role_label: str, choices: list[tuple[str, str]],
                    current: str | None) -> TextPrompt:
    """Ask for the new holder's login, naming who is still here with the role."""
    others = [(login, name) for login, name in choices if login != current]
    named = ", ".join(f"{login} ({name})" if name and name != login else login
                      for login, name in others[:SHOWN_CHOICES])
    if len(others) > SHOWN_CHOICES:
        named += f", and {len(others) - SHOWN_CHOICES} more"
    label = f"Login of the {role_label}: {named}" if named else f"Nobody else is a {role_label}."
    return TextPrompt(title, label, placeholder="login")
