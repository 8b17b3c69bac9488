"""Files in and out: reading CSV and XLSX files, the one import engine for decisions and for reviews (with the
PostgreSQL bulk loader), the downloads, and the django-import-export resources the data administration pages
export with (every file that comes in, from the command line, the upload page or the data administration, goes
through the one engine, so there is one set of import rules).

What other parts may use:

* `decisions`: `decisions_import`, and `decision_record` for one decision;
* `reviews`: `reviews_import`;
* `reading`: `DECISION_FILE`, `REVIEW_FILE` (the file formats), `ImportReport`, `RowError` and `ERROR_CAP`;
* `progress`: `Progress` and its phases, what an import reports to whoever watches it, and `NO_PROGRESS`;
* `cells`: `escape_formula`, the one rule for cells a spreadsheet would run, and `escape_dataset` for a whole file;
* `resources`: the resources the data administration pages export with (they do not import).

Its views and URLs are its own.
"""
