"""queue_log lines read in both layouts, and events folded into calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.pbx.asterisk import queue_log_calls
from integrations.pbx.asterisk.queue_log import BadLine, agent_extension, parse_line
from integrations.pbx.asterisk.queue_log_calls import fold
from store.calls.records import CallInfo
from tests.conftest import MADRID


def test_the_file_layout_reads_epoch_seconds() -> None:
    event = parse_line("1764000000|1764000000.42|support|PJSIP/211|CONNECT|9|1764000000.43|3",
                       12, MADRID)
    assert event is not None
    assert (event.line, event.at, event.call_id, event.queue, event.agent, event.event) == (
        12, datetime(2025, 11, 24, 16, 0, tzinfo=UTC), "1764000000.42", "support",
        "PJSIP/211", "CONNECT")
    assert event.seconds(0) == 9.0 and event.field(5) == ""


def test_the_realtime_export_reads_local_times_and_skips_its_header() -> None:
    assert parse_line("time|callid|queuename|agent|event|data1|data2|data3|data4|data5", 1,
                      MADRID) is None
    event = parse_line("2012-07-01 08:00:00.000001|received_6|q01|NONE|ENTERQUEUE|||||", 2,
                       MADRID)
    assert event is not None and event.at == datetime(2012, 7, 1, 8, 0, 0, 1, tzinfo=MADRID)
    assert event.data == ("", "", "", "", "")
    assert parse_line("   ", 3, MADRID) is None


@pytest.mark.parametrize(("line", "why"), [
    ("1764000000|x|q|NONE", "4 fields"),
    ("yesterday|x|q|NONE|ENTERQUEUE", "neither epoch seconds"),
    ("2026-02-30 10:00:00|x|q|NONE|ENTERQUEUE", "not a real date"),
    ("1764000000|x|q|NONE|enter queue", "not an event name"),
    ("1764000000||q|NONE|ENTERQUEUE", "callid must be"),
    ("1764000000|x|q|NONE|ABANDON|1|1|-4", "negative"),
    ("1764000000|x|q|NONE|COMPLETECALLER|3|lots|1", "data2 'lots' is not a number"),
    ("1" * 9000, "longer than"),
    ("999999999999|x|q|NONE|ENTERQUEUE", "not in the years 1970 to 2099"),  # year 33658: once a ValueError
    ("99999999999|x|q|NONE|ENTERQUEUE", "not in the years 1970 to 2099"),  # year 5138
    ("1e300|x|q|NONE|ENTERQUEUE", "neither epoch seconds"),
    ("²|x|q|NONE|ENTERQUEUE", "neither epoch seconds"),  # isdigit(), not int(): crashed
    ("١٧٦٤٠٠٠٠٠٠|x|q|NONE|ENTERQUEUE", "neither epoch seconds"),  # Arabic-Indic digits
    ("1764000000|x|q|NONE|CONNECT|٩", "data1 '٩' is not a number"),
])
def test_malformed_lines_say_why(line: str, why: str) -> None:
    with pytest.raises(BadLine, match=why):
        parse_line(line, 1, MADRID)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789|:.- ABCENTQUabc\t²١"), max_size=80))
def test_any_text_is_an_event_nothing_or_a_bad_line(text: str) -> None:
    try:
        event = parse_line(text, 1, MADRID)
    except BadLine as exc:
        assert str(exc)  # says why
        return
    assert event is None or (event.at.tzinfo is not None and event.event.isupper()
                             and 0 < len(event.call_id) <= 128)


@pytest.mark.parametrize(("agent", "extension"), [
    ("PJSIP/211", "211"), ("SIP/211-0000002a", "211"), ("Local/211@from-queue/n", "211"),
    ("Agent/1001", "1001"), ("NONE", None), ("", None), ("Alice Agent", None), ("211", "211"),
])
def test_agents_are_read_as_extensions(agent: str, extension: str | None) -> None:
    assert agent_extension(agent, "PJSIP/{extension}") == extension


def lines(*rows: str) -> list:  # type: ignore[type-arg]
    events = [parse_line(row, n, MADRID) for n, row in enumerate(rows, start=1)]
    return [e for e in events if e is not None]


def test_lines_out_of_order_make_the_same_call() -> None:
    rows = ("1000|c|q|NONE|ENTERQUEUE||600111222|1", "1012|c|q|PJSIP/211|CONNECT|12|d|2",
            "1100|c|q|PJSIP/211|COMPLETECALLER|12|88|1")
    forward = fold(lines(*rows), {}).calls
    backward = fold(lines(*reversed(rows)), {}).calls
    assert forward == backward
    (call,) = forward.values()
    assert (call.outcome, call.extension, call.wait_seconds, call.talk_seconds,
            call.entered_at) == ("answered", "211", 12.0, 88.0,
                                 datetime.fromtimestamp(1000, UTC))


def test_a_log_that_starts_mid_call_still_answers_it() -> None:
    (call,) = fold(lines("1100|c|q|Agent/7|COMPLETEAGENT|12|88|1"), {}).calls.values()
    assert call.entered_at == datetime.fromtimestamp(1000, UTC)
    assert call.answered_at == datetime.fromtimestamp(1012, UTC)
    assert (call.outcome, call.extension) == ("answered", "7")


@pytest.mark.parametrize(("row", "wait", "talk"), [
    ("1100|c|q|PJSIP/211|TRANSFER|300|from-internal|12|88|1", 12.0, 88.0),
    ("1100|c|q|PJSIP/211|BLINDTRANSFER|300|from-internal|12|88|1", 12.0, 88.0),
    ("1100|c|q|PJSIP/211|ATTENDEDTRANSFER|BRIDGE|1700.9|12|88|1", 12.0, 88.0),
    ("1100|c|q|PJSIP/211|ATTENDEDTRANSFER|APP|Playback|12|88|1", 12.0, 88.0),
    # LINK names both linked channels: hold and talk are data4 and data5, not data3/4.
    ("1100|c|q|PJSIP/211|ATTENDEDTRANSFER|LINK|PJSIP/211-00000001|PJSIP/300-00000002|12|88|1",
     12.0, 88.0),
    ("1100|c|q|PJSIP/211|ATTENDEDTRANSFER|link|PJSIP/211-00000001|Local/300@ctx-0001;1|12|88|1",
     12.0, 88.0),
])
def test_transfers_are_answered_calls(row: str, wait: float, talk: float) -> None:
    (call,) = fold(lines("1000|c|q|NONE|ENTERQUEUE||600111222|1", row), {}).calls.values()
    assert (call.outcome, call.wait_seconds, call.talk_seconds) == ("transferred", wait, talk)


def test_an_attended_transfer_by_link_is_not_a_bad_line() -> None:
    event = parse_line("1100|c|q|PJSIP/211|ATTENDEDTRANSFER|LINK|PJSIP/211-0000001|"
                       "PJSIP/300-0000002|12|88|1", 1, MADRID)
    assert event is not None and event.seconds(3) == 12.0
    with pytest.raises(BadLine, match="data4 'x' is not a number"):
        parse_line("1100|c|q|PJSIP/211|ATTENDEDTRANSFER|LINK|a|b|x|88|1", 1, MADRID)


@pytest.mark.parametrize(("row", "outcome"), [
    ("1040|c|q|NONE|EXITWITHTIMEOUT|1", "timeout"),  # Asterisk 1.4: position only
    ("1040|c|q|NONE|EXITWITHKEY|5|1", "exit_key"),  # 1.4: key and position only
])
def test_old_exits_without_a_wait_waited_since_the_call_entered(row: str,
                                                                 outcome: str) -> None:
    (call,) = fold(lines("1000|c|q|NONE|ENTERQUEUE||600111222|1", row), {}).calls.values()
    assert (call.outcome, call.wait_seconds) == (outcome, 40.0)
    # Read in two pieces, the stored stint carries the entry: the same wait.
    (first,) = fold(lines("1000|c|q|NONE|ENTERQUEUE||600111222|1"), {}).calls.values()
    (again,) = fold(lines(row), {("c", "q"): first}).calls.values()
    assert again == call
    # Without its ENTERQUEUE nothing says how long it waited.
    (alone,) = fold(lines(row), {}).calls.values()
    assert alone.wait_seconds is None


def test_one_call_through_two_queues_is_two_stints() -> None:
    folded = fold(lines("1000|c|q1|NONE|ENTERQUEUE||600111222|1",
                        "1020|c|q1|NONE|EXITWITHKEY|2|1|1|20",
                        "1021|c|q2|NONE|ENTERQUEUE||600111222|1",
                        "1026|c|q2|PJSIP/212|CONNECT|5|d|1"), {})
    assert {(k, c.outcome) for k, c in folded.calls.items()} == {
        (("c", "q1"), "exit_key"), (("c", "q2"), "answered")}


def test_each_wrapup_lands_on_the_call_its_agent_ended_last_by_then() -> None:
    """Two agents, interleaved: every wrap-up goes to its own agent's latest ended call,
    not a later one, not another agent's; a wrap-up before any ended call is ignored."""
    folded = fold(lines(
        "990|NONE|NONE|Agent/12|WRAPUPSTART|99",
        "1000|a|q|NONE|ENTERQUEUE||1|1", "1001|b|q|NONE|ENTERQUEUE||2|1",
        "1002|a|q|Agent/11|CONNECT|2|x|1", "1003|b|q|Agent/12|CONNECT|2|x|1",
        "1010|a|q|Agent/11|COMPLETEAGENT|2|8|1",
        "1011|c|q|NONE|ENTERQUEUE||3|1", "1012|c|q|Agent/11|CONNECT|1|x|1",
        "1020|b|q|Agent/12|COMPLETECALLER|2|17|1",
        "1021|NONE|NONE|Agent/11|WRAPUPSTART|11",  # a (c has not ended)
        "1022|NONE|NONE|Agent/12|WRAPUPSTART|12",  # b
        "1030|c|q|Agent/11|COMPLETEAGENT|1|18|1",
        "1031|NONE|NONE|Agent/11|WRAPUPSTART|13",  # c, a stays 11
        "1032|NONE|NONE|Agent/11|WRAPUPSTART|14"), {}, template="Agent/{extension}")
    assert {key[0]: call.wrapup_seconds for key, call in folded.calls.items()} == {
        "a": 11.0, "b": 12.0, "c": 14.0}
    assert folded.ignored == 1


def test_wrapup_lands_on_the_agents_last_call() -> None:
    folded = fold(lines("1000|a|q|NONE|ENTERQUEUE||1|1", "1005|a|q|Agent/11|CONNECT|5|x|1",
                        "1050|a|q|Agent/11|COMPLETEAGENT|5|45|1",
                        "1051|NONE|NONE|Agent/11|WRAPUPSTART|15"), {}, template="Agent/{extension}")
    assert folded.calls[("a", "q")].wrapup_seconds == 15.0
    assert folded.ignored == 0
    start = datetime.fromtimestamp(1000, UTC)
    assert folded.calls[("a", "q")].ended_at == start + timedelta(seconds=50)


def test_a_wrapup_after_the_agents_last_call_went_to_another_agent() -> None:
    """Agent 11 ends a and then b; a wrap-up takes b (and sets a aside); b is re-queued
    and answered by 12; 11's next wrap-up goes back to a, as a scan of every call finds."""
    folded = fold(lines(
        "1000|a|q|Agent/11|COMPLETEAGENT|1|9|1", "1010|b|q|Agent/11|COMPLETEAGENT|1|9|1",
        "1011|NONE|NONE|Agent/11|WRAPUPSTART|5", "1020|b|q|Agent/12|CONNECT|1|x|1",
        "1030|NONE|NONE|Agent/11|WRAPUPSTART|6"), {}, template="Agent/{extension}")
    assert {key[0]: (c.extension, c.wrapup_seconds) for key, c in folded.calls.items()} == {
        "a": ("11", 6.0), "b": ("12", 5.0)}


def test_a_call_touched_again_after_it_was_set_aside_stays_aside() -> None:
    """s, x, f end (agent 11); a wrap-up takes f and sets s and x aside; a late line of s
    touches it again; f goes to agent 12: the next wrap-up is x's, the latest of 11's."""
    folded = fold(lines(
        "1005|s|q|Agent/11|COMPLETEAGENT|1|4|1", "1010|x|q|Agent/11|COMPLETEAGENT|1|9|1",
        "1020|f|q|Agent/11|COMPLETEAGENT|1|9|1", "1025|NONE|NONE|Agent/11|WRAPUPSTART|5",
        "1026|s|q|NONE|ENTERQUEUE||600111222|1", "1030|f|q|Agent/12|CONNECT|1|x|1",
        "1050|NONE|NONE|Agent/11|WRAPUPSTART|6"), {}, template="Agent/{extension}")
    assert {key[0]: c.wrapup_seconds for key, c in folded.calls.items()} == {
        "s": None, "x": 6.0, "f": 5.0}


class _EveryStint(queue_log_calls._Ended):
    """Wrap-up's choice made the plain way: every stint folded so far is looked at."""

    def last(self, extension: str, at: datetime) -> dict[str, Any] | None:
        ended = [stint for stint in self.state.values()
                 if stint["extension"] == extension and stint["ended_at"] is not None
                 and stint["ended_at"] <= at]
        return max(ended, key=lambda stint: stint["ended_at"]) if ended else None


_AGENTS = ["Agent/11", "Agent/12", "Agent/13"]
_LINE = st.tuples(st.integers(0, 40), st.sampled_from(["a", "b", "c", "d"]),
                  st.sampled_from(["q1", "q2"]), st.sampled_from(_AGENTS),
                  st.sampled_from(["ENTERQUEUE", "CONNECT", "COMPLETEAGENT", "WRAPUPSTART",
                                   "WRAPUPSTART", "ABANDON"]))


_STORED = st.dictionaries(
    st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["q1", "q2"])),
    st.tuples(st.integers(0, 40), st.sampled_from(["11", "12", "13"])), max_size=4)


@settings(derandomize=True, max_examples=800, deadline=None)
@given(st.lists(_LINE, max_size=40), _STORED)
def test_wrapup_through_the_index_chooses_as_looking_at_every_stint(
        rows: list[tuple[int, str, str, str, str]],
        stored: dict[tuple[str, str], tuple[int, str]]) -> None:
    """Calls re-queued and answered by another agent, calls touched again after they
    ended, calls already stored, ties, several wrap-ups: the per-agent index with its
    set-aside calls picks what a scan of every stint picks."""
    known = {key: CallInfo(key[0], key[1], datetime.fromtimestamp(990, UTC), "answered",
                           ended_at=datetime.fromtimestamp(1000 + end, UTC), extension=ext)
             for key, (end, ext) in stored.items()}
    texts = []
    for second, call, queue, agent, name in rows:
        data = {"CONNECT": "1|x|1", "COMPLETEAGENT": "1|2|1", "WRAPUPSTART": "7",
                "ABANDON": "1|1|3", "ENTERQUEUE": "|600111222|1"}[name]
        where = "NONE|NONE" if name == "WRAPUPSTART" else f"{call}|{queue}"
        texts.append(f"{1000 + second}|{where}|{agent}|{name}|{data}")
    events = lines(*texts)
    fast = fold(events, known, template="Agent/{extension}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(queue_log_calls, "_Ended", _EveryStint)
        plain = fold(events, known, template="Agent/{extension}")
    assert fast.calls == plain.calls and fast.ignored == plain.ignored
