"""Python's cyclic garbage collector paused around bulk work (an import, a tick's rules).

Reading 100,000 rows, or a catch-up's hundreds of thousands of short-lived rows, payloads
and links, makes millions of objects and no reference cycles; the collector would walk
them (and everything else alive) again and again: half the time of parsing a CSV, a tenth
of a catch-up. Reference counting still frees everything; the collector resumes afterwards,
and stays off if it was off before."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """``with collector_paused():`` or, on a function, ``@collector_paused()``."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
