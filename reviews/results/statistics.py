"""The figures the summary pages print: shares with their 95% Wilson interval, rounded once for every page and
export, and the plain-English wording ("1 in 10", "none of 20") and headline built from them; the change between
two audits with its 95% interval (Newcombe's hybrid score method); and the planning figures (what a sample of a
given size can show, the sample a margin or a tolerable rate needs).

The Wilson score interval is the one statsmodels computes with `proportion_confint(method="wilson")`, and the
difference interval the one of `confint_proportions_2indep(method="newcomb")`; the tests compare them. They are
written out here because the application needs nothing else from statsmodels and its numerical stack.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from math import ceil, log, log1p, sqrt
from statistics import NormalDist

CONFIDENCE = 0.95
# The two-sided critical value of the normal distribution, 1.959963984540054 for 95%.
Z_95 = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / 2)
ONE_DECIMAL = Decimal("0.1")


def wilson_interval(count: int, total: int, *, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of the share `count / total`, as fractions between 0 and 1.

    Raises `ValueError` when `total` is not positive or `count` is outside 0..`total`: a share of nothing has
    no interval, and callers show "not audited" instead.
    """
    if total <= 0 or not 0 <= count <= total:
        raise ValueError(f"No share of {count} in {total}.")
    share = count / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (share + z2 / (2 * total)) / denominator
    half_width = z * sqrt(share * (1 - share) / total + z2 / (4 * total * total)) / denominator
    # At a share of 0 or 1 the interval ends exactly there; floating point lands a hair either side.
    lower = 0.0 if count == 0 else centre - half_width
    upper = 1.0 if count == total else centre + half_width
    return lower, upper


def percent(fraction: float) -> Decimal:
    """`fraction` as a percentage to one decimal place, halves rounded up: the one rounding every page, chart
    table and export uses, so they agree digit for digit."""
    return (Decimal(repr(fraction)) * 100).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def in_words(count: int, total: int) -> str:
    """A share in plain English: 2 of 20 is "1 in 10", 3 of 20 "about 1 in 7", 0 of 17 "none of 17",
    15 of 20 "about 8 in 10", 20 of 20 "all 20"; an empty sample is "none reviewed"."""
    if total <= 0:
        return "none reviewed"
    if count == 0:
        return f"none of {total}"
    if count == total:
        return f"all {total}"
    one_in = _round_half_up(Decimal(total) / Decimal(count))
    if one_in >= 2:
        exact = total % count == 0
        return f"{'' if exact else 'about '}1 in {one_in}"
    # More than two in three: "1 in 1" would say nothing, so count in tens, never "10 in 10" short of all.
    tenths = min(9, _round_half_up(Decimal(10 * count) / Decimal(total)))
    exact = (10 * count) % total == 0
    return f"{'' if exact else 'about '}{tenths} in 10"


@dataclass(frozen=True)
class Share:
    """`count` of `total`, with its rounded percentage and 95% Wilson interval; `total` may be 0 (no share)."""

    count: int
    total: int

    @property
    def exists(self) -> bool:
        return self.total > 0

    @property
    def fraction(self) -> float | None:
        return self.count / self.total if self.total else None

    @cached_property  # read for both ends, the chart and the comparison: work it out once
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.count, self.total) if self.total else None

    @property
    def percent(self) -> Decimal | None:
        return percent(self.count / self.total) if self.total else None

    @property
    def lower_percent(self) -> Decimal | None:
        return percent(self.interval[0]) if self.total else None

    @property
    def upper_percent(self) -> Decimal | None:
        return percent(self.interval[1]) if self.total else None

    @property
    def in_words(self) -> str:
        return in_words(self.count, self.total)

    def __str__(self) -> str:
        """ "2 of 20"; a dash when there is nothing to count, never "0 of 0"."""
        return f"{self.count} of {self.total}" if self.total else "—"


HIGHER = "higher"
LOWER = "lower"
NO_CLEAR_DIFFERENCE = "no clear difference"


def compared_with(share: Share, national: Share) -> str:
    """How a force's share stands against the national one, judged on its interval so that a small sample is
    not singled out: "higher" or "lower" only when the whole 95% interval lies on one side of the national
    share, otherwise "no clear difference"."""
    if not share.exists or not national.exists:
        return ""
    lower, upper = share.interval
    if lower > national.fraction:
        return HIGHER
    if upper < national.fraction:
        return LOWER
    return NO_CLEAR_DIFFERENCE


def _join(parts: list[str], conjunction: str = "and") -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def headline(*, force_name: str, incorrect_by_category: list[tuple[str, Share]], victims: Share) -> str:
    """The summary sentence of a force's results, built from the figures: the categories with wrong
    cancellations, worst first; those without; then the victims not told.

    `incorrect_by_category` pairs a category's name as it reads before "records" ("other sexual offence") with
    its incorrect share; categories with nothing judged are left out.
    """
    judged = [(name, share) for name, share in incorrect_by_category if share.exists]
    if not judged:
        return f"{force_name} has no reviewed decisions to report."
    wrong = sorted((item for item in judged if item[1].count), key=lambda item: (-item[1].fraction, -item[1].total))
    right = [item for item in judged if not item[1].count]
    sentences = []
    if wrong:
        clauses = [f"{share.in_words} {name} records reviewed ({share})" for name, share in wrong]
        sentences.append(f"{force_name} wrongly cancelled {_join(clauses)}.")
        if right:
            clauses = [f"{name} ({share.total})" for name, share in right]
            sentences.append(f"It wrongly cancelled none of the {_join(clauses, 'or')} records reviewed.")
    else:
        reviewed = sum(share.total for _, share in right)
        sentences.append(f"{force_name} wrongly cancelled none of the {reviewed} records reviewed.")
    if not victims.exists:
        sentences.append("No victim needed to be told.")
    elif victims.count:
        sentences.append(f"{victims} victims {'was' if victims.count == 1 else 'were'} not told.")
    else:
        sentences.append(f"All {victims.total} victims who should have been told were told.")
    return " ".join(sentences)


# Changes between two audits of a force.

IMPROVED = "improved"
WORSE = "worse"
NO_CLEAR_CHANGE = "no clear change"


def difference_interval(count1: int, total1: int, count2: int, total2: int, *, z: float = Z_95) -> tuple[float, float]:
    """The 95% interval of the difference `count1/total1 - count2/total2` by Newcombe's hybrid score method
    (method 10 of Newcombe, 1998), built from the two shares' Wilson intervals; statsmodels computes the same
    with `confint_proportions_2indep(method="newcomb")`.

    Raises `ValueError`, as `wilson_interval` does, when either share is of nothing.
    """
    low1, high1 = wilson_interval(count1, total1, z=z)
    low2, high2 = wilson_interval(count2, total2, z=z)
    share1, share2 = count1 / total1, count2 / total2
    difference = share1 - share2
    lower = difference - sqrt((share1 - low1) ** 2 + (high2 - share2) ** 2)
    upper = difference + sqrt((high1 - share1) ** 2 + (share2 - low2) ** 2)
    return lower, upper


@dataclass(frozen=True)
class Change:
    """The change in a rate of errors from an `earlier` audit to a `later` one, with the 95% interval of the
    difference (later minus earlier) and its verdict."""

    earlier: Share
    later: Share

    @property
    def exists(self) -> bool:
        return self.earlier.exists and self.later.exists

    @cached_property
    def interval(self) -> tuple[float, float] | None:
        if not self.exists:
            return None
        return difference_interval(self.later.count, self.later.total, self.earlier.count, self.earlier.total)

    @property
    def points(self) -> Decimal | None:
        """The change in percentage points, the later audit's rounded rate minus the earlier's, so that the
        figure agrees with the two rates printed beside it."""
        return self.later.percent - self.earlier.percent if self.exists else None

    @property
    def lower_points(self) -> Decimal | None:
        return percent(self.interval[0]) if self.exists else None

    @property
    def upper_points(self) -> Decimal | None:
        return percent(self.interval[1]) if self.exists else None

    @property
    def verdict(self) -> str:
        """For a rate of errors, fewer is better: "improved" only when the whole interval lies below zero,
        "worse" only when it lies above, otherwise "no clear change"; "" when either audit judged nothing."""
        if not self.exists:
            return ""
        lower, upper = self.interval
        if upper < 0:
            return IMPROVED
        if lower > 0:
            return WORSE
        return NO_CLEAR_CHANGE


# Planning: what a sample of a given size can show.


def upper_bound_if_none_found(total: int, *, z: float = Z_95) -> float:
    """The upper end of the 95% Wilson interval when none of `total` is found wrong: 0 of 20 still allows up to
    16.1%."""
    return wilson_interval(0, total, z=z)[1]


def _wilson_half_width(rate: float, total: int, z: float) -> float:
    z2 = z * z
    return z * sqrt(rate * (1 - rate) / total + z2 / (4 * total * total)) / (1 + z2 / total)


MAX_SAMPLE = 1_000_000


def sample_size_for_margin(*, rate: float, margin: float, z: float = Z_95) -> int:
    """The smallest sample whose 95% Wilson interval at `rate` is no wider than `margin` either side (half the
    interval's width), both as fractions. The half-width falls as the sample grows, so a bisection finds it.

    Raises `ValueError` for a rate outside 0..1 or a margin outside (0, 0.5].
    """
    if not 0 <= rate <= 1 or not 0 < margin <= 0.5:
        raise ValueError(f"No sample size for a rate of {rate} within {margin}.")
    low, high = 1, MAX_SAMPLE
    while low < high:
        middle = (low + high) // 2
        if _wilson_half_width(rate, middle, z) <= margin:
            high = middle
        else:
            low = middle + 1
    return low


def attribute_sample_size(*, tolerable_rate: float, confidence: float = CONFIDENCE) -> int:
    """The attribute-sampling size with no expected errors: the smallest sample in which, if the true rate were
    the tolerable one, finding no errors would have a chance under 1 - `confidence`; 59 for a tolerable 5% and 29
    for 10% at 95%. The sample is drawn from a large population (the binomial model the audit tables use)."""
    if not 0 < tolerable_rate < 1 or not 0 < confidence < 1:
        raise ValueError(f"No sample size for a tolerable rate of {tolerable_rate}.")
    # log(1 - c) / log(1 - t), with a tolerance so that an exact whole number is not pushed up by rounding.
    size = log(1 - confidence) / log1p(-tolerable_rate)
    return max(1, ceil(size - 1e-9))
