"""Counting a CSV file's records from its bytes, for an import's progress bar: as the csv module reads them, but
without building a single cell."""

from typing import IO

# What a record with no value holds (`_rows` passes over it), with its separators: spaces and empty quoted cells.
_BLANK_RECORD = b' \t\r"'


def csv_records_count(file: IO[bytes], delimiter: str, *, chunk: int = 1024 * 1024) -> int | None:
    """The records under the header, as `csv.reader` and `_rows` read them, counted from the bytes: a line break
    ends a record unless it is inside a quoted cell, and a record holding no value is passed over. About three
    times as fast as counting with the csv module (which builds every cell), so the count costs about 2% of an
    import. The separator, quotes and line breaks are the same bytes in UTF-8 and Windows-1252, so no decoding is
    needed. None for a file whose lines end in carriage returns alone (the csv module's count is left to the
    import itself)."""
    separator, blank_bytes = ord(delimiter), _BLANK_RECORD + delimiter.encode()
    records, quoted, blank, rest = 0, False, True, b""
    try:
        while read := file.read(chunk):
            if not records and not rest and b"\n" not in read and b"\r" in read:
                return None
            lines = (rest + read).split(b"\n")
            rest = lines.pop()
            for line in lines:
                if quoted or b'"' in line:
                    if not quoted:
                        blank = not line.strip(blank_bytes)
                    quoted = _ends_quoted(line, quoted=quoted, separator=separator)
                    if not quoted:
                        records += not blank
                    blank = blank and not quoted
                elif line.strip(blank_bytes):
                    records += 1
    finally:
        file.seek(0)
    if quoted or rest.strip(blank_bytes):
        records += 1
    # The header is the first record.
    return max(records - 1, 0)


def _ends_quoted(line: bytes, *, quoted: bool, separator: int) -> bool:
    """Whether a line leaves its record inside a quoted cell, given whether it starts inside one. As the csv
    module reads it: a quote opens a quoted cell only at the start of a cell, two quotes in one are a quote, and
    any other quote is text."""
    position = 0
    while True:
        if quoted:
            end = line.find(b'"', position)
            if end < 0:
                return True
            if line[end + 1 : end + 2] == b'"':
                position = end + 2
            else:
                quoted, position = False, end + 1
        else:
            start = line.find(b'"', position)
            if start < 0:
                return False
            quoted = start == 0 or line[start - 1] == separator
            position = start + 1
