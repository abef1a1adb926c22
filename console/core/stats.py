"""Call statistics with cli.md's definitions, computed from tallies.

The store keeps per-day tallies beside the calls; these functions turn
tallies (or plain records) into the `stats` object. Median and p90 are those
of `statistics.median` and `statistics.quantiles(n=10, method="inclusive")[8]`,
reproduced exactly from a histogram of handle times, so a million calls never
have to be read one by one.
"""

from collections import Counter

# the dimensions cli.md's stats count, each with the calls column it counts:
# what call_tallies makes of a call, and what a database groups calls by
STATS_COLUMNS = {
    "outcome": "outcome",
    "caller_type": "caller_type",
    "verification": "verification",
    "region": "region",
    "operator": "operator",
    "disclosed": "disclosed_status",
}
DIMENSIONS = {
    "outcome": "by_outcome",
    "caller_type": "by_caller_type",
    "region": "by_region",
    "operator": "by_operator",
}


def _nth(histogram: list[tuple[float, int]], index: int) -> float:
    """The index-th value (0-based) of the sorted expansion of the histogram."""
    seen = 0
    for value, count in histogram:
        seen += count
        if index < seen:
            return value
    raise IndexError(index)


def handle_time_summary(histogram) -> dict:
    """{"median", "p90"} of handle times given as (seconds, count) pairs."""
    pairs = sorted((v, c) for v, c in (histogram.items() if isinstance(histogram, dict) else histogram) if c)
    n = sum(c for _, c in pairs)
    if n == 0:
        return {"median": None, "p90": None}
    half = n // 2
    if n % 2:
        median = _nth(pairs, half)
    else:
        median = (_nth(pairs, half - 1) + _nth(pairs, half)) / 2
    if n < 2:
        return {"median": median, "p90": None}
    # statistics.quantiles, method="inclusive", n=10, cut point i=9
    m = n - 1
    j, delta = divmod(9 * m, 10)
    p90 = (_nth(pairs, j) * (10 - delta) + _nth(pairs, j + 1) * delta) / 10
    return {"median": median, "p90": p90}


def stats_from_tallies(tallies: Counter, total: int, histogram) -> dict:
    """tallies: Counter keyed by (dimension, value) over outcome, caller_type,
    region, operator, verification and disclosed (other dimensions are not stats')."""
    result = {"calls": total}
    for dimension, key in DIMENSIONS.items():
        result[key] = {v: n for (d, v), n in sorted(tallies.items()) if d == dimension and n}
    result["verification"] = {k: tallies.get(("verification", k), 0) for k in ("verified", "not_verified", "not_attempted")}
    result["disclosed"] = {k: tallies.get(("disclosed", k), 0) for k in ("affected", "not_affected")}
    result["handle_time_seconds"] = handle_time_summary(histogram)
    result["escalations"] = tallies.get(("outcome", "escalated"), 0)
    return result


def call_tallies(record: dict) -> list[tuple[str, str]]:
    """The (dimension, value) pairs one call adds to."""
    # outcome, caller type and verification every call has; the others only when given
    pairs = [(dimension, record[column]) for dimension, column in STATS_COLUMNS.items()
             if dimension in ("outcome", "caller_type", "verification") or record.get(column)]
    # for the supervisor's dashboard
    if record.get("assurance"):
        pairs.append(("assurance", record["assurance"]))
    pairs += [("flag", flag) for flag in record.get("flags") or ()]
    if record.get("scam_report"):
        pairs.append(("scam", "reported"))
    return pairs
