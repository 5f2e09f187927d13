"""What every importer shares: reading CSV and .xlsx, matching headings, parsing
dates and coded values, collecting faults, writing a rejects file.

Real extracts are untidy (field notes, "Ofsted Annex A"): headings change case,
punctuation and quotes and carry small typos; dates come as dd/mm/yyyy, ISO or
Excel serial numbers; ``#N/A`` stands for nothing; coded values may carry a
letter prefix ("a) Male"). Everything here turns that into plain Python values
or a Fault naming the row and column as a person sees them in the file.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..errors import Fault, InputError

Progress = Callable[[int, int], None]

# Cells that mean "nothing here" in real extracts.
BLANKS = frozenset({"", "#n/a", "n/a"})
# Excel's day 0 (its 1900 leap-year bug makes 1899-12-30 the right origin from March 1900).
EXCEL_EPOCH = date(1899, 12, 30)
# Serial numbers accepted as dates: 18 May 1927 .. 31 Dec 2199. Five digits and more, so a
# bare year ("2012") or a small number is refused rather than read as a date in 1905.
EXCEL_SERIALS = range(10000, 109573)
DATE_HELP = "expected dd/mm/yyyy, yyyy-mm-dd or an Excel serial number"


class ImportResult(BaseModel):
    """Counts of one import (children for a caseload, notes, people)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    rejected: int = 0
    rejects_file: str | None = None


# -- reading -------------------------------------------------------------------
@dataclass
class Table:
    """One table of a file: a CSV, or one sheet of a workbook."""

    file: str
    sheet: str | None
    headings: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number as a person sees it; header is row 1, cells)

    def where(self, message: str) -> str:
        return message if self.sheet is None else f"{message} (sheet '{self.sheet}')"


@dataclass
class Source:
    """A file read into memory, with its content hash (recorded in ``imports``)."""

    path: Path
    sha256: str
    tables: list[Table]

    @property
    def name(self) -> str:
        return str(self.path)


def read_source(path: str | Path) -> Source:
    """Read a CSV (UTF-8, with or without BOM) or an .xlsx workbook, or raise a clear InputError."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise InputError(name, "file not found")
    if path.is_dir():
        raise InputError(name, "is a directory, not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(name, f"cannot read the file ({exc.strerror or exc})") from exc
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.casefold()
    if suffix == ".xls":
        raise InputError(name, "an old .xls workbook: save it as .xlsx or CSV UTF-8")
    if suffix in (".xlsx", ".xlsm") or data[:2] == b"PK":
        return Source(path, digest, _read_xlsx(name, data))
    return Source(path, digest, [_read_csv(name, data)])


def _read_csv(name: str, data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            name,
            Fault(line, None, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as CSV UTF-8"),
        ) from exc
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(name, f"not a readable CSV file ({exc})") from exc
    if not records or not any(c.strip() for c in records[0]):
        raise InputError(name, "no headings on row 1 (the file is empty or starts with a blank line)")
    headings = [h.strip() for h in records[0]]
    rows = [(i, r) for i, r in enumerate(records[1:], start=2) if any(c.strip() for c in r)]
    return Table(name, None, headings, rows)


def _read_xlsx(name: str, data: bytes) -> list[Table]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(name, f"not a readable .xlsx workbook ({exc})") from exc
    tables = []
    try:
        for sheet in book.worksheets:
            it = sheet.iter_rows(values_only=True)
            header = next(it, None)
            if not header or not any(_present(c) for c in header):
                continue
            headings = ["" if h is None else str(h).strip() for h in header]
            rows = [(i, list(r)) for i, r in enumerate(it, start=2) if any(_present(c) for c in r)]
            tables.append(Table(name, sheet.title, headings, rows))
    finally:
        book.close()
    if not tables:
        raise InputError(name, "the workbook has no sheet with headings on row 1")
    return tables


def _present(cell: Any) -> bool:
    return cell is not None and str(cell).strip() != ""


# -- headings ------------------------------------------------------------------
def norm(heading: Any) -> str:
    """Compare headings without case, spaces, punctuation or quotes (straight or curly)."""
    return re.sub(r"[\W_]+", "", str(heading or "").casefold())


@dataclass(frozen=True)
class Column:
    """A column an importer understands: its key and the headings it goes by (first = standard)."""

    key: str
    headings: tuple[str, ...]

    @property
    def heading(self) -> str:
        return self.headings[0]


def col(key: str, *headings: str) -> Column:
    return Column(key, headings or (key,))


# Close enough to be a typo ("Date of Birht"), far enough apart not to confuse
# "CIN Start Date" with "CIN Closure Date".
TYPO_CUTOFF = 0.86


def match_columns(headings: list[str], columns: Iterable[Column]) -> dict[str, int]:
    """Map column keys to positions: exact (normalised) matches first, then close typos."""
    columns = list(columns)
    names = {norm(h): c.key for c in columns for h in c.headings}
    found: dict[str, int] = {}
    unmatched: list[int] = []
    for i, h in enumerate(headings):
        key = names.get(norm(h))
        if key and key not in found:
            found[key] = i
        elif norm(h):
            unmatched.append(i)
    for i in unmatched:
        free = [n for n, k in names.items() if k not in found]
        close = difflib.get_close_matches(norm(headings[i]), free, n=1, cutoff=TYPO_CUTOFF)
        if close:
            found[names[close[0]]] = i
    return found


def missing_columns(found: dict[str, int], required: Iterable[Column]) -> list[str]:
    return [c.heading for c in required if c.key not in found]


# -- values --------------------------------------------------------------------
def text(cell: Any) -> str | None:
    """A cell as trimmed text; blanks and #N/A are None; 12345.0 from a workbook is '12345'."""
    if type(cell) is str:  # the common case, kept fast (100,000-row files)
        s = cell.strip()
        if len(s) > 4:
            return s
    elif cell is None:
        return None
    elif isinstance(cell, float) and cell.is_integer():
        s = str(int(cell))
    elif isinstance(cell, datetime):
        s = cell.date().isoformat()
    elif isinstance(cell, date):
        s = cell.isoformat()
    else:
        s = str(cell).strip()
    return None if s.casefold() in BLANKS else s


_CODE_PREFIX = re.compile(r"^\s*[a-z]\)\s*", re.IGNORECASE)


def code(cell: Any) -> str | None:
    """A coded value without its letter prefix: 'b) Child Protection plan' -> 'Child Protection plan'."""
    s = text(cell)
    return _CODE_PREFIX.sub("", s) or None if s else None


_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][\d:.]*)?$")
_SERIAL = re.compile(r"\d{5,6}(?:\.0*)?$")
_date_cache: dict[str, str | None] = {}


def parse_date(cell: Any) -> date | None:
    """dd/mm/yyyy, yyyy-mm-dd, an Excel serial (number or numeric text) or a workbook date.

    Blank and #N/A are None. Anything else raises ValueError naming the value.
    """
    iso = parse_iso(cell)
    return date.fromisoformat(iso) if iso else None


def parse_iso(cell: Any) -> str | None:
    """``parse_date`` as an ISO string (what is stored; compares as dates do)."""
    if type(cell) is str:
        try:
            return _date_cache[cell]
        except KeyError:
            pass
        d = _parse_text(cell.strip())
        iso = d.isoformat() if d else None
        if len(_date_cache) < 100_000:  # real extracts repeat dates; the cache stays bounded
            _date_cache[cell] = iso
        return iso
    if cell is None:
        return None
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return _serial(cell, cell).isoformat()
    return parse_iso(str(cell))


def _parse_text(s: str) -> date | None:
    if s.casefold() in BLANKS:
        return None
    if m := _DMY.match(s):
        return _ymd(s, int(m[3]), int(m[2]), int(m[1]))
    if m := _ISO.match(s):
        return _ymd(s, int(m[1]), int(m[2]), int(m[3]))
    if _SERIAL.match(s):
        return _serial(float(s), s)
    raise ValueError(f"'{s}' is not a date ({DATE_HELP})")


def _ymd(raw: str, y: int, m: int, d: int) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise ValueError(f"'{raw}' is not a date ({DATE_HELP})") from None


def _serial(n: float, raw: Any) -> date:
    if n != int(n) or int(n) not in EXCEL_SERIALS:
        raise ValueError(f"'{raw}' is not a date ({DATE_HELP})")
    return EXCEL_EPOCH + timedelta(days=int(n))


def iso_date(d: date | None) -> str | None:
    return d.isoformat() if d else None


def parse_int(cell: Any) -> int | None:
    s = text(cell)
    if s is None:
        return None
    try:
        f = float(s)
    except ValueError:
        raise ValueError(f"'{s}' is not a whole number") from None
    if not f.is_integer():
        raise ValueError(f"'{s}' is not a whole number")
    return int(f)


def row_hash(*parts: Any) -> str:
    """A short content hash: an unchanged row is recognised without comparing every column."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


# -- faults and rejects ----------------------------------------------------------
@dataclass
class Faults:
    """Every fault of a file, grouped by the row it rejects (None: the file as a whole)."""

    file: str
    faults: list[Fault] = field(default_factory=list)
    rejected: dict[tuple[str | None, int], list[str]] = field(default_factory=dict)

    def add(self, table: Table, row: int, column: str | None, message: str) -> None:
        self.faults.append(Fault(row, column, table.where(message)))
        reason = f"{column}: {message}" if column else message
        self.rejected.setdefault((table.sheet, row), []).append(reason)

    def is_rejected(self, table: Table, row: int) -> bool:
        return (table.sheet, row) in self.rejected

    def __bool__(self) -> bool:
        return bool(self.faults)

    def error(self) -> InputError:
        return InputError(self.file, self.faults)


def settle_faults(
    source: Source, faults: Faults, *, skip_invalid: bool, dry_run: bool, rejects_path: str | Path | None
) -> tuple[int, str | None]:
    """All-or-nothing unless ``skip_invalid``: raise every fault, or write the rejects file.

    Returns (rows rejected, rejects file written or None). A dry run writes no file.
    """
    if not faults:
        return 0, None
    if not skip_invalid:
        raise faults.error()
    count = len(faults.rejected)
    if dry_run:
        return count, None
    target = Path(rejects_path) if rejects_path else source.path.with_name(f"{source.path.stem}.rejects.csv")
    write_rejects(target, source, faults)
    return count, str(target)


def write_rejects(target: Path, source: Source, faults: Faults) -> None:
    """The rejected rows as they were, with their row number and reasons."""
    multi = len(source.tables) > 1
    headings: list[str] = []
    for t in source.tables:
        headings += [h for h in t.headings if h and h not in headings]
    fields = (["sheet"] if multi else []) + ["row", *headings, "reasons"]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            w.writeheader()
            for t in source.tables:
                for number, cells in t.rows:
                    reasons = faults.rejected.get((t.sheet, number))
                    if not reasons:
                        continue
                    out = {h: (text(cells[i]) if i < len(cells) else None) for i, h in enumerate(t.headings) if h}
                    out.update(row=number, reasons="; ".join(reasons))
                    if multi:
                        out["sheet"] = t.sheet
                    w.writerow(out)
    except OSError as exc:
        raise InputError(str(target), f"cannot write the rejects file ({exc.strerror or exc})") from exc


def cell(cells: list[Any], index: int | None) -> Any:
    if index is None or index >= len(cells):
        return None
    return cells[index]


def report_progress(progress: Progress | None, done: int, total: int, every: int = 2000) -> None:
    if progress and (done == total or done % every == 0):
        progress(done, total)
