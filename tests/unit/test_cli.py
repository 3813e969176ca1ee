import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk_provisioning import main as provision_main
from tests.conftest import DEMO_CONFIG


def test_help_lists_the_run_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "run" in out and "--etc-dir" in out and "--log-level" in out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: kiosk" in capsys.readouterr().out


def test_console_script_reports_its_version() -> None:
    kiosk_bin = Path(sys.executable).parent / "kiosk"
    result = subprocess.run([kiosk_bin, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("kiosk 0.")


def test_provision_check_accepts_good_and_names_the_bad_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(DEMO_CONFIG.read_text().replace('"volume": 90', '"volume": 900'))
    assert provision_main(["check", str(DEMO_CONFIG)]) == 0
    assert "ok (demo-001, revision 1)" in capsys.readouterr().out
    assert provision_main(["check", str(DEMO_CONFIG), str(bad)]) == 1
    assert "voice.volume: Expected `int` <= 100" in capsys.readouterr().err


def test_run_without_a_screen_says_so_instead_of_crashing(tmp_path: Path) -> None:
    kiosk_bin = Path(sys.executable).parent / "kiosk"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KIOSK_STATE_DIR": str(tmp_path)}
    result = subprocess.run(
        [kiosk_bin, "run", "--demo"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "no screen" in result.stderr
    assert "Traceback" not in result.stderr
