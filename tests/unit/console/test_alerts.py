"""What the 알림·안내 page refuses before anything is signed: uploads cut short (by
their own end markers, whatever their names say), and the totals it shows."""

import subprocess
from pathlib import Path

import pytest

from kiosk_contract.fleet import Audience, Level, Receipt
from kiosk_provisioning.broker.alerts import SentAlert, cut_short, media_kind, speak
from kiosk_provisioning.console.alerts import receipt_totals


def made_by_ffmpeg(tmp_path: Path, name: str, *source: str) -> bytes:
    out = tmp_path / name
    subprocess.run(["ffmpeg", "-loglevel", "error", *source, str(out)], check=True)
    return out.read_bytes()


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("media")
    picture = ("-f", "lavfi", "-i", "color=red:s=64x48", "-frames:v", "1")
    voice = speak("폭염 주의")
    assert voice is not None
    return {
        "png": made_by_ffmpeg(folder, "a.png", *picture),
        "jpeg": made_by_ffmpeg(folder, "a.jpg", *picture),
        "wav": made_by_ffmpeg(folder, "a.wav", "-f", "lavfi", "-i", "sine=d=0.3"),
        "ogg": voice,
    }


@pytest.mark.parametrize("kind", ["png", "jpeg", "wav", "ogg"])
def test_a_whole_file_passes_and_one_broken_off_is_cut_short(
    media: dict[str, bytes], kind: str
) -> None:
    whole = media[kind]
    assert media_kind(whole) == kind and not cut_short(whole)
    for cut in (len(whole) - 1, len(whole) // 2, 60):
        assert cut_short(whole[:cut]), (kind, cut)


def test_totals_count_each_centre_at_the_furthest_state_it_reached() -> None:
    alert = SentAlert(
        seq=7, id="a-7", level=Level.CAUTION, text="폭염", audience=Audience(kind="all"),
        centres=("c-1", "c-2", "c-3"), topics=("alerts/all/a-7",), issued_at=1, expires_at=2,
        sent_at=1.0, withdrawn_at=None,
    )  # fmt: skip

    def receipt(state: str) -> Receipt:
        return Receipt(alert="a-7", seq=7, state=state, at=1)  # type: ignore[arg-type]

    receipts = {
        "c-1": receipt("acknowledged"),
        "c-2": receipt("delivered"),
        "c-9": receipt("shown"),
    }
    assert receipt_totals(alert, receipts) == {
        "centres": 3, "delivered": 2, "shown": 1, "acknowledged": 1,
    }, "c-9 is not one of its centres; acknowledged counts as delivered and shown"  # fmt: skip
