"""The supervisor's figures for one helpline day, from plain rows.

The store (and the hub, over every workstation's calls) fetches the rows;
this computes every figure the same way wherever they came from. The day is
the helpline's local day (Pacific/Auckland), midnight to midnight, so a day
with a daylight-saving change has 23 or 25 hours; hours are clock hours, and
the repeated hour of the 25-hour day is counted in one bar.

Definitions are cli.md's `stats` for what it defines (outcome, caller type,
region, operator, verification, disclosed, handle time, escalations), plus:
- verified_by: verified calls by assurance (possession, knowledge);
- by_practice: calls about a verified person, by the GP practice that person
  is enrolled with in the register (persons.practice_code); calls with no
  person, or a person with no practice, are left out, as cli.md leaves out a
  call with no region;
- extortion_reports: calls flagged "extortion"; scam_reports: calls with a
  scam report;
- callbacks: open callbacks now, and those overdue (the store's rule);
- lockouts: persons locked now;
- escalations_awaiting: escalated calls of the last ESCALATION_DAYS days
  (this one included) that no supervisor has acknowledged;
- in_progress: calls open now, where the source knows them (a workstation
  knows only its own open call screen), else None.
"""

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

from console.core.stats import call_tallies, stats_from_tallies
from console.core.timeutil import HELPLINE_ZONE

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


def helpline_day(moment: datetime) -> date:
    return moment.astimezone(HELPLINE_ZONE).date()


def hour_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The clock hour holding `moment`, as a half-open UTC interval."""
    local = moment.astimezone(HELPLINE_ZONE)
    start = local.replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)
    return start, start + timedelta(hours=1)


def clock_hour(moment: datetime) -> int:
    return moment.astimezone(HELPLINE_ZONE).hour


def region_order(by_region: dict) -> list[str]:
    """Northland first (the region worst hit), then the busiest first, then by name."""
    return sorted(by_region, key=lambda r: (r != NORTHLAND, -by_region[r], r))


def busiest_first(counts: dict) -> dict:
    return {k: counts[k] for k in sorted(counts, key=lambda k: (-counts[k], k))}


def handle_histogram(seconds) -> list[dict]:
    counts = [0] * len(HANDLE_BUCKETS)
    for value in seconds:
        counts[max(i for i, (lower, _) in enumerate(HANDLE_BUCKETS) if value >= lower)] += 1
    return [{"from_seconds": lower, "label": label, "calls": n} for (lower, label), n in zip(HANDLE_BUCKETS, counts)]


def dashboard_figures(calls, yesterday_hours, callbacks, locked, escalations_awaiting, *, day: date, now: datetime,
                      in_progress: int | None = None) -> dict:
    """Every figure of the dashboard for `day`, as of `now`.

    calls: the day's calls, dicts with started_at (an aware datetime),
        handle_seconds, operator, caller_type, verification, assurance,
        disclosed_status, outcome, region, flags (a list), scam_report (truthy
        when there is one) and practice (the person's practice, or None);
    yesterday_hours: (hour start, calls) pairs covering the day before;
    callbacks: the open callbacks, dicts with an `overdue` truth value;
    locked: the persons locked now; escalations_awaiting: the unacknowledged
        escalated calls (ESCALATION_DAYS).
    """
    start, end = day_bounds(day)
    today = [c for c in calls if start <= c["started_at"].astimezone(timezone.utc) < end]
    tallies = Counter(pair for c in today for pair in call_tallies(c))
    figures = stats_from_tallies(tallies, len(today), Counter(c["handle_seconds"] for c in today))
    figures["by_region"] = {r: figures["by_region"][r] for r in region_order(figures["by_region"])}
    figures["by_operator"] = busiest_first(figures["by_operator"])
    figures["by_practice"] = busiest_first(Counter(c["practice"] for c in today if c.get("practice")))
    figures["verified_by"] = {
        assurance: sum(1 for c in today if c["verification"] == "verified" and c["assurance"] == assurance)
        for assurance in ("possession", "knowledge")
    }
    figures["extortion_reports"] = sum(1 for c in today if "extortion" in (c.get("flags") or ()))
    figures["scam_reports"] = sum(1 for c in today if c.get("scam_report"))
    figures["escalations_awaiting"] = len(escalations_awaiting)
    figures["callbacks"] = {"open": len(callbacks), "overdue": sum(1 for c in callbacks if c["overdue"])}
    figures["lockouts"] = len(locked)
    figures["in_progress"] = in_progress
    if helpline_day(now) == day:
        hour_start, hour_end = hour_bounds(now)
        figures["calls_this_hour"] = sum(1 for c in today if hour_start <= c["started_at"] < hour_end)
    else:
        figures["calls_this_hour"] = None
    per_hour = {"today": [0] * 24, "yesterday": [0] * 24}
    for c in today:
        per_hour["today"][clock_hour(c["started_at"])] += 1
    for hour_start, n in yesterday_hours:
        per_hour["yesterday"][clock_hour(hour_start)] += n
    figures["calls_per_hour"] = per_hour
    figures["handle_time_histogram"] = handle_histogram(c["handle_seconds"] for c in today)
    figures["day"] = day.isoformat()
    figures["as_of"] = now.astimezone(HELPLINE_ZONE).isoformat(timespec="seconds")
    return figures
