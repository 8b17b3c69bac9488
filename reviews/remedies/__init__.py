"""Putting findings right: an action for every decision judged incorrect and every victim not told, the force
contact's outcomes, the supervisor's acceptance, due dates, summaries and the daily reminders.

What other parts may use:

* `services`: `actions_raise`, which signing an audit off calls to create (or withdraw) its actions;
* `selectors`: `action_summaries`, `audit_actions` and `put_right_shares`, for the force page, its printable report
  and the national table.

Its views and URLs are its own.
"""
