import random
from decimal import Decimal

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from reviews.results.statistics import (
    IMPROVED,
    NO_CLEAR_CHANGE,
    WORSE,
    Change,
    Share,
    attribute_sample_size,
    compared_with,
    difference_interval,
    headline,
    in_words,
    percent,
    sample_size_for_margin,
    upper_bound_if_none_found,
    wilson_interval,
)


@pytest.mark.parametrize("total", [1, 2, 3, 5, 7, 10, 17, 19, 20, 23, 40, 80, 200, 1000, 20_000])
def test_the_wilson_interval_matches_statsmodels_for_every_count(total):
    counts = range(total + 1) if total <= 200 else [0, 1, 2, total // 3, total - 1, total]
    for count in counts:
        expected_low, expected_high = proportion_confint(count, total, alpha=0.05, method="wilson")

        low, high = wilson_interval(count, total)

        assert low == pytest.approx(expected_low, abs=1e-12)
        assert high == pytest.approx(expected_high, abs=1e-12)
        assert 0.0 <= low <= count / total <= high <= 1.0


@pytest.mark.parametrize(("count", "total"), [(0, 0), (1, 0), (-1, 5), (6, 5)])
def test_a_share_of_nothing_or_more_than_everything_has_no_interval(count, total):
    with pytest.raises(ValueError, match="No share"):
        wilson_interval(count, total)


@pytest.mark.parametrize(
    ("count", "total", "rate", "lower", "upper", "words"),
    [
        (2, 20, "10.0", "2.8", "30.1", "1 in 10"),
        (0, 17, "0.0", "0.0", "18.4", "none of 17"),
        (9, 17, "52.9", "31.0", "73.8", "about 1 in 2"),
        (1, 20, "5.0", "0.9", "23.6", "1 in 20"),
        (3, 20, "15.0", "5.2", "36.0", "about 1 in 7"),
        (15, 20, "75.0", "53.1", "88.8", "about 8 in 10"),
        (19, 20, "95.0", "76.4", "99.1", "about 9 in 10"),
        (20, 20, "100.0", "83.9", "100.0", "all 20"),
    ],
)
def test_published_figures_read_as_the_inspectorate_reports_them(count, total, rate, lower, upper, words):
    share = Share(count, total)

    assert (share.percent, share.lower_percent, share.upper_percent) == (Decimal(rate), Decimal(lower), Decimal(upper))
    assert share.in_words == words
    assert str(share) == f"{count} of {total}"


def test_percentages_round_half_up_to_one_decimal_place():
    assert percent(0.12345) == Decimal("12.3")
    assert percent(0.12355) == Decimal("12.4")
    assert percent(1 / 8) == Decimal("12.5")
    assert percent(0.00049) == Decimal("0.0")


def test_an_empty_sample_has_no_rate_and_says_so():
    share = Share(0, 0)

    assert not share.exists
    assert share.percent is None
    assert share.interval is None
    assert share.in_words == "none reviewed"
    assert in_words(0, 0) == "none reviewed"
    # Tables show a dash, never "0 of 0"; a real share reads as usual.
    assert str(share) == "—"
    assert str(Share(2, 20)) == "2 of 20"


def test_a_force_is_flagged_only_when_its_whole_interval_is_on_one_side_of_the_national_rate():
    national = Share(100, 1000)  # 10%

    assert compared_with(Share(2, 20), national) == "no clear difference"
    assert compared_with(Share(9, 17), national) == "higher"
    assert compared_with(Share(0, 200), national) == "lower"
    assert compared_with(Share(0, 17), national) == "no clear difference"
    assert compared_with(Share(0, 0), national) == ""


def test_the_headline_is_built_from_the_figures():
    text = headline(
        force_name="Northamptonshire Police",
        incorrect_by_category=[("other sexual offence", Share(2, 20))],
        victims=Share(2, 19),
    )

    assert text == (
        "Northamptonshire Police wrongly cancelled 1 in 10 other sexual offence records reviewed (2 of 20). "
        "2 of 19 victims were not told."
    )


def test_the_headline_puts_the_worst_category_first_and_names_those_without_mistakes():
    text = headline(
        force_name="Kent Police",
        incorrect_by_category=[
            ("rape", Share(0, 17)),
            ("violence against the person", Share(2, 20)),
            ("other sexual offence", Share(9, 17)),
            ("robbery", Share(0, 20)),
            ("other", Share(0, 0)),
        ],
        victims=Share(1, 40),
    )

    assert text == (
        "Kent Police wrongly cancelled about 1 in 2 other sexual offence records reviewed (9 of 17) and "
        "1 in 10 violence against the person records reviewed (2 of 20). "
        "It wrongly cancelled none of the rape (17) or robbery (20) records reviewed. "
        "1 of 40 victims was not told."
    )


def test_a_clean_result_and_an_empty_one_read_plainly():
    clean = headline(
        force_name="Kent Police",
        incorrect_by_category=[("rape", Share(0, 17)), ("robbery", Share(0, 20))],
        victims=Share(0, 30),
    )
    empty = headline(force_name="Kent Police", incorrect_by_category=[], victims=Share(0, 0))

    assert clean == (
        "Kent Police wrongly cancelled none of the 37 records reviewed. "
        "All 30 victims who should have been told were told."
    )
    assert empty == "Kent Police has no reviewed decisions to report."


def test_the_difference_interval_matches_statsmodels_newcombe_over_many_random_cases():
    generator = random.Random(17)
    for _ in range(2000):
        total1, total2 = generator.randint(1, 300), generator.randint(1, 300)
        count1, count2 = generator.randint(0, total1), generator.randint(0, total2)
        expected = confint_proportions_2indep(count1, total1, count2, total2, method="newcomb", compare="diff")

        low, high = difference_interval(count1, total1, count2, total2)

        assert (low, high) == pytest.approx(expected, abs=1e-12), (count1, total1, count2, total2)
        assert -1.0 <= low <= count1 / total1 - count2 / total2 <= high <= 1.0


@pytest.mark.parametrize(
    ("count1", "total1", "count2", "total2", "lower", "upper"),
    [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090), (5, 56, 0, 29, -0.0381, 0.1926)],
)
def test_the_difference_interval_gives_newcombes_worked_examples(count1, total1, count2, total2, lower, upper):
    low, high = difference_interval(count1, total1, count2, total2)

    assert (round(low, 4), round(high, 4)) == (lower, upper)


def test_a_change_is_a_verdict_only_when_its_interval_excludes_zero():
    assert Change(earlier=Share(29, 71), later=Share(2, 20)).verdict == IMPROVED
    assert Change(earlier=Share(1, 20), later=Share(3, 20)).verdict == NO_CLEAR_CHANGE
    assert Change(earlier=Share(2, 20), later=Share(29, 71)).verdict == WORSE
    assert Change(earlier=Share(0, 0), later=Share(3, 20)).verdict == ""


def test_a_change_reads_in_percentage_points_agreeing_with_the_rates_beside_it():
    change = Change(earlier=Share(29, 71), later=Share(2, 20))

    assert change.points == Decimal("10.0") - Decimal("40.8")
    assert change.lower_points < change.points < change.upper_points < 0


def test_finding_no_errors_in_20_still_allows_up_to_16_point_1_percent():
    assert percent(upper_bound_if_none_found(20)) == Decimal("16.1")
    assert upper_bound_if_none_found(59) < upper_bound_if_none_found(20)


@pytest.mark.parametrize(("tolerable_rate", "size"), [(0.05, 59), (0.10, 29), (0.01, 299), (0.5, 5)])
def test_attribute_sampling_sizes_match_the_tables_for_95_percent_confidence(tolerable_rate, size):
    assert attribute_sample_size(tolerable_rate=tolerable_rate) == size
    # Finding nothing in that many would be less than 5% likely at the tolerable rate, and in one fewer it would not.
    assert (1 - tolerable_rate) ** size <= 0.05 < (1 - tolerable_rate) ** (size - 1)


@pytest.mark.parametrize(("rate", "margin"), [(0.1, 0.05), (0.1, 0.1), (0.5, 0.05), (0.0, 0.05), (0.3, 0.02)])
def test_the_sample_size_for_a_margin_is_the_smallest_whose_interval_is_that_narrow(rate, margin):
    size = sample_size_for_margin(rate=rate, margin=margin)

    def half_width(total):
        low, high = proportion_confint(rate * total, total, alpha=0.05, method="wilson")
        return (high - low) / 2

    assert half_width(size) <= margin < half_width(size - 1)


@pytest.mark.parametrize(("rate", "margin"), [(-0.1, 0.05), (1.1, 0.05), (0.1, 0), (0.1, 0.6)])
def test_a_margin_or_rate_out_of_range_has_no_sample_size(rate, margin):
    with pytest.raises(ValueError, match="No sample size"):
        sample_size_for_margin(rate=rate, margin=margin)
