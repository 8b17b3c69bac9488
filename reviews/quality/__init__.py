"""Quality assurance: blind second reviews, disagreements and final verdicts, agreement, known-answer items.

What other parts may use:

* `services`: `second_reviews_select` and `disagreement_detect`, which the workflow calls after a draw and a
  submission, and `audit_set_second_review_share`;
* `selectors`: `audit_quality`, `disagreement_of`, `unresolved_disagreements`, for the audit and review pages;
* `qa`: `SHARE_INVALID`, the message for a share outside 0 to 100.

Its views and URLs are its own.
"""
