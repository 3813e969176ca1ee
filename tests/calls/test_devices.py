"""Cables pulled and plugged back during a real call: udev events (umockdev) reach
the call desk's media through the kiosk's own device watch; city hall, on the far
side of a real Janus, sees and hears the result. No redial happens."""

import asyncio

import pyudev

from kiosk.calls.desk import Phase
from kiosk.calls.local import CAMERA_OFF
from kiosk.devices.model import Link
from kiosk.devices.watch import DeviceWatch
from kiosk_contract.config.model import Devices
from tests.calls.conftest import RECORDS, CallServer, calls_for, reach, run, started, until
from tests.calls.signals import steady_pitch
from tests.calls.stand_ins import COLOURS, PITCHES, device_media
from tests.calls.test_one_to_one import Hall, sees
from tests.devices.conftest import Hotplug, load_room

WEBCAM = Hotplug("centre-room", "1-1")
SPEAKERPHONE = Hotplug("centre-room", "1-2")
WEBCAM_COLOUR = COLOURS["/dev/video0"]
SPEAKERPHONE_PITCH = PITCHES["plughw:CARD=USB,DEV=0"]
BUILT_IN_PITCH = PITCHES["plughw:CARD=PCH,DEV=0"]


def test_cables_pulled_and_plugged_back_during_a_call(janus: CallServer, testbed: object) -> None:
    load_room(testbed, "centre-room")

    async def scenario() -> None:
        media = device_media()
        watch = DeviceWatch(pyudev.Context(), Devices(), lambda _, choice: media.use(choice))
        loop = asyncio.get_running_loop()
        loop.add_reader(watch.start(), watch.readable)
        desk = await started(calls_for(janus), media)
        hall = Hall()
        staff = await hall.open(janus)
        await staff.call("centre-1")
        await reach(desk, Phase.RINGING)
        desk.answer()
        await staff.connected()
        await reach(desk, Phase.IN_CALL)
        connection = staff.peer

        async def city_hall_hears(hertz: int) -> bool:
            hall.heard.clear()
            await until(lambda: len(hall.heard) == 48_000)
            return steady_pitch(list(hall.heard), 48_000, hertz) > 0.8

        await until(lambda: sees(staff.peer, WEBCAM_COLOUR))
        assert await city_hall_hears(SPEAKERPHONE_PITCH)

        WEBCAM.unplug(testbed)
        await until(lambda: sees(staff.peer, CAMERA_OFF))
        assert await city_hall_hears(SPEAKERPHONE_PITCH), "the sound goes on"
        WEBCAM.plug(testbed)
        await until(lambda: sees(staff.peer, WEBCAM_COLOUR))

        SPEAKERPHONE.unplug(testbed)
        while not await city_hall_hears(BUILT_IN_PITCH):
            pass
        assert media.choice.speaker is not None and media.choice.speaker.link is Link.HDMI
        SPEAKERPHONE.plug(testbed)
        while not await city_hall_hears(SPEAKERPHONE_PITCH):
            pass
        assert media.choice.speaker is not None
        assert media.choice.speaker.link is Link.SPEAKERPHONE

        assert desk.view.phase is Phase.IN_CALL
        assert staff.peer is connection, "the same connection throughout: no redial"
        assert Phase.RECONNECTING not in [view.phase for view in RECORDS[desk].views]
        desk.hang_up()
        await reach(desk, Phase.IDLE)
        assert not media.camera.capture.running and not media.microphone.capture.running
        loop.remove_reader(watch.fileno)
        await watch.close()
        await staff.close()

    run(scenario(), limit=120)
