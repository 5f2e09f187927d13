"""Python's cyclic garbage collector paused around bulk work (an import, a tick's rules).

Reading 100,000 rows, or a catch-up's hundreds of thousands of short-lived rows, payloads
and links, makes millions of objects and no reference cycles; the collector would walk
them (and everything else alive) again and again: half the time of parsing a CSV, a tenth
of a catch-up. Reference counting still frees everything; the collector resumes afterwards,
and stays off if it was off before.

So the paused work must make no reference cycles of its own (an object holding a list that
holds it): what a cycle reaches is not freed as the work ends, and the first collection
after it walks all of it (a caseload reader's did: 1.1 s after a 1,000,000-row import).
``tests/test_import_caseload.py`` holds the caseload import to that."""

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
