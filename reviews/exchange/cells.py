"""The one rule for cells that a spreadsheet program would run as a formula, and how a cell that cannot be read
travels from the file to the row rules.

A cell starting with one of `FORMULA_STARTS` is written with a leading apostrophe, which spreadsheet programs
show as text; reading a file takes that apostrophe off again, so a value goes out and comes back unchanged.

A cell that cannot be read as text (it holds a NUL byte, or a formula with no saved value) is read as `UNREADABLE`
followed by why; the row rules report it as a row error (`reading.unreadable_cells`). A NUL byte is never text, so
no value read from a file keeps one: only these cells hold it.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value):
    """`value` made safe to open in a spreadsheet program; anything but text is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_formula(cell: str) -> str:
    """A cell as it was before `escape_formula`."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS else cell


UNREADABLE = "\x00"


def unreadable(reason: str) -> str:
    """A cell that cannot be read, and why."""
    return UNREADABLE + reason


def nul_byte(cell: str) -> str:
    """A cell holding a NUL byte, read as unreadable."""
    return unreadable(
        f"holds a NUL byte (0x00) at character {cell.index(UNREADABLE) + 1}, which is not text; delete it and try again"
    )
