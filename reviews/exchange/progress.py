"""What an import tells whoever is watching it, and how it learns that it should stop.

The import engine (`decisions_import`, `reviews_import`) takes a `Progress` and calls it between chunks of work:
`phase()` when it moves on to reading, checking, writing or rebuilding indexes, and `advance()` with the rows
done so far in that phase. Each call may raise `ImportCancelled`, inside the import's transaction, so a cancelled
import is undone like any other refused one. The calls always come from the thread that called the import, never
from the thread that checks rows beside it. The base class does nothing: the command line and the tests use it.
"""

# The phases of an import, in the order they come; the words are those the progress page shows.
READING = "reading"
CHECKING = "checking"
WRITING = "writing"
REBUILDING = "rebuilding indexes"
PHASES = (READING, CHECKING, WRITING, REBUILDING)


class Progress:
    """Progress that nobody watches: every call does nothing."""

    # Whether the rows to go through are shown to someone: only then does the import count a file's records before
    # reading them, a pass over the file that costs a few per cent of the import (`reading.open_table`).
    wants_total = False

    def phase(self, name: str, *, total: int | None = None) -> None:
        """The import starts phase `name` (one of `PHASES`); `total` is the number of rows it will go through,
        when known."""

    def advance(self, done: int) -> None:
        """`done` rows of the current phase are done (a running total, not an increment)."""


NO_PROGRESS = Progress()
