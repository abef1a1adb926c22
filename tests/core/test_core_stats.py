"""Median and p90 from a histogram equal the statistics module's, exactly."""

import statistics
from collections import Counter

from hypothesis import example, given, settings
from hypothesis import strategies as st

from console.core.stats import call_tallies, handle_time_summary, stats_from_tallies

seconds = st.one_of(
    st.integers(min_value=0, max_value=10_000),
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
    # a handful of values, so duplicates are common
    st.sampled_from([0, 0.5, 1, 1.25, 30, 30.0, 450, 3599.999999]),
)


def expected(values):
    if not values:
        return {"median": None, "p90": None}
    if len(values) == 1:
        return {"median": statistics.median(values), "p90": None}
    return {"median": statistics.median(values),
            "p90": statistics.quantiles(values, n=10, method="inclusive")[8]}


@settings(max_examples=400, deadline=None)
@given(st.lists(seconds, max_size=60))
@example([])
@example([7])
@example([3, 3])
@example([1, 2])
@example([5.0] * 11)
@example([0, 10, 10, 10, 20, 1e6])
def test_histogram_summary_equals_statistics(values):
    want = expected(values)
    as_pairs = handle_time_summary(list(Counter(values).items()))
    as_dict = handle_time_summary(Counter(values))
    unsorted_split = handle_time_summary([(v, 1) for v in reversed(values)])
    for got in (as_pairs, as_dict, unsorted_split):
        assert got == want
        # exactly, not nearly: the same float
        for key in ("median", "p90"):
            if want[key] is not None:
                assert float(got[key]).hex() == float(want[key]).hex()


def test_zero_counts_ignored():
    assert handle_time_summary([(5, 0), (9, 0)]) == {"median": None, "p90": None}
    assert handle_time_summary([(5, 0), (9, 1)]) == {"median": 9, "p90": None}


def test_null_rules():
    assert handle_time_summary({}) == {"median": None, "p90": None}
    assert handle_time_summary({42.5: 1}) == {"median": 42.5, "p90": None}
    two = handle_time_summary({10: 1, 20: 1})
    assert two == {"median": 15.0, "p90": 19.0}


def test_stats_from_tallies_shape():
    records = [
        {"outcome": "escalated", "caller_type": "patient", "verification": "verified", "region": "Otago",
         "operator": "op-1", "disclosed_status": "affected"},
        {"outcome": "resolved", "caller_type": "media", "verification": "not_attempted", "region": None,
         "operator": "op-2", "disclosed_status": None},
    ]
    tallies = Counter(pair for r in records for pair in call_tallies(r))
    got = stats_from_tallies(tallies, 2, {30.0: 1, 90.0: 1})
    assert got == {
        "calls": 2,
        "by_outcome": {"escalated": 1, "resolved": 1},
        "by_caller_type": {"media": 1, "patient": 1},
        "by_region": {"Otago": 1},
        "by_operator": {"op-1": 1, "op-2": 1},
        "verification": {"verified": 1, "not_verified": 0, "not_attempted": 1},
        "disclosed": {"affected": 1, "not_affected": 0},
        "handle_time_seconds": {"median": 60.0, "p90": 84.0},
        "escalations": 1,
    }
    assert list(got) == ["calls", "by_outcome", "by_caller_type", "by_region", "by_operator", "verification",
                         "disclosed", "handle_time_seconds", "escalations"]
    empty = stats_from_tallies(Counter(), 0, {})
    assert empty["verification"] == {"verified": 0, "not_verified": 0, "not_attempted": 0}
    assert empty["disclosed"] == {"affected": 0, "not_affected": 0}
    assert empty["by_region"] == {} and empty["handle_time_seconds"] == {"median": None, "p90": None}
