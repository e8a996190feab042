"""Issue 20: an account's track keeps its small containers as flat tuples; what it answers
is what the dicts and lists it replaced answered."""

from __future__ import annotations

from eelogs.states import SHORT_LIVED_MS, clock_step
from eelogs.tracks import TIMELINE_EVENTS, AccountTrack, TimelineEvent


def test_auth_counts_add_up_per_method_in_first_seen_order() -> None:
    track = AccountTrack("a")
    assert track.auth is None
    track.count_auth("oauth2")
    track.count_auth("password", 3)
    track.count_auth("oauth2", 2)
    assert track.auth == {"oauth2": 3, "password": 3}
    assert list(track.auth) == ["oauth2", "password"]


def test_signal_times_read_and_set_like_a_dict() -> None:
    track = AccountTrack("a")
    assert track.signals is None and len(track.signal_times()) == 0
    track.signal_times()["login"] = 10
    track.signal_times()["token"] = 20
    track.signal_times()["login"] = 30  # the latest time replaces the earlier one
    assert track.signals == {"login": 30, "token": 20}
    times = track.signal_times()
    assert times["token"] == 20 and times.get("send") is None and "login" in times
    del times["login"]
    assert track.signals == {"token": 20}


def test_timeline_keeps_the_latest_events_and_counts_the_rest() -> None:
    track = AccountTrack("a")
    for t in range(3 * TIMELINE_EVENTS + 7):
        track.remember(TimelineEvent(t, "state", "connected", f"line {t % 3}"))
    events, dropped = track.events()
    assert len(events) == TIMELINE_EVENTS and dropped == 2 * TIMELINE_EVENTS + 7
    assert [e.time for e in events] == list(range(dropped, 3 * TIMELINE_EVENTS + 7))
    assert events[-1] == TimelineEvent(3 * TIMELINE_EVENTS + 6, "state", "connected", "line 0")
    # equal texts are one object, whichever record they came from
    assert events[0].text is events[3].text


def test_equal_texts_of_different_accounts_are_shared() -> None:
    one, two = AccountTrack("a"), AccountTrack("b")
    one.remember(TimelineEvent(1, "finding", "p", "".join(["Command ", "failed"])))
    two.remember(TimelineEvent(2, "finding", "p", "".join(["Command fail", "ed"])))
    assert one.events()[0][0].text is two.events()[0][0].text


def test_short_lived_connections_are_remembered() -> None:
    track = AccountTrack("a")
    assert track.short_lived == []
    track.observe_state(1_000, "connected")
    track.observe_state(2_000, "disconnected")  # a second after it came up
    track.observe_state(10_000, "connected")
    track.observe_state(10_000 + SHORT_LIVED_MS + 1, "disconnected")  # a stable one
    track.observe_state(None, "connected")  # no time: learns nothing
    assert track.short_lived == [2_000]


def test_clock_step() -> None:
    assert clock_step(None, 5, "connected") == (5, False)
    assert clock_step(5, 6, "disconnected") == (None, True)
    assert clock_step(5, 5 + SHORT_LIVED_MS, "disconnected") == (None, False)
    assert clock_step(None, 6, "disconnected") == (None, False)
    assert clock_step(5, None, "disconnected") == (5, False)
