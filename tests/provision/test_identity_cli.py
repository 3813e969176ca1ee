"""``kiosk-provision code/codes/boxes/revoke/staff-pass`` as a technician uses them."""

import csv
from pathlib import Path

import pytest
from cryptography import x509

from kiosk_provisioning.cli import main
from kiosk_provisioning.identity.authority import Authority
from kiosk_provisioning.identity.tokens import verify_staff_pass
from tests.provision.test_authority import request_for

INVENTORY = (
    "id,이름,읍면동\n"
    "namwon-001,운봉 신기마을 경로당,운봉읍\n"
    "namwon-002,향교 상촌마을 경로당,향교동\n"
)


def read_codes(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


def test_codes_for_the_inventory_enrol_boxes_and_revoke_refuses_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, inventory, out = tmp_path / "repo", tmp_path / "centres.csv", tmp_path / "codes.csv"
    inventory.write_text(INVENTORY)
    assert main(["codes", str(repo), "--inventory", str(inventory), "--out", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o600
    rows = read_codes(out)
    assert [r["id"] for r in rows] == ["namwon-001", "namwon-002"]
    authority = Authority.open(repo / "identity")
    authority.enrol("namwon-001", rows[0]["code"], request_for()[0])
    # A second export leaves out the centre that has its box, and keeps the code
    # handed out for the other (a new one would void it) unless asked.
    assert main(["codes", str(repo), "--inventory", str(inventory), "--out", str(out)]) == 0
    assert read_codes(out) == []
    args = ["codes", str(repo), "--inventory", str(inventory), "--out", str(out), "--again"]
    assert main(args) == 0
    again = read_codes(out)
    assert [r["id"] for r in again] == ["namwon-002"] and again[0]["code"] != rows[1]["code"]
    assert main(["code", str(repo), "namwon-001"]) == 1
    assert "replacement code" in capsys.readouterr().err
    assert main(["boxes", str(repo)]) == 0
    assert "namwon-001" in capsys.readouterr().out
    assert main(["revoke", str(repo), "namwon-001"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert not [box for box in authority.boxes() if box.live]
    assert main(["revoke", str(repo), "namwon-001"]) == 1


def test_a_staff_pass_names_what_it_allows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert (
        main(
            [
                "staff-pass",
                str(repo),
                "--login",
                "kim",
                "--name",
                "cityhall-welfare",
                "--room",
                "1001",
                "--host",
                "--hours",
                "1",
            ]
        )
        == 0
    )
    token = capsys.readouterr().out.strip()
    staff = verify_staff_pass(Authority.open(repo / "identity").token_key, token)
    assert staff is not None
    assert (staff.login, staff.names, staff.rooms, staff.host) == (
        "kim",
        ("cityhall-welfare",),
        (1001,),
        True,
    )


def test_a_server_certificate_for_city_halls_services(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, out = tmp_path / "repo", tmp_path / "gate"
    assert (
        main(["server-cert", str(repo), "calls.namwon.example", "198.18.0.2", "--out", str(out)])
        == 0
    )
    cert = x509.load_pem_x509_certificate((out / "server.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["calls.namwon.example"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["198.18.0.2"]
    assert (out / "server.key").stat().st_mode & 0o777 == 0o600
    ca = Authority.open(repo / "identity")
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca.ca_pem))


def test_a_staff_pass_is_refused_for_a_centres_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    Authority.open(repo / "identity")
    (repo / "identity" / "directory.json").write_text(
        '{"centres": {"namwon-001": {"call_name": "namwon-001", "rooms": []}}, "rooms": {}}'
    )
    assert main(["staff-pass", str(repo), "--login", "kim", "--name", "namwon-001"]) == 1
    assert "a centre's name" in capsys.readouterr().err
