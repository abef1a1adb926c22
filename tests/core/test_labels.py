"""One mapping from a call record's ids to the words people read (issue 15: no raw ids)."""

from console.core.calls import OUTCOMES, VERIFICATIONS
from console.core.labels import LABELS, NO_REGION, label, labelled, region_counts
from console.core.policy import CALLER_TYPES, FLAGS


def test_every_id_has_a_word_that_is_not_the_id():
    for kind, ids in (("outcome", OUTCOMES), ("verification", VERIFICATIONS), ("caller_type", CALLER_TYPES),
                      ("flag", FLAGS)):
        assert set(LABELS[kind]) == set(ids), kind
        assert all(label(kind, i) != i and "_" not in label(kind, i) for i in ids), kind


def test_breakdowns_read_as_words_and_regions_count_the_calls_without_one():
    assert labelled("by_outcome", {"resolved": 3, "not_a_known_id": 1}) == {"Resolved": 3, "not_a_known_id": 1}
    assert labelled("by_operator", {"op-1": 2}) == {"op-1": 2}
    assert region_counts({"calls": 10, "by_region": {"Northland": 6, "Auckland": 1}}) == {
        "Northland": 6, "Auckland": 1, NO_REGION: 3}
    assert region_counts({"calls": 7, "by_region": {"Northland": 7}}) == {"Northland": 7}
