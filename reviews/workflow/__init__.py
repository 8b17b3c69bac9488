"""The audit workflow: plan an audit and draw its sample, assign, review, return, approve, sign off and reopen.

What other parts may use:

* `planning`: `audit_create`, `audit_plan`, `audit_draw_sample` (the demo data and imports plan audits too);
* `services`: `review_save`, `review_return`, `review_approve`, `audit_assign_evenly`, `audit_sign_off`;
* `locking`: `lock_open_audit`, `record_change`, for services of other parts that change an audit's reviews (and
  `record_change` for the actions);
* `selectors`: `history_of`;
* `forms`: `ReviewForm` and `second_review_share_field`, which the quality pages extend, and `ReasonForm` and
  `DateField`, which the actions pages use;
* `filters`: `category_filter`.

Its views and URLs are its own.
"""
