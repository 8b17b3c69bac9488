"""Imports as background jobs: a data steward uploads a decisions or reviews file in the browser, a worker checks it
or imports it with the one import engine (`reviews.exchange`), and the job's page shows its progress and outcome.

What other parts may use:

* `services`: `import_job_create`, for any way a file comes in through the web (the upload page, the data
  administration pages);
* `selectors`: `import_jobs_visible`;
* `forms`: `ImportUploadForm`, the upload form (with the double-submit check in its `save`), which the data
  administration's import buttons show too;
* `demo`: `import_jobs_seed`, the demo's finished jobs.

Its views and URLs are its own. The job's body is `runner.import_job_run`, queued as `tasks.run_import_job`.
"""
