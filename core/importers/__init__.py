"""Importers: caseloads (Ofsted Annex A Lists 6-9 or canonical CSV), case notes, people.

Each is all-or-nothing by default (every fault named by file, row and column),
``skip_invalid`` writes a rejects CSV instead, ``dry_run`` writes nothing, and the
same file twice changes nothing.
"""

from .caseload import import_caseload
from .common import ImportResult
from .notes import import_notes
from .people import import_people

__all__ = ["ImportResult", "import_caseload", "import_notes", "import_people"]
