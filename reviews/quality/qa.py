"""Quality assurance of an audit: which sampled items get a blind second review, and how accurately each auditor
answers items whose verdict is already settled ("known-answer" items).

Pure functions over identifiers and answers, so the services and selectors that use them stay thin and the
rules can be checked without a database.
"""

import hashlib
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from reviews.quality.agreement import group_pairs

SHARE_INVALID = "The second review share must be a whole number from 0 to 100."

# Keeps the second-review order independent of any other use of the audit's seed (the sample draw).
_SECOND_REVIEW_SALT = "second-review"


def second_review_count(*, size: int, share: int) -> int:
    """How many of a category's `size` sampled items get a second review at `share` per cent.

    The share is rounded up in each category: every category with items gets at least the share asked
    (so at least one item once the share is above 0), and never a whole item more than the exact share.
    0% selects nothing, 100% everything. Raises `ValueError` for a share outside 0-100 or a negative size.
    """
    _check_share(share)
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"A category's size must be a whole number of at least 0, not {size!r}.")
    return (size * share + 99) // 100  # the ceiling, in whole numbers


def second_review_selection(
    *,
    items_by_category: Mapping[str, Sequence],
    share: int,
    seed: int,
    already_chosen: Mapping[str, Iterable] | None = None,
) -> dict[str, list]:
    """The items of each category that get a second review, chosen reproducibly from the audit's seed.

    `items_by_category` maps each offence category to its sampled items, given as stable identifiers
    (primary keys or references: whole numbers or strings). Each category gets `second_review_count`
    of its items, so the selection follows the share in every category to within one item.

    Each item is ranked by a SHA-256 digest of the seed, its category and its identifier, and the lowest
    ranks are chosen. So the choice depends only on the seed and on which items there are: not on the order
    of the categories or of the items, nor on anything else drawn from the same seed. Raising the share keeps
    every item chosen at the lower share. The chosen items are returned in the order they were given (the
    sample's own order), under every category given, in category order.

    `already_chosen` ({category: items}) are items that have second reviews already, for instance before the
    sample was extended: they stay chosen, and the category is topped up to its count with the next items
    in rank order. A second review already under way is never dropped, so a category that already has more
    than its count (the share was lowered) keeps exactly the items it had.

    Raises `ValueError` for a share outside 0-100, a seed that is not a whole number, an item that is not a
    whole number or string, an item listed twice in a category, or an already chosen item that is not in
    its category's items.
    """
    _check_share(share)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"The seed must be a whole number, not {seed!r}.")
    already_chosen = already_chosen or {}
    unknown = set(already_chosen) - set(items_by_category)
    if unknown:
        raise ValueError(f"Items are already chosen in {', '.join(sorted(unknown))}, which has no items.")
    selection: dict[str, list] = {}
    for category in sorted(items_by_category):
        items = list(items_by_category[category])
        _check_items(items, category)
        kept = set(already_chosen.get(category, ()))
        if not kept <= set(items):
            missing = sorted(map(str, kept - set(items)))
            raise ValueError(f"Already chosen {', '.join(missing)} is not among the items of {category}.")
        wanted = second_review_count(size=len(items), share=share)
        ranked = sorted((item for item in items if item not in kept), key=lambda item: _rank(seed, category, item))
        chosen = kept | set(ranked[: max(wanted - len(kept), 0)])
        selection[category] = [item for item in items if item in chosen]
    return selection


def _check_share(share: int) -> None:
    if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
        raise ValueError(SHARE_INVALID)


def _check_items(items: list, category: str) -> None:
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise ValueError(f"Items are identified by a whole number or a string, not {item!r}.")
    repeated = [item for item, times in Counter(items).items() if times > 1]
    if repeated:
        raise ValueError(f"{repeated[0]!r} is listed more than once in {category}.")


def _rank(seed: int, category: str, item: int | str) -> tuple[bytes, str]:
    # The type tag keeps the whole number 5 and the string "5" apart; the identifier breaks (impossible) ties.
    label = f"{_SECOND_REVIEW_SALT}\x1f{seed}\x1f{category}\x1f{type(item).__name__}\x1f{item}"
    return hashlib.sha256(label.encode()).digest(), f"{type(item).__name__}:{item}"


@dataclass(frozen=True)
class Accuracy:
    """How many of an auditor's answers on known-answer items matched the settled verdict."""

    correct: int
    total: int

    @property
    def share(self) -> float | None:
        """The proportion correct, or `None` when the auditor has answered no known-answer item."""
        return self.correct / self.total if self.total else None

    @property
    def incorrect(self) -> int:
        return self.total - self.correct


def known_answer_accuracy(pairs: Iterable[tuple[Hashable, Hashable]]) -> Accuracy:
    """Accuracy over `(auditor's answer, settled answer)` pairs.

    An answer can be a single verdict ("yes") or a tuple of several (decision correct, victim informed),
    in which case every part must match. Raises `ValueError` for a blank answer on either side: only
    finished reviews of items with a settled answer belong here.
    """
    tally = Counter()
    for given, settled in pairs:
        tally[_checked_answers(given, settled)] += 1
    return Accuracy(correct=tally[True], total=tally.total())


def known_answer_accuracy_by_auditor(rows: Iterable[Sequence]) -> dict[Hashable, Accuracy]:
    """Accuracy per auditor from `(auditor, answer, settled answer)` rows, or
    `(auditor, answer, settled answer, count)` rows counted in SQL. Auditors come back in the order they
    first appear. Raises `ValueError` as `known_answer_accuracy` does."""
    correct: dict[Hashable, int] = {}
    total: dict[Hashable, int] = {}
    for auditor, (given, settled), count in group_pairs(rows):
        matched = _checked_answers(given, settled)
        correct[auditor] = correct.get(auditor, 0) + (count if matched else 0)
        total[auditor] = total.get(auditor, 0) + count
    return {auditor: Accuracy(correct=correct[auditor], total=total[auditor]) for auditor in total}


def _checked_answers(given: Hashable, settled: Hashable) -> bool:
    for answer in (given, settled):
        parts = answer if isinstance(answer, tuple) else (answer,)
        if not parts or any(part in ("", None) for part in parts):
            raise ValueError("A known-answer item is compared only once both answers are given.")
    return given == settled
