"""The supervisor's figures for one helpline day, from hourly tallies.

The store keeps, beside every call and in the same transaction, per-hour
tallies of what the dashboard counts (console.core.stats.call_tallies, and the
practice); `hour_tallies` makes the same tallies from plain call rows, which
is how the hub (or a test) gets them. Either way this module turns them into
the figures, so they are computed the same way everywhere, and a million
stored calls are never read one by one.

The day is the helpline's local day (Pacific/Auckland), midnight to midnight,
so a day with a daylight-saving change has 23 or 25 hours; New Zealand's
offsets are whole hours, so every UTC hour is one clock hour, and the
repeated hour of the 25-hour day is counted in one bar.

Definitions are cli.md's `stats` for what it defines (outcome, caller type,
region, operator, verification, disclosed, handle time, escalations), plus:
- verified_by: verified calls by assurance (possession, knowledge);
- by_practice: calls about a verified person, by the GP practice that person
  was enrolled with in the register when the call was saved
  (persons.practice_code); calls with no person, or a person with no
  practice, are left out, as cli.md leaves out a call with no region;
- extortion_reports: calls flagged "extortion"; scam_reports: calls with a
  scam report;
- callbacks: open callbacks now, and those overdue (the store's rule);
- lockouts: persons locked now;
- escalations_awaiting: escalated calls of the last ESCALATION_DAYS days
  (this one included) that no supervisor has taken up;
- in_progress: calls open now, where the source knows them (a workstation
  knows only its own open call screen), else None.
"""

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

from console.core.stats import call_tallies, stats_from_tallies
from console.core.timeutil import HELPLINE_ZONE, utc_text

NORTHLAND = "Northland"
ESCALATION_DAYS = 7
# handle-time bars: (lower bound in seconds, label); each bar runs to the next bound
HANDLE_BUCKETS = ((0, "0–1 min"), (60, "1–2 min"), (120, "2–5 min"), (300, "5–10 min"),
                  (600, "10–15 min"), (900, "15–30 min"), (1800, "30+ min"))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The helpline day as a half-open UTC interval [start, end)."""
    start = datetime.combine(day, time(0), HELPLINE_ZONE)
    end = datetime.combine(day + timedelta(days=1), time(0), HELPLINE_ZONE)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def escalation_window(day: date) -> tuple[str, str]:
    """An escalated call may await a supervisor on `day` if it started in
    [start, end), the ESCALATION_DAYS helpline days up to and including
    `day` (both ends as sortable UTC text)."""
    start, _ = day_bounds(day - timedelta(days=ESCALATION_DAYS - 1))
    _, end = day_bounds(day)
    return utc_text(start), utc_text(end)


def helpline_day(moment: datetime) -> date:
    return moment.astimezone(HELPLINE_ZONE).date()


def hour_start(moment: datetime) -> datetime:
    """The start (UTC) of the hour holding `moment`: a clock hour, offsets being whole hours."""
    return moment.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def clock_hour(moment: datetime) -> int:
    return moment.astimezone(HELPLINE_ZONE).hour


def region_order(by_region: dict) -> list[str]:
    """Northland first (the region worst hit), then the busiest first, then by name."""
    return sorted(by_region, key=lambda r: (r != NORTHLAND, -by_region[r], r))


def busiest_first(counts: dict) -> dict:
    return {k: counts[k] for k in sorted(counts, key=lambda k: (-counts[k], k))}


def dashboard_tallies(call: dict) -> list[tuple[str, str]]:
    """The (dimension, value) pairs one call adds to: cli.md's, and its person's practice."""
    pairs = call_tallies(call)
    if call.get("practice"):
        pairs.append(("practice", call["practice"]))
    return pairs


def hour_tallies(calls, day: date) -> tuple[list[tuple[datetime, Counter]], Counter]:
    """The tallies of each hour of `day` that holds calls, and the day's
    handle-time histogram, from plain call rows: dicts as cli.md's call record
    (started_at an aware datetime), plus handle_seconds, and practice (the
    person's practice, or None). Calls outside the day are left out."""
    start, end = day_bounds(day)
    hours: dict[datetime, Counter] = {}
    handle = Counter()
    for call in calls:
        if start <= call["started_at"].astimezone(timezone.utc) < end:
            hours.setdefault(hour_start(call["started_at"]), Counter()).update(dashboard_tallies(call))
            handle[call["handle_seconds"]] += 1
    return sorted(hours.items()), handle


def handle_histogram(handle: Counter) -> list[dict]:
    bounds = [lower for lower, _ in HANDLE_BUCKETS]
    counts = [0] * len(bounds)
    for seconds, n in handle.items():
        counts[sum(1 for lower in bounds if seconds >= lower) - 1] += n
    return [{"from_seconds": lower, "label": label, "calls": n} for (lower, label), n in zip(HANDLE_BUCKETS, counts)]


def dashboard_figures(hours, handle, yesterday_hours, *, day: date, now: datetime, callbacks: dict, lockouts: int,
                      escalations_awaiting: int, in_progress: int | None = None) -> dict:
    """Every figure of the dashboard for `day`, as of `now`.

    hours, handle: the tallies of each hour of the day and the day's
        handle-time histogram, as `hour_tallies` makes them;
    yesterday_hours: (hour start, calls) of the day before;
    callbacks: {"open", "overdue"} now; lockouts: persons locked now;
    escalations_awaiting: escalated calls nobody has taken up.
    """
    tallies = Counter()
    for _, hour in hours:
        tallies.update(hour)
    total = sum(n for (dimension, _), n in tallies.items() if dimension == "outcome")
    figures = stats_from_tallies(tallies, total, handle)
    figures["by_region"] = {r: figures["by_region"][r] for r in region_order(figures["by_region"])}
    figures["by_operator"] = busiest_first(figures["by_operator"])
    figures["by_practice"] = busiest_first({v: n for (d, v), n in tallies.items() if d == "practice" and n})
    figures["verified_by"] = {a: tallies.get(("assurance", a), 0) for a in ("possession", "knowledge")}
    figures["extortion_reports"] = tallies.get(("flag", "extortion"), 0)
    figures["scam_reports"] = tallies.get(("scam", "reported"), 0)
    figures["escalations_awaiting"] = escalations_awaiting
    figures["callbacks"] = {"open": callbacks["open"], "overdue": callbacks["overdue"]}
    figures["lockouts"] = lockouts
    figures["in_progress"] = in_progress

    def calls_in(hour: Counter) -> int:
        return sum(n for (dimension, _), n in hour.items() if dimension == "outcome")

    this_hour = hour_start(now)
    figures["calls_this_hour"] = (sum(calls_in(hour) for begins, hour in hours if begins == this_hour)
                                  if helpline_day(now) == day else None)
    per_hour = {"today": [0] * 24, "yesterday": [0] * 24}
    for begins, hour in hours:
        per_hour["today"][clock_hour(begins)] += calls_in(hour)
    for begins, n in yesterday_hours:
        per_hour["yesterday"][clock_hour(begins)] += n
    figures["calls_per_hour"] = per_hour
    figures["handle_time_histogram"] = handle_histogram(handle)
    figures["day"] = day.isoformat()
    figures["as_of"] = now.astimezone(HELPLINE_ZONE).isoformat(timespec="seconds")
    return figures
