"""Reading the first sheet of an XLSX workbook for the imports, bounded by what the sheet holds.

A sheet may declare far more than it holds: a dimension of the whole grid (`A1:XFD1048576`) with one row at the
bottom makes openpyxl's read-only rows pad every row to the declared width and fill every row in between, millions
of cells for a file of a few kilobytes. Here the rows come from the sheet's own XML, through openpyxl's parser:
a row with no value is skipped without a cell being made, the header is read up to `MAX_COLUMNS`, and each record
only as wide as the header. The size the workbook unpacks to is checked first (`unpacked_size`).

A formula is read as the value it was saved with; one saved without a value is an unreadable cell (see `cells`).
A sheet whose XML is cut short or malformed, or whose cells cannot be what their type says, refuses the file as
damaged, naming the last row read.
"""

import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO
from xml.etree.ElementTree import ParseError

from reviews.errors import ImportFileError
from reviews.exchange.cells import UNREADABLE, nul_byte, unreadable

NOT_A_TABLE = "The file is neither a CSV file nor an XLSX workbook."
# A workbook's header may name at most this many columns (the formats have a dozen; unknown ones are ignored).
MAX_COLUMNS = 200
# A workbook may unpack to at most this many times the largest file accepted.
MAX_UNPACKED_TIMES = 10
RESAVE_WORKBOOK = "Open it in a spreadsheet program, save it as XLSX, and try again."
# What openpyxl's parser raises for a sheet whose XML is cut short or malformed, or whose cells or rows hold what
# their type cannot (text in a number cell, a shared text that does not exist, a row or cell reference that is
# not one, a date that is not a date).
_DAMAGED_SHEET_ERRORS = (ParseError, ValueError, TypeError, IndexError, KeyError)


def unpacked_size(file: IO[bytes]) -> int:
    """The bytes the workbook's parts unpack to, as its archive declares them (no part is ever read past that)."""
    try:
        with zipfile.ZipFile(file) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(NOT_A_TABLE) from error
    finally:
        file.seek(0)


def read_workbook(file: IO[bytes], *, count: bool = False):
    """(headings, (row number, cells as text) of each record, notices, and with `count` the rows listed under the
    header (`listed_rows`), else None) of the workbook's first sheet."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except ParseError as error:
        # A part cut short or malformed; a sheet declaring no dimension is read through while opening it.
        raise ImportFileError(f"The workbook is damaged and cannot be read. {RESAVE_WORKBOOK}") from error
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFileError(NOT_A_TABLE) from error
    sheets = workbook.worksheets
    if not sheets:
        raise ImportFileError("The workbook has no sheets.")
    notices = []
    if len(sheets) > 1:
        notices.append(
            f'The workbook has {len(sheets)} sheets: only the first, "{sheets[0].title}", was read; '
            f"the others ({', '.join(sheet.title for sheet in sheets[1:])}) were not."
        )
    total = listed_rows(workbook, sheets[0]) if count else None
    rows = _sheet_rows(workbook, sheets[0])
    header = next(rows, None)
    return (header[1] if header else None), rows, notices, total


# A row of a sheet's XML, as Excel and openpyxl write it.
_ROW_TAGS = (b"<row ", b"<row>")
_ROW_TAG_LENGTH = 5


def listed_rows(workbook, sheet) -> int | None:
    """The rows `sheet` lists under its header, counted in its XML (unpacked, not parsed: a few per cent of the
    time reading it takes). A row listed with no value in it (a height or a style) is counted too, though the
    import passes over it; a cell's text cannot hold the tags counted, which would be escaped. None when the
    sheet's XML cannot be read, or names its namespace in its tags (`<x:row>`, which few programs write)."""
    listed, tail = 0, b""
    try:
        with workbook._archive.open(sheet._worksheet_path) as source:
            while chunk := source.read(1024 * 1024):
                # A tag cut by the end of a chunk is counted in the next one, with the chunk's last bytes.
                data = tail + chunk
                listed += sum(data.count(tag) for tag in _ROW_TAGS)
                tail = data[-(_ROW_TAG_LENGTH - 1) :]
    except (zipfile.BadZipFile, zlib.error, OSError, KeyError, EOFError):
        # A damaged part: reading the sheet says so, naming the last row read.
        return None
    return max(listed - 1, 0) if listed else None


_NO_SAVED_VALUE = object()


def _sheet_rows(workbook, sheet) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) of each row of `sheet` holding a value (see `_sheet_records`). A sheet that
    stops being readable refuses the file with `ImportFileError`, naming the last row read."""
    last = None
    try:
        for number, row in _sheet_records(workbook, sheet):
            last = number
            yield number, row
    except ImportFileError:
        raise
    except _DAMAGED_SHEET_ERRORS as error:
        raise ImportFileError(_damaged_sheet(sheet.title, last)) from error


def _damaged_sheet(title: str, last: int | None) -> str:
    where = f" after row {last}" if last is not None else ""
    return f'The workbook is damaged: its sheet "{title}" cannot be read{where}. {RESAVE_WORKBOOK}'


def _sheet_records(workbook, sheet) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) of each row of `sheet` holding a value, read from the rows the sheet has: the
    dimension it declares, and the empty rows and cells it may list, are never made into cells. The first such row,
    the header, is read up to `MAX_COLUMNS` (a value further right refuses the file); the others as wide as it."""
    from openpyxl.utils import get_column_letter

    width = None
    with workbook._archive.open(sheet._worksheet_path) as source:
        for number, cells in _sheet_parser(workbook, sheet, source).parse():
            values = {}
            for cell in cells:
                column, value = cell["column"], cell["value"]
                if value is None or (width is not None and column > width):
                    continue
                if column > MAX_COLUMNS:
                    raise ImportFileError(
                        f"The header row has a value in column {get_column_letter(column)}; a file may have at "
                        f"most {MAX_COLUMNS} columns. Delete the columns right of the data and try again."
                    )
                values[column] = value
            if not values:
                continue
            row = [""] * (width or max(values))
            for column, value in values.items():
                row[column - 1] = _xlsx_cell(value, column, number)
            width = width or len(row)
            yield number, row


def _sheet_parser(workbook, sheet, source):
    """openpyxl's own parser of a sheet's XML, as its read-only sheets use it (openpyxl is pinned: the attributes
    read here are its own), passing over rows whose cells hold nothing without parsing them, and telling a formula
    with no saved value from an empty cell.

    A formula cell holds the value it last had when a spreadsheet program computed and saved it; a program that
    does not compute (openpyxl itself) writes the formula alone. A formula whose value is empty text is saved as
    text ("str"), and stays an empty cell."""
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class SheetParser(WorkSheetParser):
        def parse_row(self, row):
            number = row.get("r")
            if any(len(cell) for cell in row) or (number is not None and not number.isdigit()):
                return super().parse_row(row)
            # No cell of the row holds a value or a formula (each would be an element in it): nothing to parse,
            # and nothing kept of it (openpyxl keeps each row's height and style, a million of them in some files).
            self.row_counter = int(number) if number else self.row_counter + 1
            return self.row_counter, ()

        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["value"] is None and element.get("t") != "str" and element.find(FORMULA_TAG) is not None:
                cell["value"] = _NO_SAVED_VALUE
            return cell

    return SheetParser(
        source,
        sheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )


def _xlsx_cell(value, column: int, number: int) -> str:
    if isinstance(value, str):
        return value if UNREADABLE not in value else nul_byte(value)
    if value is _NO_SAVED_VALUE:
        from openpyxl.utils import get_column_letter

        return unreadable(
            f"the cell {get_column_letter(column)}{number} holds a formula with no saved value; "
            "open the file in a spreadsheet program, save it, and try again"
        )
    if isinstance(value, datetime):
        return value.date().isoformat() if not value.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
