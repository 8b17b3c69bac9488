"""The one rule for cells that a spreadsheet program would run as a formula.

A cell starting with one of `FORMULA_STARTS` is written with a leading apostrophe, which spreadsheet programs
show as text; reading a file takes that apostrophe off again, so a value goes out and comes back unchanged.
"""

from tablib import Dataset

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value):
    """`value` made safe to open in a spreadsheet program; anything but text is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_formula(cell: str) -> str:
    """A cell as it was before `escape_formula`."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS else cell


def escape_dataset(dataset):
    """A copy of a tablib `Dataset` with `escape_formula` applied to its headers and every cell."""
    escaped = Dataset(title=dataset.title, headers=[escape_formula(header) for header in dataset.headers])
    for row in dataset:
        escaped.append([escape_formula(cell) for cell in row])
    return escaped
