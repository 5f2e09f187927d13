"""The ``[keys]`` keymap's binding ids: which ones dipaudit has, so a council's typo in
``[keys]`` is said rather than silently remapping nothing."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from textual.binding import Binding

# Where dipaudit's bindings live (the app's own are in tui.app).
PACKAGES = ("tui.screens", "tui.dialogs", "tui.widgets")


def _modules(packages: Iterable[str]):
    for name in packages:
        package = importlib.import_module(name)
        for info in pkgutil.iter_modules(package.__path__):
            yield importlib.import_module(f"{name}.{info.name}")


def binding_ids(packages: Iterable[str] = PACKAGES, *, own: bool = False) -> set[str]:
    """Every binding id of the classes in ``packages``' modules and of the app (it imports
    them all: call it only when a keymap is given); ``own``: only of classes defined there
    (not of Textual's widgets or dialogs they import)."""
    from . import app

    ids: set[str] = set()
    for module in (app, *_modules(packages)):
        for obj in vars(module).values():
            if isinstance(obj, type) and (not own or obj.__module__ == module.__name__):
                for binding in getattr(obj, "BINDINGS", None) or []:
                    if isinstance(binding, Binding) and binding.id:
                        ids.add(binding.id)
    return ids


def unknown_ids(keymap: Iterable[str]) -> list[str]:
    """The ids in ``keymap`` that name no binding, sorted."""
    known = binding_ids()
    return sorted(k for k in keymap if k not in known)
