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
import math
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import compress
from pathlib import Path
from typing import Any

from ..errors import Fault, InputError
from ..files import check_target, safe_cell, write_private

Progress = Callable[[int, int], None]

# Cells that mean "nothing here" in real extracts.
BLANKS = frozenset({"", "#n/a", "n/a"})
# Excel's day 0 (its 1900 leap-year bug makes 1899-12-30 the right origin from March 1900).
EXCEL_EPOCH = date(1899, 12, 30)
# Serial numbers accepted as dates: 18 May 1927 .. 31 Dec 2199. Five digits and more, so a
# bare year ("2012") or a small number is refused rather than read as a date in 1905.
EXCEL_SERIALS = range(10000, 109573)
DATE_HELP = "expected dd/mm/yyyy, yyyy-mm-dd or an Excel serial number"


@dataclass
class ImportResult:
    """Counts of one import (children for a caseload, notes, people). A plain dataclass, not
    a pydantic model: an import needs no validation of its own counts, and pydantic costs a
    command a fifth of a second of CPU to load (issue 10). ``model_dump`` as a model's."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    rejected: int = 0
    rejects_file: str | None = None

    def model_dump(self, *, exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
        """The counts as a dict in field order, without the fields named in ``exclude``."""
        return {k: v for k, v in vars(self).items() if k not in exclude}


# -- reading -------------------------------------------------------------------
# The reader is chosen by the file's extension, never by its first bytes.
CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
OTHER_FORMATS = {
    ".xls": "an old .xls workbook: save it as .xlsx or CSV UTF-8",
    ".xlsb": "a binary .xlsb workbook: save it as .xlsx or CSV UTF-8",
    ".ods": "an OpenDocument spreadsheet: save it as .xlsx or CSV UTF-8",
    ".numbers": "a Numbers spreadsheet: export it as .xlsx or CSV UTF-8",
}
# The longest cell read (Python's csv default; Excel's own limit is 32,767 characters).
# A longer one is a fault on its row and column, never the whole file refused.
MAX_CELL = 131_072
# A workbook member larger than this once unpacked is refused (a damaged or hostile zip).
MAX_UNPACKED = 2 * 1024**3
# Rows are read in chunks: each column of a chunk is converted at once.
CHUNK = 20_000
# What a workbook (a zip) or an encrypted workbook / old .xls (OLE2) starts with.
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Row = tuple[int, list[Any]]  # (row number as a person sees it, header = 1; cells)


def shown(value: Any, limit: int = 60) -> str:
    """A cell's value as a message quotes it: clipped, so one huge cell makes no huge message."""
    s = str(value)
    return s if len(s) <= limit else f"{s[:limit]}... ({len(s):,} characters)"


@dataclass
class Table:
    """One table of a file: a CSV, or one sheet of a workbook.

    A CSV's rows are held as ``records`` (its non-blank data rows) with their row
    ``numbers``; a sheet streams its rows from the workbook (``iter_rows``), so a large
    workbook is never held in memory whole.
    ``oversized``: rows with a cell over MAX_CELL characters, {row: [column index]};
    those rows are faults, never read (see ``Faults.reject_oversized``).
    """

    file: str
    sheet: str | None
    headings: list[str]
    records: list[list[Any]] | None = None
    numbers: Sequence[int] | None = None
    stream: Callable[[], Iterator[Row]] | None = None
    estimated_rows: int = 0
    oversized: dict[int, list[int]] = field(default_factory=dict)
    # No cell holds a NUL or a unit separator (a workbook's XML cannot; a CSV is checked).
    separators_free: bool = True

    def where(self, message: str) -> str:
        return message if self.sheet is None else f"{message} (sheet '{self.sheet}')"

    def iter_rows(self) -> Iterator[Row]:
        """The non-blank data rows, in order."""
        if self.records is not None:
            return zip(self.numbers, self.records, strict=True)
        assert self.stream is not None
        return self.stream()

    def blocks(self, size: int | None = None) -> Iterator[tuple[Sequence[int], list[list[Any]]]]:
        """The rows in blocks of ``size`` (CHUNK): (row numbers, rows), each row padded to
        the headings' width (a CSV's with "", a sheet's with None)."""
        size = size or CHUNK
        width = len(self.headings)
        if self.records is not None:
            for i in range(0, len(self.records), size):
                yield self.numbers[i : i + size], _padded(self.records[i : i + size], width, "")
            return
        chunk: list[Row] = []
        for row in self.iter_rows():
            chunk.append(row)
            if len(chunk) >= size:
                numbers, rows = zip(*chunk, strict=True)
                yield list(numbers), _padded(list(rows), width, None)
                chunk = []
        if chunk:
            numbers, rows = zip(*chunk, strict=True)
            yield list(numbers), _padded(list(rows), width, None)

    def all_rows(self) -> list[Row]:
        """Every row in memory (the small files: people, notes)."""
        if self.records is None:
            # Read the sheet's stream first: with ``records`` set, ``iter_rows`` reads them.
            rows = list(self.iter_rows())
            self.numbers = [number for number, _ in rows]
            self.records = [cells for _, cells in rows]
            self.stream = None
        return list(self.iter_rows())

    @property
    def row_count(self) -> int:
        """Rows to read: exact for a CSV, the workbook's own count for a sheet (for progress)."""
        return len(self.records) if self.records is not None else self.estimated_rows


def _padded(rows: list[list[Any]], width: int, blank: Any) -> list[list[Any]]:
    """``rows`` with the short ones padded out to ``width`` cells."""
    if not rows or min(map(len, rows)) >= width:
        return rows
    return [r if len(r) >= width else [*r, *[blank] * (width - len(r))] for r in rows]


@dataclass
class Source:
    """A file opened for reading, with its content hash (recorded in ``imports``).

    Use it as a context manager (``with read_source(path) as src``): a workbook stays
    open while its rows stream, and is closed at the end."""

    path: Path
    sha256: str
    tables: list[Table]
    _close: Callable[[], None] | None = None

    @property
    def name(self) -> str:
        return str(self.path)

    def close(self) -> None:
        if self._close:
            self._close()
            self._close = None

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_source(path: str | Path) -> Source:
    """Open a CSV (UTF-8, with or without BOM) or an .xlsx workbook, chosen by its
    extension, or raise a clear one-line InputError (never a traceback)."""
    path = Path(path)
    name = str(path)
    try:
        if not path.exists():
            raise InputError(name, "file not found")
        if path.is_dir():
            raise InputError(name, "is a directory, not a file")
    except OSError as exc:  # a name too long, a loop of links
        raise InputError(name, f"cannot read the file ({exc.strerror or exc})") from None
    suffix = path.suffix.casefold()
    if suffix in OTHER_FORMATS:
        raise InputError(name, OTHER_FORMATS[suffix])
    if suffix in XLSX_SUFFIXES:
        return _open_xlsx(path, name)
    if suffix not in CSV_SUFFIXES:
        what = f"'{path.suffix}'" if path.suffix else "no extension"
        raise InputError(name, f"unknown kind of file ({what}): dipaudit reads CSV UTF-8 (.csv, .txt) and "
                               ".xlsx workbooks; name the file for what it holds")
    data = _read_bytes(path, name)
    return Source(path, hashlib.sha256(data).hexdigest(), [_read_csv(name, data)])


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(name, f"cannot read the file ({exc.strerror or exc})") from exc


def _read_csv(name: str, data: bytes) -> Table:
    if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
        raise InputError(name, "a workbook or other binary file, not CSV text: "
                               "if it is an .xlsx workbook, name it .xlsx")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            name,
            Fault(line, None, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as CSV UTF-8"),
        ) from exc
    records, huge = _parse_csv(name, text)
    if not records or not "".join(records[0]).strip():
        raise InputError(name, "no headings on row 1 (the file is empty or starts with a blank line)")
    oversized = _oversized(records) if huge else {}
    if 1 in oversized:
        raise InputError(name, Fault(1, None, f"a heading is longer than {MAX_CELL:,} characters; "
                                              "row 1 must hold the column headings"))
    headings = [h.strip() for h in records[0]]
    del records[0]
    numbers: Sequence[int] = range(2, len(records) + 2)
    present = list(map(bool, map(str.strip, map("".join, records))))  # a blank row is skipped
    if not all(present):
        numbers, records = list(compress(numbers, present)), list(compress(records, present))
    return Table(name, None, headings, records, numbers, oversized=oversized,
                 separators_free="\x00" not in text and "\x1f" not in text)


def _parse_csv(name: str, text: str) -> tuple[list[list[str]], bool]:
    """Every record, and whether some field is over MAX_CELL characters (then it is read
    whole, in a second pass, and its row faulted later)."""
    old = csv.field_size_limit()
    try:
        for limit in (MAX_CELL, max(len(text), MAX_CELL) + 1):
            csv.field_size_limit(limit)
            reader = csv.reader(io.StringIO(text, newline=""))
            try:
                return list(reader), limit != MAX_CELL
            except csv.Error as exc:
                if "field larger than field limit" in str(exc) and limit == MAX_CELL:
                    continue
                raise InputError(name, Fault(reader.line_num or None, None,
                                             f"not a readable CSV file ({exc})")) from None
    finally:
        csv.field_size_limit(old)
    raise AssertionError("unreachable")


def _oversized(records: list[list[str]]) -> dict[int, list[int]]:
    """{row: [column index]} of cells over MAX_CELL characters."""
    found: dict[int, list[int]] = {}
    for number, record in enumerate(records, start=1):
        cols = [i for i, c in enumerate(record) if len(c) > MAX_CELL]
        if cols:
            found[number] = cols
    return found


def _open_xlsx(path: Path, name: str) -> Source:
    import zipfile

    try:
        with path.open("rb") as f:
            head = f.read(8)
            digest = hashlib.sha256(head)
            while block := f.read(1 << 20):
                digest.update(block)
    except OSError as exc:
        raise InputError(name, f"cannot read the file ({exc.strerror or exc})") from exc
    if head.startswith(_OLE_MAGIC):
        raise InputError(name, "a password-protected (encrypted) workbook, or an old .xls renamed .xlsx: "
                               "save it as .xlsx without a password")
    if not head.startswith(_ZIP_MAGIC):
        raise InputError(name, "not a readable .xlsx workbook (not a zip file); if it is CSV text, name it .csv")
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
            for m in members:
                if m.flag_bits & 0x1:
                    raise InputError(name, "a password-protected (encrypted) workbook: save it without a password")
                if m.file_size > MAX_UNPACKED:
                    raise InputError(name, f"not a readable .xlsx workbook ({shown(m.filename)} would unpack "
                                           f"to {m.file_size:,} bytes)")
    except InputError:
        raise
    except Exception as exc:  # zipfile raises many kinds on a damaged file
        raise InputError(name, f"not a readable .xlsx workbook ({_why(exc)})") from None
    book = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on styles and extensions it skips
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            tables = [t for sheet in book.worksheets if (t := _sheet_table(name, sheet)) is not None]
    except InputError:
        if book is not None:
            book.close()
        raise
    except Exception as exc:  # openpyxl, zipfile, zlib and XML parsers all raise on damaged files
        if book is not None:
            book.close()
        raise InputError(name, f"not a readable .xlsx workbook ({_why(exc)})") from None
    if not tables:
        book.close()
        raise InputError(name, "the workbook has no sheet with headings on row 1")
    return Source(path, digest.hexdigest(), tables, book.close)


def _sheet_table(name: str, sheet) -> Table | None:
    """The sheet's headings, and a stream of its rows; None for a sheet without headings."""
    if not hasattr(sheet, "iter_rows"):
        return None  # a chart sheet
    header = next(sheet.iter_rows(max_row=1, values_only=True), None)
    if not header or not any(_present(c) for c in header):
        return None
    headings = ["" if h is None else str(h).strip() for h in header]
    if any(len(h) > MAX_CELL for h in headings):
        raise InputError(name, Fault(1, None, f"a heading is longer than {MAX_CELL:,} characters "
                                              f"(sheet '{shown(sheet.title)}')"))
    table = Table(name, str(sheet.title), headings, estimated_rows=max((sheet.max_row or 1) - 1, 0))

    def stream() -> Iterator[Row]:
        number = 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for number, cells in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
                    for c in cells:  # the first present cell ends the check (usually the first cell)
                        if c is not None and (c.__class__ is not str or c.strip()):
                            break
                    else:
                        continue
                    cells = list(cells)
                    long = [i for i, c in enumerate(cells) if c.__class__ is str and len(c) > MAX_CELL]
                    if long:
                        table.oversized[number] = long
                    yield number, cells
        except InputError:
            raise
        except Exception as exc:
            raise InputError(name, Fault(number + 1, None, table.where(
                f"the workbook is damaged past this row ({_why(exc)})"))) from None

    table.stream = stream
    return table


def _why(exc: BaseException) -> str:
    """An exception as a short reason on one line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return shown(text, 160)


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
    raise ValueError(f"'{shown(s)}' is not a date ({DATE_HELP})")


def _ymd(raw: str, y: int, m: int, d: int) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise ValueError(f"'{shown(raw)}' is not a date ({DATE_HELP})") from None


def _serial(n: float, raw: Any) -> date:
    if not math.isfinite(n) or n != int(n) or int(n) not in EXCEL_SERIALS:
        raise ValueError(f"'{shown(raw)}' is not a date ({DATE_HELP})")
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
        raise ValueError(f"'{shown(s)}' is not a whole number") from None
    if not f.is_integer():
        raise ValueError(f"'{shown(s)}' is not a whole number")
    return int(f)


def row_hash(*parts: Any) -> str:
    """A short content hash: an unchanged row is recognised without comparing every column."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


# -- converting a column at once ----------------------------------------------------
class Bad:
    """A cell that could not be read: the fault's message (a column converter's result)."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


class Memo:
    """Converted values of one column by cell value, with the cells that failed."""

    __slots__ = ("values", "bad")

    def __init__(self) -> None:
        self.values: dict[Any, Any] = {}
        self.bad: set[Any] = set()


def convert(values: Sequence[Any], fn: Callable[[Any], Any], memo: Memo | None = None, *,
            plain: bool = False) -> tuple[list[Any], list[int]]:
    """``fn`` over a column: (results, positions of Bad results). A ValueError from ``fn``
    becomes ``Bad(message)``. ``memo``: for columns that repeat values (dates, workers,
    teams, codes): each distinct cell is converted once per import, the rest is a lookup.
    ``plain``: every cell is text or None (a CSV), so cells are their own memo keys."""

    def safe(v: Any) -> Any:
        try:
            return fn(v)
        except ValueError as exc:
            return Bad(str(exc))

    if memo is None:
        out = [safe(v) for v in values]
        return out, [k for k, r in enumerate(out) if r.__class__ is Bad]
    keys: Sequence[Any] = values
    if not plain and not set(map(type, values)) <= _PLAIN:
        # Workbook cells: 1 == 1.0 == True hash alike but read differently; key on the type too.
        keys = list(zip(map(type, values), values, strict=True))
    known = memo.values
    try:
        out = list(map(known.__getitem__, keys))  # every value seen before (most chunks)
    except KeyError:
        for key in set(keys).difference(known):
            r = known[key] = safe(key[1] if keys is not values else key)
            if r.__class__ is Bad:
                memo.bad.add(key)
        out = list(map(known.__getitem__, keys))
    if memo.bad and not memo.bad.isdisjoint(keys):
        return out, [k for k, r in enumerate(out) if r.__class__ is Bad]
    return out, []


_PLAIN = frozenset({str, type(None)})


def text_column(values: Sequence[Any], *, plain: bool = False) -> list[str | None]:
    """``text`` over a column of mostly distinct values (ids, names)."""
    if plain or all(v.__class__ is str for v in values):
        if None in values:  # a short row padded out
            values = ["" if v is None else v for v in values]
        stripped = list(map(str.strip, values))
        if stripped and min(map(len, stripped)) > 4:
            return stripped  # nothing this long is a blank or #N/A
        return [None if len(s) <= 4 and s.casefold() in BLANKS else s for s in stripped]
    return [text(v) for v in values]


# -- faults and rejects ----------------------------------------------------------
@dataclass
class Faults:
    """Every fault of a file, grouped by the row it rejects (None: the file as a whole),
    with the rejected rows' cells for the rejects file."""

    file: str
    faults: list[Fault] = field(default_factory=list)
    rejected: dict[tuple[str | None, int], list[str]] = field(default_factory=dict)
    cells: dict[tuple[str | None, int], list[Any]] = field(default_factory=dict)

    # The sheet of each fault (None: a CSV), for listing them in the file's order.
    sheets: list[str | None] = field(default_factory=list)

    def add(self, table: Table, row: int, column: str | None, message: str, cells: list | None = None) -> None:
        self.faults.append(Fault(row, column, table.where(message)))
        self.sheets.append(table.sheet)
        reason = f"{column}: {message}" if column else message
        key = (table.sheet, row)
        self.rejected.setdefault(key, []).append(reason)
        if cells is not None:
            self.cells[key] = cells

    def reject_oversized(self, table: Table, row: int, cells: list) -> bool:
        """Fault a row holding a cell over MAX_CELL characters (True: the row is not to be read)."""
        columns = table.oversized.get(row)
        if not columns:
            return False
        for i in columns:
            heading = table.headings[i] if i < len(table.headings) and table.headings[i] else f"column {i + 1}"
            self.add(table, row, heading, f"the cell holds {len(cells[i]):,} characters (at most {MAX_CELL:,})",
                     cells)
        return True

    def is_rejected(self, table: Table, row: int) -> bool:
        return (table.sheet, row) in self.rejected

    def __bool__(self) -> bool:
        return bool(self.faults)

    def error(self) -> InputError:
        """Every fault, in the order of the file: by sheet (as first met), then row (a fault
        found later, such as a child twice, is listed at its own row, not after the rest)."""
        rank = {sheet: i for i, sheet in enumerate(dict.fromkeys(self.sheets))}
        ordered = sorted(zip(self.sheets, self.faults, strict=True), key=lambda p: (rank[p[0]], p[1].row or 0))
        return InputError(self.file, [fault for _sheet, fault in ordered])


def settle_faults(
    source: Source, faults: Faults, *, skip_invalid: bool, dry_run: bool, rejects_path: str | Path | None,
    inputs: Iterable[str | Path] = (),
) -> tuple[int, str | None]:
    """All-or-nothing unless ``skip_invalid``: raise every fault, or write the rejects file.

    Returns (rows rejected, rejects file written or None). A dry run writes no file.
    ``inputs``: files the import reads besides the source (the database); the rejects
    file may not be any of them.
    """
    if not faults:
        return 0, None
    if not skip_invalid:
        raise faults.error()
    count = len(faults.rejected)
    target = Path(rejects_path) if rejects_path else source.path.with_name(f"{source.path.stem}.rejects.csv")
    inputs = [source.path, *inputs]
    if dry_run:
        check_target(target, inputs=inputs)  # say now what the real run would refuse
        return count, None
    write_rejects(target, source, faults, inputs=inputs)
    return count, str(target)


# A rejected cell longer than this is cut in the rejects file (it says where and how long).
REJECT_CELL = 1000


def write_rejects(target: Path, source: Source, faults: Faults, *, inputs: Iterable[str | Path] = ()) -> None:
    """The rejected rows as they were, with their row number and reasons: a private file
    (``core.files.write_private``), every cell spreadsheet-safe (``safe_cell``)."""
    multi = len(source.tables) > 1
    headings: list[str] = []
    for t in source.tables:
        headings += [h for h in t.headings if h and h not in headings]
    fields = (["sheet"] if multi else []) + ["row", *headings, "reasons"]
    order = {t.sheet: i for i, t in enumerate(source.tables)}
    by_table = {t.sheet: t for t in source.tables}
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([safe_cell(f) for f in fields])
    for key in sorted(faults.rejected, key=lambda k: (order.get(k[0], 0), k[1])):
        sheet, number = key
        t = by_table.get(sheet)
        cells = faults.cells.get(key)
        if t is None or cells is None:
            continue  # a fault of the file as a whole, not of a row
        row = {h: _reject_cell(cells[i]) if i < len(cells) else None for i, h in enumerate(t.headings) if h}
        row.update(row=number, reasons="; ".join(faults.rejected[key]))
        if multi:
            row["sheet"] = sheet
        w.writerow([safe_cell(row.get(f)) for f in fields])
    write_private(target, out.getvalue(), inputs=inputs)


def _reject_cell(cell: Any) -> str | None:
    s = text(cell)
    if s is not None and len(s) > REJECT_CELL:
        return f"{s[:REJECT_CELL]}... (cut: {len(s):,} characters)"
    return s


def database_files(store) -> list[Path]:
    """The database and its -wal/-shm: files no import may write its rejects onto."""
    path = Path(store.path)
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def cell(cells: list[Any], index: int | None) -> Any:
    if index is None or index >= len(cells):
        return None
    return cells[index]


def report_progress(progress: Progress | None, done: int, total: int, every: int = 2000) -> None:
    if progress and (done == total or done % every == 0):
        progress(done, total)
