"""Sound moving to another speaker mid-programme, through real libvlc and real ALSA.

There is no sound card here: two ALSA "speakers" are ALSA's own file plugin (in an
``.asoundrc`` of the test's HOME), each writing what it is given to a file of its
own. libvlc runs in a child process so that ALSA reads that configuration afresh.
"""

import subprocess
import sys
from pathlib import Path

SPEAKERS = """
pcm.kiosk_tv { type file; slave.pcm "null"; file "%s/tv.raw"; format "raw" }
pcm.kiosk_jack { type file; slave.pcm "null"; file "%s/jack.raw"; format "raw" }
"""

PLAY = """
import sys, time
from pathlib import Path
from kiosk.media.vlc_video import VlcVideo

folder = Path(sys.argv[1])
tv, jack = folder / "tv.raw", folder / "jack.raw"

def size(path):
    return path.stat().st_size if path.exists() else 0

def until(check):
    deadline = time.monotonic() + 30  # a hang detector, not a speed check
    while not check():
        assert time.monotonic() < deadline, "sound never arrived"
        time.sleep(0.05)

video = VlcVideo(["--vout=dummy", "--aout=alsa", "--alsa-audio-device=kiosk_tv"], print)
video.play(Path(sys.argv[2]))
until(lambda: size(tv) > 0)
video.use_speaker("kiosk_jack")
until(lambda: size(jack) > 0)
left = size(tv)
until(lambda: size(jack) > 4 * 48_000)
print(video.state(), size(tv) - left, flush=True)
video.close()
"""


def test_a_programme_moves_its_sound_to_the_next_speaker(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    (tmp_path / ".asoundrc").write_text(SPEAKERS % (tmp_path, tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", PLAY, str(tmp_path), str(clips["recording"])],
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path.cwd())},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    state, tv_after = done.stdout.split()[-2:]
    assert state == "playing", "the programme went on"
    assert int(tv_after) == 0, "nothing more went to the speaker left behind"
