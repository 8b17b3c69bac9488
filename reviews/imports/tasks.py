"""The import job as a task of Django's Tasks API, queued on the "imports" queue."""

from django.conf import settings
from django_tasks import task

from reviews.imports.runner import import_job_run


@task(queue_name=settings.TASKS_QUEUE)
def run_import_job(job_id: int) -> str:
    """Run the import job `job_id` (see `import_job_run`); returns the state it ended in."""
    return import_job_run(job_id=job_id)
