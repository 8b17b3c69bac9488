"""Choosing the items that get a blind second review, and known-answer accuracy."""

import random
from fractions import Fraction

import pytest

from reviews.quality.qa import (
    SHARE_INVALID,
    Accuracy,
    known_answer_accuracy,
    known_answer_accuracy_by_auditor,
    second_review_count,
    second_review_selection,
)

SAMPLE = {
    "rape": list(range(100, 120)),
    "other_sexual": list(range(200, 220)),
    "robbery": list(range(300, 307)),
    "violence": list(range(400, 420)),
}


# How many items per category ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "share", "expected"),
    [
        (20, 0, 0),
        (20, 10, 2),
        (20, 25, 5),
        (20, 100, 20),
        (19, 25, 5),  # 4.75 rounds up
        (7, 10, 1),  # a small category still gets one
        (3, 1, 1),
        (0, 50, 0),
        (1000, 33, 330),
    ],
)
def test_second_review_count_rounds_each_category_up(size, share, expected):
    assert second_review_count(size=size, share=share) == expected


def test_second_review_count_is_within_one_item_of_the_share_for_every_size():
    for size in range(250):
        for share in range(101):
            exact = Fraction(size * share, 100)
            assert 0 <= second_review_count(size=size, share=share) - exact < 1


# Which items -------------------------------------------------------------------------------------------


def test_selection_respects_the_share_within_one_item_per_category():
    rng = random.Random("second-review-sizes")
    for _ in range(200):
        items = {f"category-{n}": list(range(rng.randint(0, 60))) for n in range(rng.randint(1, 6))}
        share = rng.randint(0, 100)

        selection = second_review_selection(items_by_category=items, share=share, seed=rng.randint(0, 2**63))

        assert set(selection) == set(items)
        for category, chosen in selection.items():
            assert set(chosen) <= set(items[category])
            assert len(set(chosen)) == len(chosen)
            assert 0 <= len(chosen) - Fraction(len(items[category]) * share, 100) < 1


def test_selection_is_reproducible_from_the_seed():
    first = second_review_selection(items_by_category=SAMPLE, share=20, seed=424242)
    again = second_review_selection(items_by_category={k: list(v) for k, v in SAMPLE.items()}, share=20, seed=424242)

    assert first == again
    assert [len(first[category]) for category in ("rape", "other_sexual", "robbery", "violence")] == [4, 4, 2, 4]


def test_selection_is_the_same_on_every_machine_and_release():
    # A seed kept in an audit must keep choosing the same items after an upgrade: the ranking is a SHA-256
    # digest, not Python's per-process hash(), and this pins it.
    selection = second_review_selection(items_by_category=SAMPLE, share=10, seed=20261127)

    assert selection == {
        "other_sexual": [204, 209],
        "rape": [105, 113],
        "robbery": [301],
        "violence": [405, 413],
    }


def test_a_different_seed_chooses_different_items():
    selections = {
        seed: second_review_selection(items_by_category=SAMPLE, share=20, seed=seed)["rape"] for seed in range(5)
    }

    assert len({tuple(chosen) for chosen in selections.values()}) == 5


def test_selection_does_not_depend_on_the_order_of_categories_or_items():
    reordered = {category: list(reversed(SAMPLE[category])) for category in reversed(list(SAMPLE))}
    shuffled = {category: random.Random(category).sample(items, len(items)) for category, items in SAMPLE.items()}

    expected = second_review_selection(items_by_category=SAMPLE, share=30, seed=7)
    for other in (reordered, shuffled):
        selection = second_review_selection(items_by_category=other, share=30, seed=7)
        assert list(selection) == sorted(SAMPLE)
        assert {category: set(chosen) for category, chosen in selection.items()} == {
            category: set(chosen) for category, chosen in expected.items()
        }
        # ...and the chosen items keep the order they were given in.
        for category, chosen in selection.items():
            assert chosen == [item for item in other[category] if item in chosen]


def test_raising_the_share_keeps_the_items_already_chosen():
    previous = {category: set() for category in SAMPLE}
    for share in range(0, 101, 5):
        selection = second_review_selection(items_by_category=SAMPLE, share=share, seed=99)
        for category, chosen in selection.items():
            assert previous[category] <= set(chosen)
            previous[category] = set(chosen)


def test_extending_the_sample_keeps_the_second_reviews_already_chosen_and_tops_up_to_the_share():
    before = second_review_selection(items_by_category=SAMPLE, share=10, seed=11)
    extended = {category: [*items, *range(items[0] + 1000, items[0] + 1010)] for category, items in SAMPLE.items()}

    after = second_review_selection(items_by_category=extended, share=10, seed=11, already_chosen=before)

    for category, chosen in after.items():
        assert set(before[category]) <= set(chosen)
        assert len(chosen) == second_review_count(size=len(extended[category]), share=10)


def test_lowering_the_share_drops_no_second_review_already_chosen():
    before = second_review_selection(items_by_category=SAMPLE, share=50, seed=11)

    after = second_review_selection(items_by_category=SAMPLE, share=10, seed=11, already_chosen=before)

    assert after == before


def test_already_chosen_items_must_be_in_the_sample():
    with pytest.raises(ValueError, match="not among the items of rape"):
        second_review_selection(items_by_category=SAMPLE, share=10, seed=1, already_chosen={"rape": [999]})
    with pytest.raises(ValueError, match="already chosen in arson"):
        second_review_selection(items_by_category=SAMPLE, share=10, seed=1, already_chosen={"arson": [1]})


def test_every_category_with_items_gets_a_second_review_once_the_share_is_above_zero():
    selection = second_review_selection(items_by_category={**SAMPLE, "other": []}, share=1, seed=3)

    assert {category: len(chosen) for category, chosen in selection.items()} == {
        "other": 0,
        "other_sexual": 1,
        "rape": 1,
        "robbery": 1,
        "violence": 1,
    }


def test_share_of_zero_selects_nothing_and_a_hundred_everything():
    assert all(not chosen for chosen in second_review_selection(items_by_category=SAMPLE, share=0, seed=1).values())
    assert second_review_selection(items_by_category=SAMPLE, share=100, seed=1) == SAMPLE


def test_string_references_and_whole_numbers_are_both_identifiers():
    selection = second_review_selection(items_by_category={"rape": ["NH/1", "NH/2", 3, "3"]}, share=50, seed=5)

    assert len(selection["rape"]) == 2


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"share": -1}, SHARE_INVALID, id="negative-share"),
        pytest.param({"share": 101}, SHARE_INVALID, id="share-over-100"),
        pytest.param({"share": 12.5}, SHARE_INVALID, id="fractional-share"),
        pytest.param({"share": True}, SHARE_INVALID, id="boolean-share"),
        pytest.param({"seed": "abc"}, "seed", id="seed"),
        pytest.param({"items_by_category": {"rape": [1, 2, 1]}}, "more than once in rape", id="duplicate"),
        pytest.param({"items_by_category": {"rape": [1.5]}}, "whole number or a string", id="item-type"),
    ],
)
def test_bad_input_is_refused_with_a_message(arguments, message):
    call = {"items_by_category": SAMPLE, "share": 10, "seed": 1} | arguments
    with pytest.raises(ValueError, match=message):
        second_review_selection(**call)


# Known-answer accuracy ---------------------------------------------------------------------------------


def test_known_answer_accuracy_counts_answers_that_match_the_settled_verdict():
    accuracy = known_answer_accuracy([("yes", "yes"), ("no", "yes"), ("cannot_tell", "no"), ("no", "no")])

    assert accuracy == Accuracy(correct=2, total=4)
    assert accuracy.incorrect == 2
    assert accuracy.share == 0.5


def test_known_answer_accuracy_with_several_questions_needs_every_answer_right():
    accuracy = known_answer_accuracy(
        [
            (("yes", "yes"), ("yes", "yes")),
            (("yes", "no"), ("yes", "yes")),  # decision right, victim answer wrong
        ]
    )

    assert (accuracy.correct, accuracy.total) == (1, 2)


def test_known_answer_accuracy_of_no_items_has_no_share():
    accuracy = known_answer_accuracy([])

    assert (accuracy.correct, accuracy.total, accuracy.share) == (0, 0, None)


def test_known_answer_accuracy_by_auditor_from_item_and_counted_rows():
    rows = [
        ("auditor2", "yes", "yes"),
        ("auditor", "no", "yes", 2),
        ("auditor", "yes", "yes", 8),
        ("auditor2", "cannot_tell", "yes"),
    ]

    accuracy = known_answer_accuracy_by_auditor(rows)

    assert list(accuracy) == ["auditor2", "auditor"]
    assert accuracy["auditor"] == Accuracy(correct=8, total=10)
    assert accuracy["auditor"].share == 0.8
    assert accuracy["auditor2"] == Accuracy(correct=1, total=2)


@pytest.mark.parametrize(
    "pair",
    [("", "yes"), ("yes", ""), (None, "yes"), (("yes", ""), ("yes", "no")), ((), ("yes",))],
)
def test_known_answer_accuracy_refuses_a_blank_answer(pair):
    with pytest.raises(ValueError, match="both answers"):
        known_answer_accuracy([pair])
