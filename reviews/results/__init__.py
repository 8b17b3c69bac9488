"""Results: the figures per force, audit and category, their statistics and charts, the force and national pages.

What other parts may use:

* `selectors`: `FIGURES`, the counts every results download shares with the pages, and `NOT_TOLD`, the answers
  that count a victim as not told;
* `statistics`: `wilson_interval` and `Share`, the one definition of a rate and its interval.

Its views and URLs are its own.
"""
