"""The configuration schema: what it accepts, and how it names what it refuses."""

import contextlib
import copy
import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config import builtin_config
from kiosk_contract.config import ConfigError, parse_config
from tests.conftest import DEMO_CONFIG

DEMO: dict[str, Any] = json.loads(DEMO_CONFIG.read_text())


def document(**changes: Any) -> dict[str, Any]:
    """The demo document with dotted-path *changes* (``tiles.0.colour``) applied."""
    doc = copy.deepcopy(DEMO)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return doc


def refuse(doc: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_config(json.dumps(doc).encode())
    return caught.value


def test_demo_and_builtin_are_valid() -> None:
    demo = parse_config(DEMO_CONFIG.read_bytes())
    assert [t.label for t in demo.tiles][:3] == ["노래교실", "건강체조", "시청과 화상통화"]
    assert demo.idle.return_home_after_s == 120
    assert [t.label for t in builtin_config().tiles] == ["노래교실", "건강체조", "시청과 화상통화"]


def test_defaults_fill_what_is_not_given() -> None:
    doc = {
        "schema_version": 1,
        "centre": {"id": "c-1", "name": "경로당"},
        "tiles": [DEMO["tiles"][0], DEMO["tiles"][1]],
    }
    config = parse_config(json.dumps(doc).encode())
    assert config.keys.tiles[0] == "1"
    assert "Escape" in config.keys.back
    assert config.voice.enabled and config.display.language == "ko"


def test_configuration_is_frozen() -> None:
    config = parse_config(DEMO_CONFIG.read_bytes())
    with pytest.raises(AttributeError):
        config.idle.return_home_after_s = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"tiles.0.colour": "red"}, "tiles[0].colour", "#"),
        ({"tiles.1.colour": "#FFFF00"}, "", "tiles[1].colour #FFFF00 gives contrast"),
        ({"display.background": "#777777"}, "", "display.background"),
        ({"display.accent": "#0B1426"}, "", "display.accent"),
        ({"tiles.0.icon": "rocket"}, "tiles[0].icon", "rocket"),
        ({"tiles.0.action": "dance"}, "tiles[0].action", "dance"),
        ({"tiles.2.label": ""}, "tiles[2].label", "length >= 1"),
        ({"tiles.1.id": "singing"}, "", "tile id 'singing' is used twice"),
        ({"tiles.0.prompt": "../../etc/passwd"}, "tiles[0].prompt", ""),
        ({"idle.return_home_after_s": 3}, "idle.return_home_after_s", ">= 10"),
        ({"voice.volume": 101}, "voice.volume", "<= 100"),
        ({"centre.id": "Has Spaces"}, "centre.id", ""),
        ({"keys": {"back": ["Escape"], "activate": ["escape"]}}, "keys", "both activate and back"),
        ({"keys": {"tiles": ["1", "1"]}}, "keys", "two tiles"),
        ({"display.colour_scheme": "dark"}, "display", "unknown field `colour_scheme`"),
        ({"schema_version": 2}, "schema_version", "version 2 is not 1"),
        ({"revision": -1}, "revision", ">= 0"),
    ],
)
def test_refusals_name_the_field(changes: dict[str, Any], field: str, words: str) -> None:
    error = refuse(document(**changes))
    assert error.field == field
    assert words in str(error)


@pytest.mark.parametrize("count", [1, 7])
def test_tile_count_is_two_to_six(count: int) -> None:
    tiles = [dict(DEMO["tiles"][0], id=f"t{i}") for i in range(count)]
    error = refuse(document(tiles=tiles))
    assert error.field == "tiles"


def test_broken_json_and_huge_documents_are_refused() -> None:
    with pytest.raises(ConfigError, match="not valid JSON"):
        parse_config(DEMO_CONFIG.read_bytes()[:-20])
    with pytest.raises(ConfigError, match="more than"):
        parse_config(b" " * 2_000_000)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_a_config_or_a_config_error(data: bytes) -> None:
    with contextlib.suppress(ConfigError):
        parse_config(data)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [
            "schema_version",
            "revision",
            "centre",
            "centre.name",
            "display",
            "display.text",
            "tiles",
            "tiles.0",
            "tiles.0.label",
            "tiles.1.colour",
            "keys",
            "idle",
            "voice.volume",
        ]
    ),
    _json_values,
)
def test_any_edited_field_gives_a_config_or_a_config_error(path: str, value: Any) -> None:
    data = msgspec.json.encode(document(**{path: value}))
    try:
        parse_config(data)
    except ConfigError as err:
        assert str(err)


def test_tile_labels_follow_the_screen_language() -> None:
    tile = parse_config(DEMO_CONFIG.read_bytes()).tiles[0]
    assert tile.labels("ko", show_english=True) == ("노래교실", "Singing class")
    assert tile.labels("ko", show_english=False) == ("노래교실", "")
    assert tile.labels("en", show_english=False) == ("Singing class", "노래교실")
    korean_only = msgspec.structs.replace(tile, label_en="")
    assert korean_only.labels("en", show_english=True) == ("노래교실", "")
