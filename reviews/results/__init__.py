"""Results: the figures per force, audit and category, their statistics and charts, publishing them as frozen
versions, the force and national pages.

What other parts may use:

* `selectors`: `FIGURES`, the counts every results download shares with the pages, and `NOT_TOLD`, the answers
  that count a victim as not told;
* `statistics`: `wilson_interval` and `Share`, the one definition of a rate and its interval, and the planning
  figures (`upper_bound_if_none_found`, `sample_size_for_margin`, `attribute_sample_size`);
* `publishing`: `audit_publish`, which publishes a signed-off audit's results (the demo data publishes with it);
* `published`: `last_published_shares`, the rates planning assumes.
* `opendata`: the open data package of the published results, a release of which `audit_publish` builds with
  every publication (`open_data_release_build`, which the `open_data_release` command runs too).

Its views and URLs are its own.
"""
