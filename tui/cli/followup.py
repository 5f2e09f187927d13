"""CLI commands (followup). Thin: parse, call one core service, print."""

from __future__ import annotations

from . import cli  # noqa: F401
