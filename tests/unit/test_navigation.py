"""The navigator's rules, on a fake clock."""

from collections.abc import Callable

import msgspec
import pytest

from kiosk.navigation import (
    ALERT_SETTLE_S,
    Activity,
    Command,
    KeyMap,
    Navigator,
    Screen,
    View,
    grid_shape,
    leader_contacts,
    no_contacts_reason,
)
from kiosk_contract.config import Idle, Keys, KioskConfig, Tile
from kiosk_contract.config.calls import Contact


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(
    config: KioskConfig,
    clock: FakeClock | None = None,
    count: int | None = None,
    **kwargs: object,
) -> Navigator:
    tiles = config.tiles[:count] if count else config.tiles
    return Navigator(tiles, config.keys, config.idle, clock or FakeClock(), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("count", "shape"), [(2, (1, 2)), (3, (1, 3)), (4, (2, 2)), (5, (2, 3)), (6, (2, 3))]
)
def test_grid_shape(count: int, shape: tuple[int, int]) -> None:
    assert grid_shape(count) == shape


def test_number_keys_press_the_nth_tile(demo_config: KioskConfig) -> None:
    nav = make(demo_config)
    assert nav.key("2")
    assert nav.view.screen is Screen.NOT_AVAILABLE
    assert nav.view.tile is not None and nav.view.tile.label == "건강체조"
    assert nav.view.focus == 1


def test_number_key_beyond_the_tiles_does_nothing(demo_config: KioskConfig) -> None:
    nav = make(demo_config, count=3)
    assert not nav.key("5")
    assert nav.view.screen is Screen.HOME


def test_unknown_keys_do_nothing(demo_config: KioskConfig) -> None:
    nav = make(demo_config)
    assert not nav.key("F12")
    assert nav.view.screen is Screen.HOME


def test_escape_and_enter_on_a_page_go_home(demo_config: KioskConfig) -> None:
    nav = make(demo_config)
    nav.key("1")
    assert nav.key("Escape")
    assert nav.view.screen is Screen.HOME
    nav.key("3")
    assert nav.key("Return")
    assert nav.view.screen is Screen.HOME
    assert nav.view.focus == 2, "focus stays on the tile the senior came from"


def test_enter_presses_the_focused_tile(demo_config: KioskConfig) -> None:
    nav = make(demo_config)
    nav.command(Command.RIGHT)
    nav.command(Command.DOWN)
    assert nav.view.focus == 4
    nav.key("Enter")
    assert nav.view.tile is not None and nav.view.tile.id == "broadcast"


@pytest.mark.parametrize("count", [2, 3, 4, 5, 6])
def test_arrows_reach_every_tile_and_stay_inside(demo_config: KioskConfig, count: int) -> None:
    nav = make(demo_config, count=count)
    seen = {nav.view.focus}
    frontier = [nav.view.focus]
    while frontier:
        start = frontier.pop()
        for command in (Command.UP, Command.DOWN, Command.LEFT, Command.RIGHT):
            nav._set(nav.view.__class__(Screen.HOME, focus=start))
            nav.command(command)
            assert 0 <= nav.view.focus < count
            if nav.view.focus not in seen:
                seen.add(nav.view.focus)
                frontier.append(nav.view.focus)
    assert seen == set(range(count))


def test_down_from_the_last_row_does_not_move(demo_config: KioskConfig) -> None:
    nav = make(demo_config, count=5)
    nav.command(Command.DOWN)
    assert nav.view.focus == 3
    assert not nav.command(Command.DOWN)
    nav.command(Command.UP)
    nav.command(Command.RIGHT)
    nav.command(Command.RIGHT)
    assert nav.view.focus == 2
    nav.command(Command.DOWN)
    assert nav.view.focus == 4, "down into the shorter row lands on its last tile"


def test_idle_returns_home_after_the_configured_time(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav = make(demo_config, clock)
    nav.key("1")
    clock.now += 119
    nav.tick()
    assert nav.view.screen is Screen.NOT_AVAILABLE
    clock.now += 1
    nav.tick()
    assert nav.view.screen is Screen.HOME


def test_input_restarts_the_idle_countdown(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav = make(demo_config, clock)
    nav.key("1")
    clock.now += 100
    nav.note_input()
    clock.now += 100
    nav.tick()
    assert nav.view.screen is Screen.NOT_AVAILABLE


def test_no_idle_return_while_busy(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav = make(demo_config, clock, openers={"programme": lambda tile: Screen.PLAYING})
    nav.key("1")
    assert nav.view.behind is Activity.PROGRAMME
    clock.now += 10_000
    nav.tick()
    assert nav.view.screen is Screen.PLAYING
    assert not nav.key("2"), "tile keys do not interrupt what is playing"
    nav.open_leader()
    clock.now += 60
    nav.activity_ended(Activity.PROGRAMME)  # it ran out behind leader mode
    assert nav.view == View(Screen.LEADER_PIN, focus=0)
    clock.now += demo_config.leader.leave_after_s - 1
    nav.tick()
    assert nav.view.screen is Screen.LEADER_PIN, "idle counts from the end of the activity"
    clock.now += 1
    nav.tick()
    assert nav.view.screen is Screen.HOME, "not back to an empty programme screen"


def test_leader_mode_opens_over_a_programme_and_returns_to_it(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav = make(demo_config, clock, openers={"programme": lambda tile: Screen.PLAYING})
    nav.key("1")
    assert nav.open_leader()
    assert nav.view.behind is Activity.PROGRAMME
    nav.unlocked("leader")
    assert nav.view == View(Screen.LEADER, focus=0, behind=Activity.PROGRAMME)
    clock.now += demo_config.leader.leave_after_s
    nav.tick()
    assert nav.view == View(Screen.PLAYING, focus=0, behind=Activity.PROGRAMME)


def test_leader_mode_never_opens_over_a_call(demo_config: KioskConfig) -> None:
    """The leader's gesture during a call used to hang the call up, and leaving leader
    mode then left the senior on an empty programme screen that never timed out."""
    clock = FakeClock()
    nav = make(demo_config, clock, openers={"call": lambda tile: Screen.CALL})
    views: list[View] = []
    nav.subscribe(views.append)
    nav.key("3")
    assert nav.view == View(Screen.CALL, demo_config.tiles[2], focus=2, behind=Activity.CALL)
    assert not nav.open_leader()
    assert views == [nav.view], "the call screen stays, untouched"
    nav.activity_ended(Activity.CALL)
    assert nav.view == View(Screen.HOME, focus=2)


def test_a_ringing_call_fills_the_screen_until_it_ends(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav = make(demo_config, clock)
    nav.show_call()
    clock.now += 10_000
    nav.tick()
    assert nav.view.screen is Screen.CALL and nav.busy
    assert not nav.open_leader() and not nav.key("1")
    nav.activity_ended(Activity.PROGRAMME)
    assert nav.view.screen is Screen.CALL, "another activity's end changes nothing"
    nav.activity_ended(Activity.CALL)
    assert nav.view.screen is Screen.HOME and not nav.busy


def test_failure_shows_please_wait_then_home(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav = make(demo_config, clock)
    nav.key("3")
    nav.fail()
    assert nav.view.screen is Screen.PLEASE_WAIT
    clock.now += demo_config.idle.please_wait_s - 1
    nav.tick()
    assert nav.view.screen is Screen.PLEASE_WAIT
    clock.now += 1
    nav.tick()
    assert nav.view.screen is Screen.HOME
    assert nav.view.focus == 2


@pytest.mark.allow_warnings
def test_a_capability_that_raises_gives_please_wait(
    demo_config: KioskConfig, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(tile: Tile) -> Screen:
        raise RuntimeError("camera exploded")

    nav = make(demo_config, openers={"call": broken})
    assert nav.key("3")
    assert nav.view.screen is Screen.PLEASE_WAIT
    assert "camera exploded" in caplog.text


def test_openers_choose_the_screen(demo_config: KioskConfig) -> None:
    opened: list[str] = []

    def opener(tile: Tile) -> Screen:
        opened.append(tile.id)
        return Screen.NOT_AVAILABLE

    nav = make(demo_config, openers={"programme": opener})
    nav.key("1")
    nav.key("Escape")
    nav.key("2")
    assert opened == ["singing", "exercise"]


def test_pressed_tiles_are_announced(demo_config: KioskConfig) -> None:
    spoken: list[str] = []
    nav = make(demo_config, announce=lambda tile: spoken.append(tile.id))
    nav.key("1")
    nav.key("Escape")
    nav.key("Left")
    nav.key("Return")
    assert spoken == ["singing", "singing"]


def test_listeners_hear_each_change_once_and_can_leave(demo_config: KioskConfig) -> None:
    nav = make(demo_config)
    views: list[Screen] = []
    unsubscribe: Callable[[], None] = nav.subscribe(lambda view: views.append(view.screen))
    nav.key("1")
    nav.key("1")  # same tile again: same view, no news
    nav.key("Escape")
    unsubscribe()
    nav.key("2")
    assert views == [Screen.NOT_AVAILABLE, Screen.HOME]


def test_keymap_is_configurable_and_case_blind() -> None:
    keys = Keys(tiles=["F1", "F2"], back=["Media Stop"], activate=["OK"])
    keymap = KeyMap(keys)
    assert keymap.resolve("f2") == 1
    assert keymap.resolve("MEDIA STOP") is Command.BACK
    assert keymap.resolve("ok") is Command.ACTIVATE
    assert keymap.resolve("1") is None
    assert keymap.resolve("Escape") is None


def test_idle_bounds_are_taken_from_the_configuration() -> None:
    clock = FakeClock()
    tiles = [
        Tile(id=f"t{i}", label="노래", icon="singing", colour="#14532D", action="programme")
        for i in range(2)
    ]
    nav = Navigator(tiles, Keys(), Idle(return_home_after_s=10), clock)
    nav.key("1")
    clock.now += 10
    nav.tick()
    assert nav.view.screen is Screen.HOME


def test_a_safe_moment_is_home_idle_and_quiet(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav = make(demo_config, clock)
    assert not nav.is_safe_moment(30), "someone just started the kiosk"
    clock.now += 30
    assert nav.is_safe_moment(30)
    nav.key("1")
    clock.now += 60
    assert not nav.is_safe_moment(30), "not on the home screen"
    nav.key("Escape")
    clock.now += 30
    nav.show_call()
    clock.now += 30
    assert not nav.is_safe_moment(30), "a call is up"
    nav.activity_ended(Activity.CALL)
    assert not nav.is_safe_moment(30), "quiet counts from the end of the activity"
    clock.now += 30
    assert nav.is_safe_moment(30)


def test_a_new_configuration_brings_its_tiles_keys_and_times(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav = make(demo_config, clock)
    nav.command(Command.RIGHT)
    nav.command(Command.RIGHT)
    fewer = msgspec.structs.replace(
        demo_config,
        tiles=demo_config.tiles[:2],
        keys=Keys(tiles=["F1", "F2"]),
        idle=Idle(return_home_after_s=15),
    )
    nav.reconfigure(fewer)
    assert nav.view == View(Screen.HOME, focus=0)
    assert nav.tiles == list(fewer.tiles)
    assert not nav.key("1") and nav.key("F2")
    assert nav.view.tile == fewer.tiles[1]
    clock.now += 15
    nav.tick()
    assert nav.view.screen is Screen.HOME


# --- alerts from city hall ------------------------------------------------------------


def alerting(config: KioskConfig, clock: FakeClock | None = None) -> tuple[Navigator, list[str]]:
    """A navigator whose 확인 is recorded, with programme, call and notices openers."""
    openers = {
        "programme": lambda tile: Screen.PLAYING,
        "call": lambda tile: Screen.CALL,
        "info": lambda tile: Screen.NOTICES,
    }
    nav = make(config, clock, openers=openers)
    acknowledged: list[str] = []
    nav.on_acknowledge = lambda: acknowledged.append(nav.view.alert)
    return nav, acknowledged


def to_home(nav: Navigator) -> None:
    pass


def to_message(nav: Navigator) -> None:
    nav.show_not_ready("video_not_ready")


def to_please_wait(nav: Navigator) -> None:
    nav.fail()


def to_programme(nav: Navigator) -> None:
    nav.key("1")


def to_leader(nav: Navigator) -> None:
    nav.open_leader()
    nav.unlocked("leader")


def to_leader_over_programme(nav: Navigator) -> None:
    nav.key("1")
    nav.open_leader()


def to_diagnostics(nav: Navigator) -> None:
    nav.open_leader()
    nav.unlocked("technician")


def to_notices(nav: Navigator) -> None:
    nav.key("6")


OVER = {
    "home": (to_home, Screen.HOME),
    "message": (to_message, Screen.NOT_READY),
    "please_wait": (to_please_wait, Screen.PLEASE_WAIT),
    "programme": (to_programme, Screen.PLAYING),
    "leader": (to_leader, Screen.LEADER),
    "leader over a programme": (to_leader_over_programme, Screen.LEADER_PIN),
    "diagnostics": (to_diagnostics, Screen.DIAGNOSTICS),
    "notices": (to_notices, Screen.NOTICES),
}


@pytest.mark.parametrize("where", OVER)
def test_an_alert_takes_over_the_screen_at_once(demo_config: KioskConfig, where: str) -> None:
    nav, _ = alerting(demo_config)
    go, screen = OVER[where]
    go(nav)
    assert nav.view.screen is screen
    views: list[View] = []
    nav.subscribe(views.append)
    nav.set_alert("7")
    assert views == [View(Screen.ALERT, focus=nav.view.focus, alert="7")]
    assert nav.view.behind is Activity.NONE, "a programme behind it ends"
    assert not nav.busy


def test_an_alert_over_a_call_is_a_banner_then_the_screen_once_the_call_ends(
    demo_config: KioskConfig,
) -> None:
    nav, _ = alerting(demo_config)
    nav.key("3")
    nav.set_alert("7")
    assert nav.view == View(
        Screen.CALL, demo_config.tiles[2], focus=2, behind=Activity.CALL, alert="7"
    )
    assert not nav.acknowledge(), "no 확인 on the call page: the call keeps its keys"
    nav.activity_ended(Activity.CALL)
    assert nav.view == View(Screen.ALERT, focus=2, alert="7")


def test_a_call_ringing_over_an_alert_takes_the_screen_and_gives_it_back(
    demo_config: KioskConfig,
) -> None:
    nav, _ = alerting(demo_config)
    nav.set_alert("7")
    nav.show_call()
    assert nav.view.screen is Screen.CALL and nav.view.alert == "7"
    nav.go_home()  # hung up by its red button
    assert nav.view.screen is Screen.ALERT


def test_a_banner_leaves_the_call_page_when_the_alert_goes(demo_config: KioskConfig) -> None:
    nav, _ = alerting(demo_config)
    nav.show_call()
    nav.set_alert("7")
    nav.set_alert("")  # it expired during the call
    assert nav.view == View(Screen.CALL, focus=0, behind=Activity.CALL)
    nav.activity_ended(Activity.CALL)
    assert nav.view.screen is Screen.HOME


def test_only_the_activate_keys_acknowledge(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav, acknowledged = alerting(demo_config, clock)
    nav.command(Command.RIGHT)
    nav.set_alert("7")
    for key in ("Escape", "Home", "1", "6", "Up", "Left", "F12"):
        assert not nav.key(key), key
        assert nav.view.screen is Screen.ALERT, key
    assert not nav.go_home() and not nav.open_leader() and not nav.press_tile(0)
    assert acknowledged == []
    # A press already under way when the alert came does not dismiss it unread.
    clock.now += ALERT_SETTLE_S - 0.1
    assert not nav.key("Return") and acknowledged == []
    clock.now += 0.1
    assert nav.key("Return")
    assert acknowledged == ["7"]
    nav.key("Space")
    assert acknowledged == ["7", "7"], "each press asks; the board acknowledges once"


def test_after_acknowledging_the_next_alert_or_home(demo_config: KioskConfig) -> None:
    nav, _ = alerting(demo_config)
    nav.command(Command.RIGHT)
    nav.set_alert("7")
    # The board, told 확인, names the next alert waiting, then none.
    nav.set_alert("8")
    assert nav.view == View(Screen.ALERT, focus=1, alert="8")
    nav.set_alert("")
    assert nav.view == View(Screen.HOME, focus=1), "back home, on the tile it came from"


def test_idle_time_never_takes_an_alert_away(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav, _ = alerting(demo_config, clock)
    nav.key("6")
    nav.set_alert("7")
    for _ in range(3):
        clock.now += 10_000
        nav.tick()
    assert nav.view.screen is Screen.ALERT
    assert not nav.is_safe_moment(30), "no new configuration over an alert"


def test_an_expired_alert_leaves_the_screen(demo_config: KioskConfig) -> None:
    nav, acknowledged = alerting(demo_config)
    nav.set_alert("7")
    nav.set_alert("")  # the board's tick forgot it
    assert nav.view.screen is Screen.HOME and acknowledged == []


def test_messages_and_failures_during_an_alert_keep_it(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav, _ = alerting(demo_config, clock)
    nav.set_alert("7")
    nav.show_not_ready("call_ended")
    nav.fail()
    assert nav.view.screen is Screen.ALERT
    nav.set_alert("")
    clock.now += demo_config.idle.please_wait_s
    nav.tick()
    assert nav.view.screen is Screen.HOME


# --- today's notices -------------------------------------------------------------------


def noticing(config: KioskConfig, count: int, clock: FakeClock | None = None) -> Navigator:
    nav, _ = alerting(config, clock)
    nav.notice_count = lambda: count
    nav.key("6")
    assert nav.view.screen is Screen.NOTICES and nav.view.entry == 0
    return nav


def test_number_keys_on_the_notices_choose_a_notice_not_a_tile(demo_config: KioskConfig) -> None:
    nav = noticing(demo_config, 3)
    assert nav.key("2")
    assert nav.view.screen is Screen.NOTICE and nav.view.entry == 1
    assert nav.view.tile is not None and nav.view.tile.id == "notices"
    assert nav.key("3")
    assert nav.view.entry == 2, "another number: that notice"
    assert not nav.key("4"), "there is no fourth"
    assert nav.view.entry == 2


def test_arrows_and_enter_on_the_notice_list(demo_config: KioskConfig) -> None:
    nav = noticing(demo_config, 2)
    assert not nav.key("Up")
    assert nav.key("Down") and nav.view.entry == 1
    assert nav.key("Down") and nav.view.entry == 2, "below the last row: the home button"
    assert not nav.key("Down")
    nav.key("Up")
    assert nav.key("Return")
    assert nav.view == View(Screen.NOTICE, demo_config.tiles[5], focus=5, entry=1), (
        "Enter opens the row in the ring"
    )
    assert nav.key("Up") and nav.view.entry == 0, "Up: the notice before"
    assert not nav.key("Up")
    assert nav.key("Left") and nav.view.screen is Screen.NOTICES and nav.view.entry == 0
    nav.key("Down")
    nav.key("Down")
    assert nav.key("Return") and nav.view == View(Screen.HOME, focus=5)


def test_turning_the_lists_page_moves_the_ring(demo_config: KioskConfig) -> None:
    nav = noticing(demo_config, 12)
    assert nav.focus_notice(8) and nav.view.entry == 8
    assert not nav.focus_notice(13)
    nav.key("9")
    assert not nav.focus_notice(0), "only on the list"


def test_one_notice_goes_home_with_enter_or_escape(demo_config: KioskConfig) -> None:
    nav = noticing(demo_config, 2)
    nav.key("1")
    assert nav.key("Return") and nav.view.screen is Screen.HOME
    nav.key("6")
    nav.key("2")
    assert nav.key("Escape") and nav.view.screen is Screen.HOME


def test_no_notices_today_enter_goes_home(demo_config: KioskConfig) -> None:
    nav = noticing(demo_config, 0)
    assert not nav.key("1") and not nav.key("Down")
    assert nav.key("Return") and nav.view.screen is Screen.HOME


def test_notices_go_home_when_idle(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav = noticing(demo_config, 2, clock)
    nav.key("1")
    clock.now += demo_config.idle.return_home_after_s
    nav.tick()
    assert nav.view.screen is Screen.HOME


def test_number_keys_elsewhere_still_press_tiles(demo_config: KioskConfig) -> None:
    nav = noticing(demo_config, 3)
    nav.key("Escape")
    assert nav.key("1") and nav.view.screen is Screen.PLAYING


# --- the leader's calls ------------------------------------------------------------

CLERK = Contact(id="clerk", name="cityhall-clerk", label="민원실")
HEALTH = Contact(id="health", name="cityhall-health", label="보건소", label_en="Health centre")


def with_contacts(config: KioskConfig, *contacts: Contact, server: bool = True) -> KioskConfig:
    """*config* whose calls have *contacts* (after the demo's own), with or without a server."""
    calls = msgspec.structs.replace(
        config.calls,
        contacts=[*config.calls.contacts, *contacts],
        server=config.calls.server if server else None,
    )
    return msgspec.structs.replace(config, calls=calls)


def calling(
    config: KioskConfig, clock: FakeClock | None = None, openers: object = None
) -> tuple[Navigator, list[Contact]]:
    """A navigator on the leader's list of *config*'s contacts; the contacts its opener
    was asked to call (it answers with the call screen)."""
    nav = make(config, clock, calls=config.calls, openers=openers)
    called: list[Contact] = []

    def opener(contact: Contact) -> Screen:
        called.append(contact)
        return Screen.CALL

    nav.set_contact_opener(opener)
    nav.open_leader()
    nav.unlocked("leader")
    assert nav.open_leader_calls()
    assert nav.view.screen is Screen.LEADER_CALLS and nav.view.entry == 0
    return nav, called


def test_the_leaders_list_is_the_configured_contacts_in_order(demo_config: KioskConfig) -> None:
    config = with_contacts(demo_config, CLERK, HEALTH)
    assert [c.id for c in leader_contacts(config.calls)] == ["city-hall", "clerk", "health"]
    nav, _ = calling(config)
    assert nav.contacts == [*demo_config.calls.contacts, CLERK, HEALTH]
    no_server = with_contacts(demo_config, CLERK, server=False)
    assert leader_contacts(no_server.calls) == [], "nothing to call them through"
    assert no_contacts_reason(no_server.calls) == "leader_calls_no_server"
    assert no_contacts_reason(demo_config.calls) == "leader_calls_none"  # when it is empty
    nobody = msgspec.structs.replace(demo_config.calls, contacts=[])
    assert leader_contacts(nobody) == []
    nav.reconfigure(no_server)
    assert nav.contacts == [] and nav.no_contacts == "leader_calls_no_server"


def test_a_number_key_on_the_leaders_list_calls_that_contact(demo_config: KioskConfig) -> None:
    nav, called = calling(with_contacts(demo_config, CLERK, HEALTH))
    assert not nav.key("4"), "there is no fourth"
    assert called == []
    assert nav.key("3")
    assert called == [HEALTH], "not the third tile"
    assert nav.view == View(Screen.CALL, focus=0, behind=Activity.CALL)
    assert nav.busy


def test_arrows_and_enter_reach_every_contact_and_the_back_button(
    demo_config: KioskConfig,
) -> None:
    nav, called = calling(with_contacts(demo_config, CLERK, HEALTH))
    assert not nav.key("Up")
    for entry in (1, 2, 3):
        assert nav.key("Down") and nav.view.entry == entry
    assert not nav.key("Down"), "the back button is the last"
    assert nav.key("Return") and nav.view.screen is Screen.LEADER, "back to the leader"
    assert nav.open_leader_calls()
    nav.key("Down")
    assert nav.key("Enter")
    assert called == [CLERK]
    assert nav.view.screen is Screen.CALL


def test_escape_leaves_leader_mode_and_idle_too(demo_config: KioskConfig) -> None:
    clock = FakeClock()
    nav, _ = calling(demo_config, clock)
    assert nav.key("Escape") and nav.view.screen is Screen.HOME
    nav.open_leader()
    nav.unlocked("leader")
    nav.open_leader_calls()
    clock.now += demo_config.leader.leave_after_s
    nav.tick()
    assert nav.view.screen is Screen.HOME


def test_the_list_opens_only_from_the_leaders_screen(demo_config: KioskConfig) -> None:
    nav = make(demo_config, calls=demo_config.calls)
    assert not nav.open_leader_calls()
    assert not nav.call_contact(0) and not nav.focus_contact(0) and not nav.leader_screen()
    assert nav.view.screen is Screen.HOME


def test_a_call_from_leader_mode_takes_the_place_of_the_programme_behind(
    demo_config: KioskConfig,
) -> None:
    nav, called = calling(demo_config, openers={"programme": lambda tile: Screen.PLAYING})
    nav.go_home()
    nav.key("1")
    assert nav.view.screen is Screen.PLAYING
    nav.open_leader()
    nav.unlocked("leader")
    nav.open_leader_calls()
    assert nav.view.behind is Activity.PROGRAMME
    assert nav.key("1")
    assert called == demo_config.calls.contacts
    assert nav.view == View(Screen.CALL, focus=0, behind=Activity.CALL)
    nav.activity_ended(Activity.CALL)
    assert nav.view == View(Screen.HOME, focus=0)


def test_before_calls_are_up_the_leader_is_told_city_hall_cannot_be_reached(
    demo_config: KioskConfig,
) -> None:
    nav, _ = calling(demo_config)
    nav.set_contact_opener(None)
    assert nav.key("1")
    assert nav.view.screen is Screen.NOT_READY and nav.view.notice == "call_no_server"


def test_the_pager_moves_the_ring_on_the_leaders_list(demo_config: KioskConfig) -> None:
    many = [Contact(id=f"c{n}", name=f"cityhall-{n}", label=f"과 {n}") for n in range(11)]
    nav, called = calling(with_contacts(demo_config, *many))
    assert nav.focus_contact(9) and nav.view.entry == 9
    assert nav.focus_contact(12), "the back button"
    assert not nav.focus_contact(13)
    nav.focus_contact(11)
    assert nav.key("Return")
    assert called == [many[10]], "the twelfth, reached by keys"
