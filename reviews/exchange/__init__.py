"""Files in and out: reading CSV and XLSX files, the one import engine for decisions and for reviews (with the
PostgreSQL bulk loader), the downloads, and the data administration pages' import-export resources.

What other parts may use:

* `decisions`: `decisions_import`, and `decision_record` for one decision;
* `reviews`: `reviews_import`;
* `reading`: `DECISION_FILE`, `REVIEW_FILE` (the file formats), `ImportReport`, `RowError` and `ERROR_CAP`;
* `progress`: `Progress` and its phases, what an import reports to whoever watches it, and `NO_PROGRESS`;
* `cells`: `escape_formula`, the one rule for cells a spreadsheet would run, and `escape_dataset` for a whole file;
* `resources`: the resources the data administration pages export with.

Its views and URLs are its own.
"""
