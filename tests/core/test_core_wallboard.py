"""The wallboard's tiles: the hub's queue figures against supervisors' thresholds, in colour, word and symbol."""

from console.core.wallboard import AMBER, NO_DATA, OK, RED, WORDS, SYMBOLS, seconds_text, setting_name, tiles


def figures(**overall):
    base = {"offered": 0, "answered": 0, "abandoned": 0, "short_abandoned": 0, "waiting_now": 0,
            "longest_wait_seconds": None, "service_level": None, "average_speed_of_answer_seconds": None}
    return {"target_seconds": 60, "overall": {**base, **overall},
            "operators": {"signed_in": 4, "on_call": 2, "wrap_up": None}}


def states(shown):
    return {tile.key: tile.state for tile in shown}


def test_each_figure_is_on_target_near_or_over_its_limit_with_a_word_and_a_symbol():
    busy = figures(offered=105, answered=80, abandoned=12, short_abandoned=5, waiting_now=4,
                   longest_wait_seconds=200.0, service_level=0.7, average_speed_of_answer_seconds=12.0)
    shown = tiles(busy)
    assert states(shown) == {"waiting_now": AMBER, "longest_wait": RED, "service_level": AMBER,
                             "abandoned_rate": RED, "average_speed_of_answer": OK, "operators_available": OK}
    by_key = {tile.key: tile for tile in shown}
    assert by_key["abandoned_rate"].text == "12 %"  # 12 ÷ (105 − 5)
    assert by_key["longest_wait"].text == "3:20" and by_key["service_level"].text == "70 %"
    assert by_key["operators_available"].value == 2  # 4 signed in − 2 on a call
    for tile in shown:
        assert (tile.word, tile.symbol) == (WORDS[tile.state], SYMBOLS[tile.state])
    assert by_key["service_level"].target == "amber at or below 80 %, red at or below 60 %"
    assert by_key["longest_wait"].target == "amber from 1:00, red from 3:00"


def test_supervisors_thresholds_replace_the_defaults():
    calm = figures(offered=10, answered=10, service_level=0.9, average_speed_of_answer_seconds=45.0)
    assert states(tiles(calm))["average_speed_of_answer"] == AMBER
    chosen = {setting_name("average_speed_of_answer", "amber"): 50, setting_name("average_speed_of_answer", "red"): 90}
    assert states(tiles(calm, chosen))["average_speed_of_answer"] == OK
    chosen = {setting_name("service_level", "amber"): 95, setting_name("service_level", "red"): 90}
    assert states(tiles(calm, chosen))["service_level"] == RED


def test_a_figure_with_no_value_is_no_data_never_green():
    quiet = figures()
    quiet["operators"] = {"signed_in": None, "on_call": None, "wrap_up": None}
    shown = {tile.key: tile for tile in tiles(quiet)}
    assert shown["service_level"].state == NO_DATA and shown["service_level"].text == "—"
    assert shown["operators_available"].state == NO_DATA
    assert shown["waiting_now"].state == OK and shown["longest_wait"].text == "0 s"  # nobody waits


def test_waits_read_at_a_glance():
    assert [seconds_text(s) for s in (None, 4.6, 59, 60, 185, 3720)] == ["—", "5 s", "59 s", "1:00", "3:05", "1 h 02 min"]
