"""Errors a user can act on. Each renders as one line (or one line per fault)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class DipauditError(Exception):
    """A refusal or failure with a message meant for the person at the keyboard."""

    exit_code = 1


class NotFound(DipauditError):
    pass


class PermissionDenied(DipauditError):
    exit_code = 3


class Conflict(DipauditError):
    """Someone else changed the thing first; nothing was overwritten."""

    exit_code = 4


class StateError(DipauditError):
    """The thing is not in a state that allows this."""


class DatabaseError(DipauditError):
    """The file is not a dipaudit database, or is from a newer version."""


class DatabaseBusy(DatabaseError):
    """Another process held the database past the busy timeout: nothing was written, and
    the same change can simply go again (the checklist's autosave retries it)."""


# Characters a terminal acts on instead of showing: C0/C1 controls (newline, ESC starting
# an escape sequence, ...), DEL, the Unicode line and paragraph separators and the
# bidirectional overrides. In a message they are shown escaped (\n, \x1b, \u202e), so a
# cell can neither split a fault over two lines nor rewrite the terminal.
_SHOWN = {
    **{c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))},
    ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
    **{c: f"\\u{c:04x}" for c in (0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F),
                                 *range(0x2066, 0x206A))},
}


def escape_controls(text: str) -> str:
    """``text`` on one line with every control character shown escaped (see ``_SHOWN``)."""
    return text.translate(_SHOWN)


@dataclass(frozen=True)
class Fault:
    row: int | None  # 1-based line number in the file as a person sees it (header = 1)
    column: str | None
    message: str

    def render(self, file: str) -> str:
        """One line: file, row and column, message; control characters shown escaped."""
        where = file
        if self.row is not None:
            where += f": row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return escape_controls(f"{where}: {self.message}")


class InputError(DipauditError):
    """Bad input: every fault is named by file, row and column. Nothing was written."""

    exit_code = 2

    def __init__(self, file: str, faults: list[Fault] | Fault | str):
        if isinstance(faults, str):
            faults = [Fault(None, None, faults)]
        elif isinstance(faults, Fault):
            faults = [faults]
        self.file = file
        self.faults = list(faults)
        super().__init__(self.render())

    def lines(self) -> list[str]:
        return [f.render(self.file) for f in self.faults]

    def render(self) -> str:
        lines = self.lines()
        if len(lines) == 1:
            return lines[0]
        return "\n".join(lines) + f"\n{escape_controls(self.file)}: {len(lines)} faults; nothing was written"


def key_path(loc: tuple) -> str:
    """A pydantic location as a key path a person can find: ``standards[3].precheck`` (1-based)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validation_message(err: dict) -> str:
    """A pydantic error's message for a person: a validator's own words, 'missing', 'unknown key'."""
    if err["type"] == "missing":
        return "missing"
    if err["type"] == "extra_forbidden":
        return "unknown key"
    msg = err["msg"]
    return msg[len("Value error, "):] if msg.startswith("Value error, ") else msg


def validation_faults(exc: ValidationError, describe: Callable[[dict], str] = validation_message,
                      *, skip: Callable[[tuple], bool] | None = None) -> list[Fault]:
    """Each error of a pydantic ValidationError as a Fault named by its key path.
    ``describe`` words an error; ``skip`` drops errors at locations already reported."""
    return [Fault(None, key_path(e["loc"]) or None, describe(e)) for e in exc.errors()
            if skip is None or not skip(e["loc"])]
