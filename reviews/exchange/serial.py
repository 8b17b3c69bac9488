"""One import at a time: every import, whichever way its file came in (an upload's job, the command line), runs in
a transaction that no other import shares, and a second waits for the first instead of colliding with it."""

import time
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction

# The PostgreSQL advisory lock every import holds for its transaction: the number is arbitrary but fixed.
IMPORT_LOCK = 7_146_001


@contextmanager
def one_import_at_a_time(*, writes: bool = True):
    """A transaction for one import. On PostgreSQL, an advisory lock held to its end. On SQLite, the write lock,
    taken as the transaction begins and waited for (up to `IMPORT_JOB_TIMEOUT`) while another import holds it; a
    check that `writes` nothing to the tables (it stages the file in temporary tables only) begins without it, so
    it neither waits for an import nor holds up the service's other writes while it reads."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
            yield
        return
    connection.ensure_connection()
    mode = connection.transaction_mode
    if not writes:
        connection.transaction_mode = "DEFERRED"
    try:
        atomic = _begun(time.monotonic() + settings.IMPORT_JOB_TIMEOUT)
    finally:
        connection.transaction_mode = mode
    try:
        yield
    except BaseException as error:
        if not atomic.__exit__(type(error), error, error.__traceback__):
            raise
    else:
        atomic.__exit__(None, None, None)


def _begun(deadline: float):
    """A transaction begun on SQLite, trying again for as long as another writer holds the lock (each try waits the
    database's own timeout) and the deadline allows."""
    while True:
        atomic = transaction.atomic()
        try:
            atomic.__enter__()
            return atomic
        except OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
