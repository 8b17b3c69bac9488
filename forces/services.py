from pathlib import Path

from django.db import transaction

from forces.data import FORCES_CSV, LoadResult, read_forces, upsert_forces
from forces.models import Force, FormerName


def forces_load(*, path: Path = FORCES_CSV) -> LoadResult:
    """Create or update the forces listed in `path` (by default the 43 that ship with the application).

    All or nothing: a malformed file raises `forces.data.ForceFileError` and changes no force.
    """
    with transaction.atomic():
        return upsert_forces(read_forces(path), force_model=Force, former_name_model=FormerName)
