"""Finding cameras, microphones and speakers through udev (pyudev).

- A camera is a ``video4linux`` node whose ``ID_V4L_CAPABILITIES`` contains
  ``:capture:``; a webcam's second (metadata) node is skipped.
- Microphones and speakers are ALSA PCM nodes of the ``sound`` subsystem,
  ``pcmC<card>D<device>c`` (capture) and ``…p`` (playback). A USB card with
  both is a speakerphone; a playback PCM named ``HDMI …`` is the TV.
"""

import re
from collections.abc import Iterable
from typing import Any

from kiosk.devices.model import Device, Kind, Link

_PCM = re.compile(r"^pcmC(\d+)D(\d+)([cp])$")


def _model_name(device: Any) -> str:
    for key in ("ID_V4L_PRODUCT", "ID_MODEL_FROM_DATABASE", "ID_MODEL"):
        value = device.properties.get(key)
        if value:
            return str(value).replace("_", " ").strip()
    return ""


def _attribute(device: Any, name: str) -> str:
    try:
        value = device.attributes.asstring(name)
    except (KeyError, UnicodeDecodeError):
        return ""
    return str(value).strip()


def _on_usb(device: Any) -> bool:
    return device.properties.get("ID_BUS") == "usb" or (device.find_parent("usb") is not None)


def cameras(devices: Iterable[Any]) -> list[Device]:
    found = []
    for dev in devices:
        if ":capture:" not in (dev.properties.get("ID_V4L_CAPABILITIES") or ""):
            continue
        node = dev.device_node or f"/dev/{dev.sys_name}"
        name = _model_name(dev) or _attribute(dev, "name")
        link = Link.USB if _on_usb(dev) else Link.INTERNAL
        found.append(Device(Kind.CAMERA, node, name, link))
    return sorted(found, key=lambda d: _natural(d.node))


def sound_devices(devices: Iterable[Any]) -> list[Device]:
    pcms = []
    for dev in devices:
        match = _PCM.match(dev.sys_name or "")
        if match is None:
            continue
        card = dev.parent
        pcms.append((dev, card, int(match.group(1)), int(match.group(2)), match.group(3)))
    directions: dict[int, set[str]] = {}
    for _, _, card_no, _, direction in pcms:
        directions.setdefault(card_no, set()).add(direction)
    found = []
    for dev, card, card_no, dev_no, direction in pcms:
        card_id = (_attribute(card, "id") if card is not None else "") or str(card_no)
        pcm_id = _attribute(dev, "id")
        usb = card is not None and _on_usb(card)
        if usb and directions[card_no] == {"c", "p"}:
            link = Link.SPEAKERPHONE
        elif usb:
            link = Link.USB
        elif direction == "p" and "HDMI" in pcm_id.upper():
            link = Link.HDMI
        else:
            link = Link.ANALOG
        # A USB device is known by its model; a built-in card by its stream
        # ("ALC897 Analog", "HDMI 0"), which tells the jack from the TV.
        card_model = _model_name(card) if card is not None else ""
        name = (card_model or pcm_id if usb else pcm_id or card_model) or card_id
        kind = Kind.MICROPHONE if direction == "c" else Kind.SPEAKER
        node = f"plughw:CARD={card_id},DEV={dev_no}"
        found.append(Device(kind, node, name, link, card_id))
    return sorted(found, key=lambda d: (d.kind.value, _natural(d.node)))


def discover(context: Any) -> list[Device]:
    """Every camera, microphone and speaker udev knows of now."""
    return cameras(context.list_devices(subsystem="video4linux")) + sound_devices(
        context.list_devices(subsystem="sound")
    )


def _natural(text: str) -> tuple[Any, ...]:
    """``video2`` before ``video10``."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))
