"""The navigator's rules, on a fake clock."""

from collections.abc import Callable

import msgspec
import pytest

from kiosk.navigation import Activity, Command, KeyMap, Navigator, Screen, View, grid_shape
from kiosk_contract.config import Idle, Keys, KioskConfig, Tile


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
