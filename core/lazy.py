"""Packages whose names are imported from their modules when first asked for (PEP 562).

``core.audit`` and ``core.reports`` list each name they export beside the module that
defines it; ``from core.audit import finalise_due`` then loads ``core.audit.finalise``
(and what it imports), not every module of the package: the scheduler's modules load no
pydantic, so a quiet ``dipaudit tick`` from cron does not either.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module


def exports(namespace: dict, table: dict[str, tuple[str, ...]]) -> tuple[Callable, Callable]:
    """The ``__getattr__`` and ``__dir__`` of the package whose ``globals()`` is ``namespace``:
    ``table`` maps each of its modules to the names it exports. A name is imported on first
    use and kept in the package, as an eager import would have left it."""
    package = namespace["__name__"]
    module_of = {name: module for module, names in table.items() for name in names}

    def __getattr__(name: str):
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*namespace, *module_of])

    return __getattr__, __dir__
