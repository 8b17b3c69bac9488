"""How far two auditors who reviewed the same decisions agree: percentage agreement, Cohen's kappa and Gwet's AC1.

Percentage agreement alone flatters: two auditors who answer at random still agree often. Cohen's kappa
(Cohen 1960) corrects for the agreement chance alone would give, estimated from each auditor's own answer
rates. When nearly every decision is correct that chance agreement is itself close to 1, so kappa collapses
even when the auditors almost always agree (the "kappa paradox", Feinstein and Cicchetti 1990). Gwet's AC1
(Gwet 2008, "Computing inter-rater reliability and its variance in the presence of high agreement") takes
chance agreement from how evenly the answers spread over the categories instead, and stays close to the
observed agreement in that case. Both are reported, each with the number of items behind it.

The arithmetic is exact (fractions of whole counts), so a degenerate table is recognised as such rather than
by a rounding accident: when both auditors give every item the same answer, kappa is 0/0 and is reported as
not computable, with the reason, while percentage agreement and AC1 (both 1) are still defined.

Everything here is pure Python over counts, so a selector can count answer pairs in SQL
(`values(...).annotate(Count(...))`) and pass the rows to `agreement_by_group`.
"""

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

NO_ITEMS = "No decision has been reviewed twice yet."
KAPPA_SAME_VERDICT = "Kappa cannot be computed when every verdict is the same."

# One answer pair of two auditors on one item: (first auditor's answer, second auditor's answer).
Pair = tuple[str, str]


@dataclass(frozen=True)
class Coefficient:
    """One agreement figure with the number of items it rests on.

    `value` is a proportion (1 is perfect agreement; kappa and AC1 can fall below 0 when the auditors
    agree less than chance would). It is `None` when the figure cannot be computed, and `reason` then
    says why in words a page can show.
    """

    value: float | None
    items: int
    reason: str = ""

    @property
    def is_defined(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Agreement:
    """Agreement between two auditors over `items` items, `agreed` of which they answered alike."""

    items: int
    agreed: int
    percent_agreement: Coefficient
    kappa: Coefficient
    ac1: Coefficient

    @property
    def disagreed(self) -> int:
        return self.items - self.agreed


def agreement(ratings_a: Sequence[str], ratings_b: Sequence[str], *, categories: Iterable[str]) -> Agreement:
    """Agreement between two auditors' answers to the same items, given in the same order.

    `categories` is the whole answer scale (for example `Verdict.values`), not only the answers used:
    AC1's chance agreement depends on how many answers were possible.

    Raises `ValueError` when the two lists differ in length, an answer is not on the scale, or the scale
    has fewer than two distinct answers.
    """
    if len(ratings_a) != len(ratings_b):
        counts = f"{len(ratings_a)} and {len(ratings_b)}"
        raise ValueError(f"The two auditors answered a different number of items ({counts}).")
    return agreement_from_counts(Counter(zip(ratings_a, ratings_b, strict=True)), categories=categories)


def agreement_from_counts(counts: Mapping[Pair, int], *, categories: Iterable[str]) -> Agreement:
    """Agreement from a contingency table: `counts[(answer_a, answer_b)]` items got that pair of answers.

    Raises `ValueError` as `agreement` does, and for a negative or non-whole count.
    """
    scale = _scale(categories)
    table: Counter[Pair] = Counter()
    for pair, count in counts.items():
        _check_pair(pair, scale)
        table[pair] += _checked_count(count)
    return _agreement(table, scale)


def agreement_by_group(rows: Iterable[Sequence], *, categories: Iterable[str]) -> dict[Hashable, Agreement]:
    """Agreement per group (an audit, a category, a pair of auditors...) from answer rows.

    Each row is `(group key, answer A, answer B)` for one item, or `(group key, answer A, answer B, count)`
    for `count` items with that pair of answers, as a SQL `GROUP BY` gives them. Groups come back in the
    order they first appear, so the query's ordering carries through to the page. A group appears only if
    it has rows; ask `agreement_from_counts({}, ...)` for the "no items yet" result of an empty one.

    Kappa and AC1 do not change when the two auditors are swapped, so rows of one pair of auditors may give
    their answers in either order (see `auditor_pair`).
    """
    scale = _scale(categories)
    tables: dict[Hashable, Counter[Pair]] = {}
    for key, pair, count in group_pairs(rows):
        tables.setdefault(key, Counter())[pair] += count
    # Checked once per distinct pair of answers rather than per row: item rows can run to hundreds of thousands.
    for table in tables.values():
        for pair in table:
            _check_pair(pair, scale)
    return {key: _agreement(table, scale) for key, table in tables.items()}


def auditor_pair(first: Hashable, second: Hashable) -> tuple:
    """The group key of two auditors, the same whichever reviewed first (ids sort, so pass ids)."""
    return tuple(sorted((first, second)))


def group_pairs(rows: Iterable[Sequence]) -> Iterable[tuple[Hashable, tuple, int]]:
    """`(key, (a, b), count)` for each `(key, a, b)` row (one item) or `(key, a, b, count)` row (counted in SQL).

    Raises `ValueError` for a row of another length or a count that is not a whole number of at least 0.
    """
    for row in rows:
        if len(row) == 3:
            key, answer_a, answer_b = row
            count = 1
        elif len(row) == 4:
            key, answer_a, answer_b, count = row
        else:
            raise ValueError(f"A row is (group, answer A, answer B) or (group, answer A, answer B, count): {row!r}.")
        yield key, (answer_a, answer_b), _checked_count(count)


def _scale(categories: Iterable[str]) -> tuple[str, ...]:
    scale = tuple(dict.fromkeys(categories))
    if len(scale) < 2:
        raise ValueError("Agreement needs an answer scale of at least two categories.")
    return scale


def _check_pair(pair: Pair, scale: tuple[str, ...]) -> None:
    for answer in pair:
        if answer not in scale:
            raise ValueError(f"{answer!r} is not one of the answers {', '.join(scale)}.")


def _checked_count(count) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"A count of items must be a whole number of at least 0, not {count!r}.")
    return count


def _agreement(table: Counter[Pair], scale: tuple[str, ...]) -> Agreement:
    items = sum(table.values())
    agreed = sum(table[(answer, answer)] for answer in scale)
    if items == 0:
        nothing = Coefficient(value=None, items=0, reason=NO_ITEMS)
        return Agreement(items=0, agreed=0, percent_agreement=nothing, kappa=nothing, ac1=nothing)

    by_a = Counter()
    by_b = Counter()
    for (answer_a, answer_b), count in table.items():
        by_a[answer_a] += count
        by_b[answer_b] += count
    observed = Fraction(agreed, items)

    # Cohen (1960): chance agreement if each auditor answered independently at their own rates.
    kappa_chance = sum(Fraction(by_a[answer] * by_b[answer], items * items) for answer in scale)
    if kappa_chance == 1:
        kappa = Coefficient(value=None, items=items, reason=KAPPA_SAME_VERDICT)
    else:
        kappa = Coefficient(value=float((observed - kappa_chance) / (1 - kappa_chance)), items=items)

    # Gwet (2008), first-order agreement coefficient: pi_k is the share of all answers (both auditors')
    # in category k; chance agreement is sum(pi_k * (1 - pi_k)) / (q - 1), which never reaches 1 when
    # the scale has q >= 2 answers, so AC1 is defined whenever there is an item.
    shares = [Fraction(by_a[answer] + by_b[answer], 2 * items) for answer in scale]
    ac1_chance = sum(share * (1 - share) for share in shares) / (len(scale) - 1)
    ac1 = Coefficient(value=float((observed - ac1_chance) / (1 - ac1_chance)), items=items)

    return Agreement(
        items=items,
        agreed=agreed,
        percent_agreement=Coefficient(value=float(observed), items=items),
        kappa=kappa,
        ac1=ac1,
    )
