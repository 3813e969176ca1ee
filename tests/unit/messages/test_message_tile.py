"""The configuration's message tile (의견 남기기): one at most, naming nothing."""

import json

from kiosk_contract.config import parse_config
from tests.unit.config.test_model import DEMO, document, refuse


def message_tile(**changes: str) -> dict[str, str]:
    tile = {
        "id": "message",
        "label": "의견 남기기",
        "label_en": "Message city hall",
        "icon": "call",
        "colour": "#7C2D12",
        "action": "message",
    }
    tile.update(changes)
    return tile


def test_a_message_tile_is_accepted() -> None:
    doc = document(tiles=[*DEMO["tiles"][:2], message_tile()])
    config = parse_config(json.dumps(doc).encode())
    assert config.tiles[-1].action == "message" and config.tiles[-1].target == ""


def test_a_message_tile_names_nothing() -> None:
    error = refuse(document(tiles=[*DEMO["tiles"][:2], message_tile(target="mayor")]))
    assert "tile 'message' leaves a message: its target must be empty" in str(error)


def test_two_message_tiles_are_refused() -> None:
    tiles = [*DEMO["tiles"][:2], message_tile(), message_tile(id="message-2")]
    error = refuse(document(tiles=tiles))
    assert "tiles 'message' and 'message-2' both leave a message" in str(error)
