"""console.core.telephony: the CTI contract checked, the queue's figures and
the missed callers, against counts made by hand."""

from datetime import date, datetime, timedelta, timezone

import pytest

from console.core.telephony import (CtiRefused, number_key, operator_activity, parse_event, queue_figures,
                                    missed_callers, summarise,
                                    tally_calls, traces)

T0 = datetime(2026, 3, 2, 22, 0, tzinfo=timezone.utc)  # 11:00 on 3 March in Auckland (NZDT)
DAY = date(2026, 3, 3)


def ev(event, call_id, seconds, frm="+6421555001", cause=None, direction="in", queue="helpline", user=None):
    fields = {"event": event, "callId": call_id, "from": frm, "to": "0800111222", "direction": direction,
              "queue": queue}
    if cause:
        fields["cause"] = cause
    if user:
        fields["user"] = user
    return parse_event(fields), T0 + timedelta(seconds=seconds)


def test_a_good_event_is_read_from_json_or_form_fields():
    event = parse_event({"event": "hangup", "callId": "c1", "from": "anonymous", "to": "100", "direction": "in",
                         "cause": "cancel", "user": ["Anna", "Ben"], "at": "1767225600.5"})
    assert (event.event, event.cause, event.users) == ("hangup", "cancel", ("Anna", "Ben"))
    assert event.at == datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=timezone.utc)
    form = parse_event({"event": ["answer"], "callId": ["c1"], "from": ["021"], "to": ["100"], "direction": ["in"],
                        "user": "Anna", "answeringNumber": "100"})
    assert form.users == ("Anna",) and form.answering_number == "100"


@pytest.mark.parametrize("fields, words", [
    ({}, ["The field event is missing", "The field callId is missing", "The field direction is missing"]),
    ({"event": "ring", "callId": "c", "from": "1", "to": "2", "direction": "in"}, ["event must be one of"]),
    ({"event": "hangup", "callId": "c", "from": "1", "to": "2", "direction": "in"}, ["The field cause is missing"]),
    ({"event": "hangup", "callId": "c", "from": "1", "to": "2", "direction": "in", "cause": "bored"},
     ["cause must be one of"]),
    ({"event": "newCall", "callId": "c" * 251, "from": "1", "to": "2", "direction": "sideways"},
     ["callId is 251 characters long", "direction must be in or out"]),
    ({"event": "newCall", "callId": "c", "from": {"x": 1}, "to": "2", "direction": "in"},
     ["The field from must be text"]),
    ({"event": "newCall", "callId": "c", "from": "1", "to": "2", "direction": "in", "user": [""]},
     ["The field user[0]"]),
    ({"event": "newCall", "callId": "c", "from": "1", "to": "2", "direction": "in", "at": "yesterday"},
     ["The field at"]),
])
def test_a_bad_event_gets_a_sentence_per_problem(fields, words):
    with pytest.raises(CtiRefused) as refused:
        parse_event(fields)
    for word in words:
        assert any(word in problem for problem in refused.value.problems), (word, refused.value.problems)
    assert all(problem.endswith(".") for problem in refused.value.problems)


def test_queue_figures_count_each_outcome_and_apply_the_formulas():
    events = [
        *[ev("newCall", "a", 0), ev("answer", "a", 30, user="Anna"), ev("hangup", "a", 330, cause="normalClearing")],
        *[ev("newCall", "b", 10), ev("answer", "b", 100), ev("hangup", "b", 200, cause="normalClearing")],
        *[ev("newCall", "c", 20, frm="+6421555003"), ev("hangup", "c", 22, cause="cancel")],  # short abandon
        *[ev("newCall", "d", 30, frm="+6421555004"), ev("hangup", "d", 130, cause="cancel")],  # abandon
        *[ev("newCall", "e", 40, frm="anonymous"), ev("hangup", "e", 41, cause="busy")],  # unanswered
        ev("newCall", "f", 50, queue="youth"),  # still waiting
        *[ev("newCall", "g", 60, direction="out"), ev("answer", "g", 70, direction="out")],  # not the queue's
    ]
    figures = queue_figures(tally_calls(traces(events).values(), DAY),
                            waiting_since=[("youth", T0 + timedelta(seconds=50))],
                            now=T0 + timedelta(seconds=170))
    overall = figures["overall"]
    assert {k: overall[k] for k in ("offered", "answered", "abandoned", "short_abandoned", "unanswered", "waiting",
                                    "answered_within_target")} == {
        "offered": 6, "answered": 2, "abandoned": 1, "short_abandoned": 1, "unanswered": 1, "waiting": 1,
        "answered_within_target": 1}
    assert overall["service_level"] == round(1 / (6 - 1), 4)
    assert overall["average_speed_of_answer_seconds"] == 60.0  # (30 + 90) / 2
    assert overall["average_handle_seconds"] == 200.0  # (300 + 100) / 2
    assert overall["waiting_now"] == 1 and overall["longest_wait_seconds"] == 120.0
    assert figures["queues"]["youth"]["waiting_now"] == 1 and figures["queues"]["helpline"]["offered"] == 5
    assert list(figures["hours"]) == ["11"]
    assert figures["formulas"]["service_level"] == "answered within 60 s ÷ (offered − short abandons)"
    assert "answer → hangup" in figures["formulas"]["average_handle_time"]
    assert queue_figures(tally_calls(traces(events).values(), DAY, target=20), target=20)["overall"]["service_level"] == 0.0


def test_missed_callers_are_one_per_number_per_day_newest_first_and_resolved_when_they_get_through():
    events = [
        *[ev("newCall", "m1", 0, frm="021 555 001"), ev("hangup", "m1", 40, cause="cancel")],
        *[ev("newCall", "m2", 600, frm="+6421555001"), ev("hangup", "m2", 700, cause="noAnswer")],
        *[ev("newCall", "m3", 900, frm="+6421555009"), ev("hangup", "m3", 905, cause="busy")],
        *[ev("newCall", "m4", 950, frm="anonymous"), ev("hangup", "m4", 990, cause="cancel")],
        # +6421555009 gets through later; +6421555001 got through only before its last missed call
        *[ev("newCall", "ok1", 300, frm="+6421555001"), ev("answer", "ok1", 310)],
        *[ev("newCall", "ok2", 2000, frm="021555009"), ev("answer", "ok2", 2010)],
    ]
    entries = missed_callers(traces(events).values(), DAY)
    assert [(e.key, e.calls, e.wait_seconds, e.resolved_at is not None) for e in entries] == [
        ("+6421555009", 1, 5.0, True), ("+6421555001", 2, 100.0, False)]
    assert entries[0].as_dict(masked=True)["number"] == "…009"
    assert number_key("anonymous") is None and number_key("021 555 001") == "+6421555001"


def test_handle_time_runs_from_the_answer_to_the_call_saved_and_says_when_it_falls_back_to_the_hangup():
    events = [
        *[ev("newCall", "a", 0), ev("answer", "a", 30), ev("hangup", "a", 330, cause="normalClearing")],
        *[ev("newCall", "b", 10), ev("answer", "b", 100), ev("hangup", "b", 200, cause="normalClearing")],
        *[ev("newCall", "c", 20), ev("answer", "c", 40), ev("hangup", "c", 140, cause="normalClearing")],
    ]
    calls = traces(events)
    calls["a"].saved_at = T0 + timedelta(seconds=450)  # written up for two minutes after the hangup
    calls["b"].saved_at = T0 + timedelta(seconds=160)  # saved while the caller was still on: the hangup ends it
    figures = queue_figures(tally_calls(calls.values(), DAY))
    # a: 30 → 450 = 420; b: 100 → 200 = 100; c (no call saved): 40 → 140 = 100
    assert figures["overall"]["average_handle_seconds"] == round(620 / 3, 1)
    assert figures["overall"]["handled_to_hangup"] == 1
    formula = figures["formulas"]["average_handle_time"]
    assert formula.startswith("answer → call saved") and "1 of 3" in formula and "answer → hangup" in formula
    calls["c"].saved_at = T0 + timedelta(seconds=200)
    figures = queue_figures(tally_calls(calls.values(), DAY))
    assert figures["overall"]["average_handle_seconds"] == round((420 + 100 + 160) / 3, 1)
    assert figures["formulas"]["average_handle_time"] == "answer → call saved"
    assert summarise(calls["c"])["handle_seconds"] == 160


def test_operators_on_a_call_and_in_wrap_up_from_their_latest_answered_calls():
    t = lambda s: T0 + timedelta(seconds=s)  # noqa: E731
    rows = [
        ("anna", t(0), t(100), t(150)), ("anna", t(200), None, None),  # on a call
        ("ben", t(0), t(100), None), ("ben", t(300), t(400), None),  # hung up, not saved: wrap-up
        ("cleo", t(0), t(100), None), ("cleo", t(300), t(400), t(420)),  # saved the latest: neither
        ("dan", t(0), t(50), t(60)),
    ]
    assert operator_activity(rows) == {"on_call": 1, "wrap_up": 1}
    assert operator_activity([]) == {"on_call": 0, "wrap_up": 0}
