"""CSV input and atomic output for the offline audit tool (``ecosentry compute``).

Input formats
-------------
* **Data** (long format, header required): ``point,factor,time,value[,flag][,zs_value]``.
  ``time`` is ISO 8601; with an offset (``+08:00`` or ``Z``) it is converted to the audit time zone,
  without one it is read as local time of that zone. ``value`` may be empty (a received record without
  a value: invalid); otherwise it must be a finite number. ``flag`` empty means ``N``.
* **Marks** (header required): ``point,factor,type,start,end``; see :mod:`ecosentry.subsystems.monitoring.offline.compute`
  for the meaning of each type.

Every error is an :class:`AuditInputError` naming the file and the 1-based line number (the header is
line 1), so that the auditor can open the file at that line.

Output files are written to a temporary file in the target directory and renamed into place
(:func:`write_atomically`), so a failed run never leaves a half-written file.
"""

from __future__ import annotations

import csv
import math
import mmap
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from ecosentry.said import N_, Said

__all__ = [
    "DataColumns",
    "read_data_columns",
    "AuditInputError",
    "DataRow",
    "Mark",
    "MARK_TYPES",
    "parse_time",
    "iter_data_rows",
    "read_marks",
    "write_atomically",
]

#: Mark types understood by the audit tool.
MARK_TYPES = (
    "maintenance",
    "calibration",
    "fault",
    "comm_interruption",
    "stopped",
    "standard_sample_check",
)

DATA_REQUIRED = ("point", "factor", "time", "value")
MARK_REQUIRED = ("point", "factor", "type", "start", "end")


class AuditInputError(Said):
    """Bad input file content; ``str()`` names the file and the line in English, :meth:`~ecosentry.said.Said.say`
    in the reader's language (``message``: a msgid with ``params``, said nested under the place)."""

    def __init__(self, path: Path | str, line: int | None, message: str, **params: object) -> None:
        self.path = str(path)
        self.line = line
        problem = Said(message, **params)
        self.message = str(problem)
        super().__init__(N_("%(path)s, line %(line)s: %(problem)s") if line is not None
                         else N_("%(path)s: %(problem)s"), path=self.path, line=line, problem=problem)


@dataclass(frozen=True)
class DataRow:
    """One parsed data line; ``time`` is aware and expressed in the audit zone."""

    line: int
    point: str
    factor: str
    time: datetime
    value: float | None
    flag: str | None
    zs_value: float | None


@dataclass(frozen=True)
class Mark:
    """One mark (标记): ``factor`` ``None`` means every factor of the point."""

    line: int
    point: str
    factor: str | None
    type: str
    start: datetime
    end: datetime


def parse_time(text: str, zone: tzinfo) -> datetime:
    """ISO 8601 → aware datetime in ``zone`` (naive text is local time of ``zone``).

    Raises
    ------
    ValueError
        If the text is not ISO 8601.
    """
    s = text.strip()
    if not s:
        raise ValueError("empty time")
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt.replace(tzinfo=zone)
    return dt.astimezone(zone)


def parse_number(text: str | None, path: Path, line: int, column: str, *, required: bool) -> float | None:
    s = (text or "").strip()
    if not s:
        if required:
            raise AuditInputError(path, line, N_("column %(column)r is empty"), column=column)
        return None
    try:
        x = float(s)
    except ValueError:
        raise AuditInputError(path, line, N_("column %(column)r: %(text)r is not a number"), column=column,
                              text=s) from None
    if not math.isfinite(x):
        raise AuditInputError(path, line, N_("column %(column)r: %(text)r is not a finite number"), column=column,
                              text=s)
    return x


def _header(reader: Iterator[list[str]], path: Path, required: tuple[str, ...]) -> dict[str, int]:
    try:
        header = next(reader)
    except StopIteration:
        raise AuditInputError(path, 1, N_("file is empty (a header line is required)")) from None
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise AuditInputError(path, 1, N_("missing column(s) %(columns)s (header is %(header)r)"),
                              columns=", ".join(missing), header=",".join(header))
    return {name: i for i, name in enumerate(names)}


def iter_data_rows(
    path: Path, zone: tzinfo, *, on_progress: Callable[[int], None] | None = None
) -> Iterator[DataRow]:
    """Stream the data CSV row by row.

    Parameters
    ----------
    path : Path
    zone : tzinfo
        Audit time zone.
    on_progress : callable or None
        Called every 10 000 lines with the number of characters read since the last call.

    Raises
    ------
    AuditInputError
        Missing column, too few fields, bad time, value not a number.
    """
    with open(path, newline="", encoding="utf-8-sig") as fh:
        lines = _counting(fh, on_progress)
        reader = csv.reader(lines)
        cols = _header(reader, path, DATA_REQUIRED)
        ip, ifa, it, iv = cols["point"], cols["factor"], cols["time"], cols["value"]
        iflag, izs = cols.get("flag"), cols.get("zs_value")
        width = max(cols.values()) + 1
        for fields in reader:
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) < max(ip, ifa, it, iv) + 1:
                raise AuditInputError(path, line, N_("%(count)s field(s), the header has %(width)s"),
                                      count=len(fields), width=width)
            point, factor = fields[ip].strip(), fields[ifa].strip()
            if not point or not factor:
                raise AuditInputError(path, line, N_("empty point or factor"))
            try:
                time = parse_time(fields[it], zone)
            except ValueError:
                raise AuditInputError(path, line, N_("bad time %(text)r (ISO 8601 expected)"),
                                      text=fields[it]) from None
            value = parse_number(fields[iv], path, line, "value", required=False)
            flag = fields[iflag].strip() or None if iflag is not None and iflag < len(fields) else None
            zs = (
                parse_number(fields[izs], path, line, "zs_value", required=False)
                if izs is not None and izs < len(fields) else None
            )
            yield DataRow(line, point, factor, time, value, flag, zs)


@dataclass(frozen=True)
class DataColumns:
    """The data CSV in columnar form (rows in input order, blank lines dropped).

    Attributes
    ----------
    points, factors : list of str
        Distinct names; ``point_code`` / ``factor_code`` index them per row.
    utc_us : numpy.ndarray
        ``int64`` microseconds since 1970-01-01 UTC (the instant of :attr:`DataRow.time`).
    local_us : numpy.ndarray
        ``int64`` wall-clock microseconds of :attr:`DataRow.time` in the audit zone, counted as if the wall
        clock were UTC (the order in which Python compares two datetimes of the same zone).
    values, zs : numpy.ndarray
        ``float64``; ``NaN`` where :attr:`DataRow.value` / :attr:`DataRow.zs_value` is ``None``.
    flag_names : list of (str or None)
        Distinct flags (stripped; ``None`` = empty); ``flag_code`` indexes them per row.
    """

    points: list[str]
    point_code: np.ndarray
    factors: list[str]
    factor_code: np.ndarray
    utc_us: np.ndarray
    local_us: np.ndarray
    values: np.ndarray
    flag_names: list[str | None]
    flag_code: np.ndarray
    zs: np.ndarray

    def __len__(self) -> int:
        return len(self.utc_us)


_US = 1_000_000
_HOUR_US = 3600 * _US
_EPOCH = datetime(1970, 1, 1)
#: Bytes of the data CSV whose commas are counted at a time (numpy on the mapped file: no copy of it).
_SCAN_STEP = 1 << 20
#: Columns polars parses as numbers: its CSV parser reads the same double as :func:`parse_number` or refuses
#: the file (see :func:`read_data_columns`).
_NUMBER_COLUMNS = ("value", "zs_value")


def _header_names(head: bytes) -> list[str] | None:
    """The names of a header line (without its line feed) as :func:`_header` reads them, or ``None`` when the
    columnar reader leaves the file to the row reader: a byte outside printable ASCII (the byte order mark and
    a carriage return ending the line aside), a quote, a repeated name, a required column missing."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head.endswith(b"\r"):
        head = head[:-1]
    if not head.isascii() or not head.decode("ascii").isprintable() or b'"' in head:
        return None
    names = [h.strip().lower() for h in head.decode("ascii").split(",")]
    if any(c not in names for c in DATA_REQUIRED) or len(set(names)) != len(names):
        return None
    return names


def _comma_count(buf, start: int, stop: int) -> int:
    """The commas of ``buf[start:stop]``, one chunk of :data:`_SCAN_STEP` bytes at a time (numpy on the mapped
    file: no copy of it)."""
    data = np.frombuffer(buf, dtype=np.uint8)
    return sum(int(np.count_nonzero(data[lo : min(lo + _SCAN_STEP, stop)] == 0x2C))
               for lo in range(start, stop, _SCAN_STEP))


def _read_frame(source, names: list[str]):
    """Polars' parse of the rows after the header line: the columns of :data:`_NUMBER_COLUMNS` as ``Float64``
    (an empty field is null), the others as categories (an empty field is null; each column its own
    categories, numbered from 0 in the order of their first row: a run's columns share nothing with another
    read); ``None`` when polars refuses the file (a row with more fields than the header, a number it does not
    read, bytes that are not UTF-8).

    Why categories and not texts: a logger's file repeats its few points, factors, flags and times (2.16 M rows,
    40 points, 7,200 times), which polars then keeps once each, with a 4-byte number per row instead of a
    16-byte view (140 MB less memory and 36,000 fewer page faults on the honest set of seed 47), and the times
    are parsed once each without first finding the distinct ones (0.10 s of CPU, issue 13 item 3)."""
    import polars as pl

    schema = {f"c{i}": pl.Float64 if name in _NUMBER_COLUMNS else pl.Categorical(pl.Categories.random())
              for i, name in enumerate(names)}
    try:
        return pl.read_csv(source, has_header=False, skip_lines=1, schema=schema, quote_char=None,
                           truncate_ragged_lines=False, raise_if_empty=True, glob=False)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException, ValueError, TypeError, OSError):
        return None


def read_data_columns(
    path: Path, zone: tzinfo, *, on_progress: Callable[[int], None] | None = None
) -> DataColumns | None:
    """The data CSV as columns (numpy arrays; split and parsed by Polars), or ``None`` when the file needs
    the row-by-row reader.

    The same rows and values as :func:`iter_data_rows` for the plain files a logger or an export writes:
    ASCII, no quotes, every row with the header's number of fields, no blank around a point, factor or flag,
    one time layout for the whole file (``YYYY-MM-DD[T ]HH:MM[:SS]`` with ``Z``, ``±HH:MM`` or nothing) and
    numbers that polars reads. Anything else (and every error) returns ``None``: the caller then reads the
    file with :func:`iter_data_rows`, which gives the exact error message and line.

    Why the numbers are left to polars' parser: every text it reads as a double, Python's ``float()`` reads
    (after ``strip()``, as :func:`parse_number`) to the same double, sign of zero included; every other text
    it refuses, failing the whole read (a blank field is null, as ``parse_number`` gives ``None``). Checked on
    220,000 texts of digits, signs, points, exponents, blanks, ``_``, ``inf``, ``nan`` and hex, and on every
    byte before, inside and after a number (``tests/.../test_detect_columnar.py`` keeps the edge cases);
    ``inf`` and ``nan``, which both read, are then refused as :func:`parse_number` refuses them.
    """
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if not size:
                return None
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                columns = _columns_of_file(mapped, Path(os.path.abspath(path)), zone)
    except (OSError, ValueError, BufferError):
        return None
    if columns is not None and on_progress is not None:
        on_progress(size)
    return columns


def _columns_of_file(mapped: mmap.mmap, path: Path, zone: tzinfo) -> DataColumns | None:
    """:func:`read_data_columns` of the file mapped at ``mapped`` (polars reads it by its ``path``)."""
    head_end = mapped.find(b"\n")
    names = _header_names(mapped[:head_end]) if head_end > 0 else None
    if names is None:
        return None
    buf, source = mapped, path
    if mapped.find(b"\r", head_end) >= 0:  # carriage returns (a Windows export): CRLF read as LF, in a copy
        buf = source = mapped[:].replace(b"\r\n", b"\n")
        head_end = buf.find(b"\n")
    # A carriage return left alone ends a line for the row reader (not for polars), a NUL byte it refuses: both
    # files are its to judge.
    if buf.find(b"\r", head_end) >= 0 or buf.find(b"\x00", head_end) >= 0:
        return None
    # The trailing line feeds are left out (the row reader ignores them; polars reads each but the first as
    # an empty row, dropped below).
    end = len(buf)
    while end > head_end + 1 and buf[end - 1] == 0x0A:
        end -= 1
    if end <= head_end + 1:
        return None
    from concurrent.futures import ThreadPoolExecutor

    # Polars parses in a thread (it releases the GIL) while this one counts the commas (one pass of numpy
    # over the mapped file).
    with ThreadPoolExecutor(max_workers=1) as pool:
        parsing = pool.submit(_read_frame, source, names)
        commas = _comma_count(buf, head_end + 1, end)
        frame = parsing.result()
    rows = frame.height - max(len(buf) - end - 1, 0) if frame is not None else 0
    # Polars refuses a row with more fields than the header, so no row has more than ``width - 1`` commas, and
    # ``width - 1`` commas a row in all means every row has them: none has fewer fields (polars would fill them
    # with nulls where the row reader refuses the row) and no line is blank (polars reads it as a row of nulls,
    # which the row reader skips).
    if rows < 1 or commas != rows * (len(names) - 1):
        return None
    return _columns_of_frame(frame.head(rows), {name: i for i, name in enumerate(names)}, zone)


def _columns_of_frame(frame, cols: dict[str, int], zone: tzinfo) -> DataColumns | None:
    """The frame of :func:`_read_frame` (the rows of a file whose every row has the header's fields) as
    :class:`DataColumns`, or ``None`` when a field needs the row reader's judgement: an empty point, factor or
    time; a text field that is not plain (:func:`_plain`: a quote, which the row reader reads as a quote; a
    control character; a byte outside ASCII) or, for a point, factor or flag, has a blank at either end
    (``strip()`` would change it); a time of another layout; a number that is not finite. Every text is judged
    once, as a category: the verdict is the one a check of every row gives."""
    column = {name: frame.to_series(i) for name, i in cols.items()}
    point, factor, flag = column["point"], column["factor"], column.get("flag")
    if point.null_count() or factor.null_count() or column["time"].null_count():
        return None
    texts = [name for name in cols if name not in _NUMBER_COLUMNS]
    if not all(_plain(text) for name in texts for text in column[name].dtype.categories.to_series().to_list()):
        return None
    n = frame.height
    # The columns are converted side by side (polars and numpy release the GIL in most of these calls): each
    # of them alone, in any order, gives the same arrays; a failing one sends the file to the row reader.
    jobs = {
        "points": lambda: _categories_of(point),
        "factors": lambda: _categories_of(factor),
        "times": lambda: _times_of(column["time"], zone),
        "values": lambda: _finite_numbers(column["value"]),
    }
    if flag is not None:
        jobs["flags"] = lambda: _categories_of(flag, null="")
    if "zs_value" in column:
        jobs["zs"] = lambda: _finite_numbers(column["zs_value"])
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        done = {name: pool.submit(job) for name, job in jobs.items()}
        got = {name: future.result() for name, future in done.items()}
    times, values = got["times"], got["values"]
    if times is None or values is None or got.get("zs", 0) is None:
        return None
    (points, point_code), (factors, factor_code) = got["points"], got["factors"]
    flag_names, flag_code = got["flags"] if "flags" in got else ([""], np.zeros(n, dtype=np.int32))
    if not all(_bare(name) for name in (*points, *factors)) or not all(_bare(f) or not f for f in flag_names):
        return None
    zs = got["zs"] if "zs" in got else np.full(n, np.nan)
    return DataColumns(points, point_code, factors, factor_code, times[0], times[1], values,
                       [f or None for f in flag_names], flag_code, zs)


def _plain(text: str) -> bool:
    """A text field the columnar reader takes as the row reader does: printable ASCII without a quote."""
    return text.isascii() and text.isprintable() and '"' not in text


def _bare(name: str) -> bool:
    """A point, factor or flag the row reader takes as it stands (not empty, ``strip()`` keeps it)."""
    return bool(name) and name == name.strip()


def _finite_numbers(col) -> np.ndarray | None:
    """A ``Float64`` column as ``float64``, ``NaN`` for a null (an empty field); ``None`` when a number is not
    finite (``inf`` or ``nan`` in the file, or a number beyond the double range: :func:`parse_number`
    refuses them)."""
    x = col.to_numpy(writable=True)
    return x if np.count_nonzero(np.isfinite(x)) == len(x) - col.null_count() else None


#: ISO 8601 layouts of :func:`parse_time` the columnar reader takes (one per file, by its length).
_TIME_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?$"


def _categories_of(col, null: str | None = None) -> tuple[list[str], np.ndarray]:
    """The distinct texts of a column of :func:`_read_frame` (sorted by their bytes, as ``numpy.unique``) and
    each row's index into them (``int32``: a quarter of the memory the rows' ``int64`` indexes took, which the
    system zeroes page by page, ~2 ms a column of 2.16 M rows); a null is the text ``null`` (a column with
    nulls needs one).

    The column's categories are its own, numbered in the order met, so the rows' numbers index the categories'
    list: one count over the rows says which are present, a table of ranks renumbers them."""
    names, rank, ids = _category_ranks(col, null)
    return names, rank[ids]


def _category_ranks(col, null: str | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """:func:`_categories_of` in parts: the sorted texts, each category's rank among them (``int32``) and each
    row's category (``uint32``)."""
    texts = col.dtype.categories.to_series().to_list()
    ids = col.to_physical()
    if ids.null_count():
        if null is None:
            raise ValueError("a null where the column has none")
        ids, texts = ids.fill_null(len(texts)), [*texts, null]
    ids = ids.to_numpy()
    present = np.flatnonzero(np.bincount(ids, minlength=len(texts)))
    order = sorted(present.tolist(), key=texts.__getitem__)
    rank = np.zeros(len(texts), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    return [texts[i] for i in order], rank, ids


def _times_of(col, zone: tzinfo) -> tuple[np.ndarray, np.ndarray] | None:
    """``(utc_us, local_us)`` of a time column of :func:`_read_frame`, as :func:`parse_time` reads each field,
    or ``None`` when a field is not of the file's one layout (:func:`_parse_times_pl`). A long file repeats
    each time once per point and factor (2.16 M rows, 7,200 times): the distinct texts are parsed and every row
    takes its text's result. Every check holds for all rows exactly when it holds for all distinct texts, and
    the parse is row by row, so the result is the same."""
    import polars as pl

    texts, rank, ids = _category_ranks(col)
    parsed = _parse_times_pl(pl.Series("t", texts, dtype=pl.String), zone)
    return None if parsed is None else (parsed[0][rank][ids], parsed[1][rank][ids])


def _parse_times_pl(col, zone: tzinfo) -> tuple[np.ndarray, np.ndarray] | None:
    """``(utc_us, local_us)`` of ISO 8601 texts of one layout (a ``String`` series), as :func:`parse_time`;
    ``None`` otherwise."""
    import polars as pl

    if not len(col):
        return None
    frame = col.rename("t").to_frame()
    t = pl.col("t")
    lo, hi, layout = frame.select(t.str.len_bytes().min().alias("lo"), t.str.len_bytes().max().alias("hi"),
                                  t.str.contains(_TIME_RE).all().alias("layout")).row(0)
    if lo != hi:
        return None
    size = int(lo)
    base = {16: 16, 17: 16, 22: 16, 19: 19, 20: 19, 25: 19}.get(size)
    if base is None or not layout:
        return None
    # one fixed-width byte matrix of all the times (checked by the pattern above), digits read by numpy
    text = col.str.join("").item()
    mat = np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(len(col), size)

    digits = mat - np.uint8(48)  # every digit position holds 0..9 (the pattern above)

    def part(a: int, b: int) -> np.ndarray:
        out = digits[:, a].astype(np.int32)
        for k in range(a + 1, b):
            out *= 10
            out += digits[:, k]
        return out.astype(np.int64)

    year, month, day, hour, minute = part(0, 4), part(5, 7), part(8, 10), part(11, 13), part(14, 16)
    second = part(17, 19) if base == 19 else np.zeros(len(col), dtype=np.int64)
    if (year < 1).any() or (month < 1).any() or (month > 12).any() or (day < 1).any():
        return None
    if (hour > 23).any() or (minute > 59).any() or (second > 59).any():
        return None
    # months since 1970 → their first day and length, from a table over the file's span of months
    ym = (year - 1970) * 12 + (month - 1)
    m_lo, m_hi = int(ym.min()), int(ym.max())
    table = np.arange(m_lo, m_hi + 2).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    first_day = table[ym - m_lo]
    if (day > table[ym - m_lo + 1] - first_day).any():
        return None
    days = first_day + (day - 1)
    wall = (((days * 24 + hour) * 60 + minute) * 60 + second) * _US
    tail = size - base
    if tail == 0:
        return _naive_to_zone(wall, zone)
    if tail == 1:
        return _utc_to_zone(wall, zone)
    negative = mat[:, base] == 45
    off_h, off_m = part(base + 1, base + 3), part(base + 4, base + 6)
    if (off_h > 23).any() or (off_m > 59).any():
        return None
    offset = (off_h * 60 + off_m) * 60 * _US * np.where(negative, -1, 1)
    return _utc_to_zone(wall - offset, zone)


def _hours_of(us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct clock hours of ``us`` (sorted) and each row's index into them (``numpy.unique`` with
    ``return_inverse``, by a table over the span when it is short, as a logger's file is)."""
    h = us // _HOUR_US
    lo, hi = int(h.min()), int(h.max())
    if hi - lo > 10_000_000:
        hours, inverse = np.unique(h, return_inverse=True)
        return hours, inverse.ravel()
    present = np.zeros(hi - lo + 1, dtype=bool)
    present[h - lo] = True
    slot = np.cumsum(present) - 1
    return np.flatnonzero(present) + lo, slot[h - lo]


def _zone_offset_us(dt: datetime) -> int:
    off = dt.utcoffset()
    return 0 if off is None else off // timedelta(microseconds=1)


def _utc_to_zone(utc: np.ndarray, zone: tzinfo) -> tuple[np.ndarray, np.ndarray]:
    """Instants → ``(utc_us, local_us)`` with the wall clock of ``dt.astimezone(zone)``."""
    local = np.empty_like(utc)
    hours, inverse = _hours_of(utc)
    offsets = np.empty(len(hours), dtype=np.int64)
    odd = []
    for k, h in enumerate(hours.tolist()):
        first = datetime.fromtimestamp(h * 3600, timezone.utc).astimezone(zone)
        last = (datetime.fromtimestamp(h * 3600, timezone.utc) + timedelta(microseconds=_HOUR_US - 1)).astimezone(zone)
        a, b = _zone_offset_us(first), _zone_offset_us(last)
        offsets[k] = a
        if a != b:
            odd.append(k)
    local[:] = utc + offsets[inverse]
    for k in odd:  # an hour with a change of offset: row by row
        for i in np.flatnonzero(inverse == k).tolist():
            t = (_EPOCH + timedelta(microseconds=int(utc[i]))).replace(tzinfo=timezone.utc).astimezone(zone)
            local[i] = (t.replace(tzinfo=None) - _EPOCH) // timedelta(microseconds=1)
    return utc, local


def _naive_to_zone(wall: np.ndarray, zone: tzinfo) -> tuple[np.ndarray, np.ndarray]:
    """Wall-clock times of ``zone`` → ``(utc_us, local_us)`` as ``dt.replace(tzinfo=zone)`` (fold 0)."""
    utc = np.empty_like(wall)
    hours, inverse = _hours_of(wall)
    offsets = np.empty(len(hours), dtype=np.int64)
    odd = []
    for k, h in enumerate(hours.tolist()):
        first = (_EPOCH + timedelta(hours=h)).replace(tzinfo=zone)
        last = (_EPOCH + timedelta(hours=h, microseconds=_HOUR_US - 1)).replace(tzinfo=zone)
        a, b = _zone_offset_us(first), _zone_offset_us(last)
        offsets[k] = a
        if a != b:
            odd.append(k)
    utc[:] = wall - offsets[inverse]
    for k in odd:
        for i in np.flatnonzero(inverse == k).tolist():
            t = (_EPOCH + timedelta(microseconds=int(wall[i]))).replace(tzinfo=zone)
            utc[i] = wall[i] - _zone_offset_us(t)
    return utc, wall


def _counting(lines: Iterable[str], on_progress: Callable[[int], None] | None) -> Iterator[str]:
    if on_progress is None:
        yield from lines
        return
    chars = 0
    for i, text in enumerate(lines, 1):
        chars += len(text)
        if i % 10_000 == 0:
            on_progress(chars)
            chars = 0
        yield text
    on_progress(chars)


def read_marks(path: Path, zone: tzinfo) -> list[Mark]:
    """Read the marks CSV.

    Raises
    ------
    AuditInputError
        Missing column, unknown type, bad time, end not after start.
    """
    marks: list[Mark] = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        cols = _header(reader, path, MARK_REQUIRED)
        width = max(cols.values()) + 1
        for fields in reader:
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) < width:
                raise AuditInputError(path, line, N_("%(count)s field(s), the header has %(width)s"),
                                      count=len(fields), width=width)
            point = fields[cols["point"]].strip()
            factor = fields[cols["factor"]].strip() or None
            kind = fields[cols["type"]].strip().lower()
            if not point:
                raise AuditInputError(path, line, N_("empty point"))
            if kind not in MARK_TYPES:
                raise AuditInputError(path, line, N_("unknown mark type %(kind)r (one of %(known)s)"), kind=kind,
                                      known=", ".join(MARK_TYPES))
            times = []
            for col in ("start", "end"):
                try:
                    times.append(parse_time(fields[cols[col]], zone))
                except ValueError:
                    raise AuditInputError(path, line, N_("bad %(column)s time %(text)r (ISO 8601 expected)"),
                                          column=col, text=fields[cols[col]]) from None
            if times[1] <= times[0]:
                raise AuditInputError(path, line, N_("end is not after start"))
            marks.append(Mark(line, point, factor, kind, times[0], times[1]))
    return marks


def write_atomically(path: Path, write: Callable[[object], None]) -> Path:
    """Write to a temporary file beside ``path``; return the temp path (rename with ``os.replace``).

    The caller renames all its outputs once every one of them is written; on error the temporary file
    is removed and the exception propagates.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            write(fh)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)
