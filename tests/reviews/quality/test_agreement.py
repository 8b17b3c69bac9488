"""Agreement between two auditors: percentage agreement, Cohen's kappa and Gwet's AC1.

Checked three ways: against worked examples published with their figures (each cited where it is used),
against maintained implementations (statsmodels for kappa, irrCAC for AC1) over many random tables, and on
the degenerate tables an audit really produces (every decision judged correct; nothing reviewed twice yet).
"""

import random
import warnings
from collections import Counter
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from irrCAC.table import CAC
from statsmodels.stats.inter_rater import cohens_kappa

from reviews.models import Verdict, VictimInformed
from reviews.quality.agreement import (
    KAPPA_SAME_VERDICT,
    NO_ITEMS,
    agreement,
    agreement_by_group,
    agreement_from_counts,
    auditor_pair,
)

YES_NO = ["yes", "no"]


def table(categories, rows):
    """Counts keyed by (answer A, answer B) from a square table: rows are A's answers, columns B's."""
    return {
        (answer_a, answer_b): rows[i][j]
        for i, answer_a in enumerate(categories)
        for j, answer_b in enumerate(categories)
    }


def square(categories, counts):
    return [[counts.get((a, b), 0) for b in categories] for a in categories]


@contextmanager
def standard_errors_unchecked():
    # Both libraries also compute standard errors, which divide by zero on some tables (perfect agreement,
    # an empty margin); only the coefficients are compared here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def reference_kappa(categories, counts):
    with standard_errors_unchecked():
        return float(cohens_kappa(np.array(square(categories, counts))).kappa)


def reference_ac1(categories, counts):
    with standard_errors_unchecked():
        return float(CAC(pd.DataFrame(square(categories, counts)), digits=12).gwet()["est"]["coefficient_value"])


# Published worked examples ------------------------------------------------------------------------------


def test_kappa_matches_gerstman_x_ray_example():
    # Gerstman, B. B. (2013). Epidemiology Kept Simple: An Introduction to Traditional and Modern
    # Epidemiology (3rd ed.). Wiley-Blackwell. Chapter 10, Illustrative Example 10.1 (data in Table 10.3),
    # p. 227: two readers of 19,790 chest X-rays; a = 1,467 both positive, d = 16,232 both negative, reader A
    # positive 2,249 times, reader B 2,776 times. Published: p_obs = 0.8943, p_exp = 0.7780, kappa = 0.524.
    counts = table(YES_NO, [[1467, 2249 - 1467], [2776 - 1467, 16232]])
    result = agreement_from_counts(counts, categories=YES_NO)

    assert result.items == 19790
    assert result.percent_agreement.value == pytest.approx(0.8943, abs=5e-5)
    assert result.kappa.value == pytest.approx(0.524, abs=5e-4)
    assert result.kappa.items == 19790


@pytest.mark.parametrize(
    ("cells", "published_kappa"),
    [
        pytest.param([[40, 9], [6, 45]], 0.70, id="balanced-table-10.6A"),
        pytest.param([[80, 10], [5, 5]], 0.32, id="skewed-table-10.6B"),
    ],
)
def test_kappa_paradox_matches_feinstein_and_cicchetti(cells, published_kappa):
    # Feinstein, A. R., & Cicchetti, D. V. (1990). High agreement but low kappa: I. The problems of two
    # paradoxes. Journal of Clinical Epidemiology, 43(6), 543-549; the two tables as reproduced in Gerstman
    # (2013), Epidemiology Kept Simple (3rd ed.), Table 10.6, p. 227: both have p_obs = 0.85, and kappa is
    # 0.70 for the balanced table but 0.32 for the skewed one.
    counts = table(YES_NO, cells)
    result = agreement_from_counts(counts, categories=YES_NO)

    assert result.percent_agreement.value == pytest.approx(0.85)
    assert result.kappa.value == pytest.approx(published_kappa, abs=5e-3)
    assert result.ac1.value == pytest.approx(reference_ac1(YES_NO, counts), abs=1e-9)


def test_high_agreement_paradox_keeps_ac1_high_while_kappa_collapses():
    # Table 10.6B above: the auditors agree on 85 of 100 items, nearly all "yes". Kappa calls that fair
    # agreement (0.32); AC1 stays near the observed agreement, which is why both are shown.
    result = agreement_from_counts(table(YES_NO, [[80, 10], [5, 5]]), categories=YES_NO)

    assert result.kappa.value < 0.35
    assert result.ac1.value > 0.8
    assert result.ac1.value == pytest.approx(0.808, abs=5e-4)  # (0.85 - 0.21875) / (1 - 0.21875)


def test_wongpakaran_schizoid_pair_gives_published_kappa_and_ac1():
    # Wongpakaran, N., Wongpakaran, T., Wedding, D., & Gwet, K. L. (2013). A comparison of Cohen's Kappa and
    # Gwet's AC1 when calculating inter-rater reliability coefficients: a study conducted with personality
    # disorder samples. BMC Medical Research Methodology, 13, 61. Results, schizoid personality disorder, the
    # 2 x 2 table of one rater pair over 19 patients: both "absent" 13, first only "present" 1, second only
    # "present" 2, both "present" 3. Published (three decimals): kappa = .565, AC1 = .752, the lowest AC1 of
    # the study as its abstract states.
    counts = table(["absent", "present"], [[13, 2], [1, 3]])
    result = agreement_from_counts(counts, categories=["absent", "present"])

    assert result.items == 19
    assert result.percent_agreement.value == pytest.approx(16 / 19)
    assert result.kappa.value == pytest.approx(0.565, abs=1e-3)
    assert result.ac1.value == pytest.approx(0.752, abs=1e-3)


def test_three_categories_match_gwet_abstractors_example():
    # Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.). Advanced Analytics. Its example of two
    # abstractors classifying 100 pregnancies as ectopic, abnormal intrauterine or normal intrauterine, shipped
    # as the "cont3x3abstractors" table of Gwet's irrCAC R package (CRAN, version 1.0, 2019), whose vignette
    # "Calculating Chance-corrected Agreement Coefficients" publishes: Cohen's kappa 0.7964094, Gwet's AC1
    # 0.8493305, percent agreement 0.89. Three categories, like "was the decision correct?".
    categories = ["ectopic", "abnormal", "normal"]
    result = agreement_from_counts(table(categories, [[13, 0, 0], [0, 20, 7], [0, 4, 56]]), categories=categories)

    assert result.items == 100
    assert result.agreed == 89
    assert result.percent_agreement.value == pytest.approx(0.89)
    assert result.kappa.value == pytest.approx(0.7964094, abs=1e-7)
    assert result.ac1.value == pytest.approx(0.8493305, abs=1e-7)


# Maintained implementations over random tables ------------------------------------------------------------


@pytest.mark.parametrize("categories", [YES_NO, list(Verdict.values), ["a", "b", "c", "d", "e"]])
def test_kappa_and_ac1_match_statsmodels_and_irrcac_on_random_tables(categories):
    rng = random.Random(f"agreement-{len(categories)}")
    checked = 0
    for _ in range(150):
        # Skewed tables as well as balanced ones: most audits have nearly every decision correct.
        weights = [rng.choice([0, 1, 5, 50, 500]) for _ in range(len(categories) ** 2)]
        if not any(weights):
            continue
        cells = Counter(
            rng.choices([(a, b) for a in categories for b in categories], weights=weights, k=rng.randint(1, 300))
        )
        result = agreement_from_counts(cells, categories=categories)

        assert result.ac1.value == pytest.approx(reference_ac1(categories, cells), abs=1e-9)
        if result.kappa.is_defined:
            assert result.kappa.value == pytest.approx(reference_kappa(categories, cells), abs=1e-9)
            checked += 1
        else:
            assert len({answer for pair in cells for answer in pair}) == 1
    assert checked > 100


def test_ac1_depends_on_the_whole_answer_scale_and_kappa_does_not():
    # Why callers pass the full scale: an answer nobody gave still changes AC1's chance agreement.
    pairs = {("yes", "yes"): 18, ("yes", "no"): 2}
    two = agreement_from_counts(pairs, categories=["yes", "no"])
    three = agreement_from_counts(pairs, categories=Verdict.values)

    assert two.kappa.value == pytest.approx(three.kappa.value)
    assert two.ac1.value != pytest.approx(three.ac1.value)
    assert three.ac1.value == pytest.approx(reference_ac1(Verdict.values, pairs), abs=1e-9)


# What an audit really produces -------------------------------------------------------------------------


def test_every_decision_correct_gives_agreement_and_ac1_but_no_kappa():
    result = agreement(["yes"] * 20, ["yes"] * 20, categories=Verdict.values)

    assert result.items == 20
    assert result.percent_agreement.value == 1.0
    assert result.ac1.value == 1.0
    assert result.kappa.value is None
    assert not result.kappa.is_defined
    assert result.kappa.reason == KAPPA_SAME_VERDICT == "Kappa cannot be computed when every verdict is the same."
    assert result.kappa.items == 20


def test_every_victim_informed_answer_the_same_gives_no_kappa():
    result = agreement(["no_record"] * 3, ["no_record"] * 3, categories=VictimInformed.values)

    assert result.kappa.value is None
    assert result.kappa.reason == KAPPA_SAME_VERDICT
    assert result.ac1.value == 1.0


def test_auditors_who_each_always_give_a_different_answer_get_figures_not_an_error():
    result = agreement(["yes"] * 10, ["no"] * 10, categories=Verdict.values)

    assert result.percent_agreement.value == 0.0
    assert result.kappa.value == 0.0
    assert result.ac1.value == pytest.approx(-1 / 3)
    assert result.ac1.value == pytest.approx(reference_ac1(Verdict.values, {("yes", "no"): 10}), abs=1e-9)


def test_no_items_gives_no_figures():
    for result in (
        agreement([], [], categories=Verdict.values),
        agreement_from_counts({("yes", "yes"): 0}, categories=Verdict.values),
    ):
        assert result.items == 0
        assert result.agreed == 0
        for coefficient in (result.percent_agreement, result.kappa, result.ac1):
            assert coefficient.value is None
            assert coefficient.items == 0
            assert coefficient.reason == NO_ITEMS


def test_answers_and_their_table_give_the_same_result():
    answers_a = ["yes", "yes", "no", "cannot_tell", "yes", "no"]
    answers_b = ["yes", "no", "no", "yes", "yes", "no"]

    from_lists = agreement(answers_a, answers_b, categories=Verdict.values)

    assert from_lists == agreement_from_counts(
        Counter(zip(answers_a, answers_b, strict=True)), categories=Verdict.values
    )
    assert (from_lists.items, from_lists.agreed, from_lists.disagreed) == (6, 4, 2)


# Per group ---------------------------------------------------------------------------------------------


def test_agreement_by_group_from_item_rows_and_counted_rows():
    rows = [
        ("rape", "yes", "yes"),
        ("robbery", "yes", "no", 3),
        ("rape", "no", "no"),
        ("robbery", "yes", "yes", 17),
        ("rape", "yes", "yes"),
    ]

    groups = agreement_by_group(rows, categories=Verdict.values)

    assert list(groups) == ["rape", "robbery"]  # in the order the query gave them
    assert groups["rape"] == agreement(["yes", "no", "yes"], ["yes", "no", "yes"], categories=Verdict.values)
    assert groups["robbery"] == agreement_from_counts({("yes", "no"): 3, ("yes", "yes"): 17}, categories=Verdict.values)
    assert groups["robbery"].items == 20
    assert groups["robbery"].kappa.value == 0.0  # one auditor said "yes" to everything
    assert groups["robbery"].ac1.value > 0.8


def test_agreement_by_auditor_pair_does_not_depend_on_who_reviewed_first():
    rows = [
        (auditor_pair(7, 3), "yes", "no"),
        (auditor_pair(3, 7), "no", "yes"),
        (auditor_pair(3, 7), "yes", "yes", 5),
        (auditor_pair(7, 3), "cannot_tell", "yes"),
        (auditor_pair(3, 9), "yes", "yes"),
    ]
    swapped = [(key, answer_b, answer_a, *count) for key, answer_a, answer_b, *count in rows]

    groups = agreement_by_group(rows, categories=Verdict.values)
    groups_swapped = agreement_by_group(swapped, categories=Verdict.values)

    assert list(groups) == [(3, 7), (3, 9)]
    for key, result in groups.items():
        assert result.items == groups_swapped[key].items
        assert result.kappa.value == pytest.approx(groups_swapped[key].kappa.value)
        assert result.ac1.value == pytest.approx(groups_swapped[key].ac1.value)
    assert groups[(3, 7)].items == 8


# Bad input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: agreement(["yes"], [], categories=Verdict.values), "different number", id="lengths"),
        pytest.param(lambda: agreement(["maybe"], ["yes"], categories=Verdict.values), "'maybe'", id="unknown"),
        pytest.param(lambda: agreement([""], ["yes"], categories=Verdict.values), "''", id="unanswered"),
        pytest.param(lambda: agreement(["yes"], ["yes"], categories=["yes"]), "two categories", id="scale"),
        pytest.param(lambda: agreement(["yes"], ["yes"], categories=["yes", "yes"]), "two categories", id="dup"),
        pytest.param(
            lambda: agreement_from_counts({("yes", "no"): -1}, categories=Verdict.values), "-1", id="negative"
        ),
        pytest.param(
            lambda: agreement_from_counts({("yes", "no"): 1.5}, categories=Verdict.values), "1.5", id="fraction"
        ),
        pytest.param(lambda: agreement_by_group([("rape", "yes")], categories=Verdict.values), "row", id="short"),
        pytest.param(
            lambda: agreement_by_group([("rape", "yes", "maybe")], categories=Verdict.values), "'maybe'", id="group"
        ),
        pytest.param(
            lambda: agreement_by_group([("rape", "yes", "no", "2")], categories=Verdict.values), "'2'", id="count"
        ),
    ],
)
def test_bad_input_is_refused_with_a_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
