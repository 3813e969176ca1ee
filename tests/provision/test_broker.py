"""The fleet's broker as city hall configures it, run for real (mosquitto 2.0): who may
connect, write and read what. mosquitto drops what its access list refuses without a
word, so a refused message is shown never to arrive by a later one from the same
sender that the reader may get: the broker keeps each sender's order."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk_contract.fleet import CITY_HALL_USER, MAX_ALERT_BYTES
from kiosk_provisioning.broker.config import BrokerFiles, render_acl, render_conf
from tests.broker import Broker, Peer, peers
from tests.calls.identities import BoxFiles, CityHallIdentity

DISTRICTS = {"c-1": "운봉읍", "c-2": "금동", "c-3": "운봉읍"}


@pytest.fixture
def identity(tmp_path: Path) -> CityHallIdentity:
    return CityHallIdentity(tmp_path / "repo", {centre: () for centre in DISTRICTS})


@pytest.fixture
def boxes(identity: CityHallIdentity, tmp_path: Path) -> dict[str, BoxFiles]:
    return {centre: identity.enrol(centre, tmp_path / centre) for centre in DISTRICTS}


@pytest.fixture
def broker(identity: CityHallIdentity, tmp_path: Path) -> Iterator[Broker]:
    with Broker(tmp_path / "broker", identity, DISTRICTS) as running:
        yield running


def test_the_configuration_demands_a_certificate_and_names_clients_by_it(tmp_path: Path) -> None:
    files = BrokerFiles(*(tmp_path / name for name in ("ca", "cert", "key", "crl", "acl", "s")))
    lines = render_conf(files, 8885, "10.0.0.5", tools_port=8884).splitlines()
    for line in (
        "listener 8885 10.0.0.5",
        f"cafile {tmp_path / 'ca'}",
        f"crlfile {tmp_path / 'crl'}",
        f"acl_file {tmp_path / 'acl'}",
        "require_certificate true",
        "use_identity_as_username true",
        "use_username_as_clientid true",
        "allow_anonymous false",
        "listener 8884 127.0.0.1",
        f"message_size_limit {MAX_ALERT_BYTES}",
        f"persistence_location {tmp_path / 's'}/",
    ):
        assert line in lines
    assert not any(line.startswith(("password_file", "psk_file")) for line in lines)
    assert [line for line in lines if line.startswith("listener")] == [
        "listener 8885 10.0.0.5",
        "listener 8884 127.0.0.1",
    ]


def test_the_access_list_gives_each_centre_its_district() -> None:
    blocks: dict[str, list[str]] = {"": []}
    for line in render_acl({"c-2": "금동", "c-1": "운봉 읍", "c-9": ""}).splitlines():
        if line.startswith("user "):
            blocks[line] = []
        elif line and not line.startswith("#"):
            blocks[list(blocks)[-1]].append(line)
    assert blocks[""] == [
        "pattern write fleet/%u/status",
        "pattern write fleet/%u/presence",
        "pattern write fleet/%u/receipts/+",
        "pattern write fleet/%u/answers/+",
        "pattern write fleet/%u/hands/+",
        "pattern read alerts/centre/%u/+",
    ]
    assert blocks[f"user {CITY_HALL_USER}"] == [
        "topic read fleet/#",
        "topic write alerts/#",
        "topic write questions/#",
        "topic readwrite floor/#",
        "topic readwrite city-hall/#",
    ]
    assert blocks["user c-1"] == ["topic read alerts/all/+", "topic read alerts/district/운봉 읍/+"]
    assert blocks["user c-9"] == ["topic read alerts/all/+"], "no district: none to read"
    with pytest.raises(ValueError, match="topic level"):
        render_acl({"c-1": "a/b"})


def test_a_box_writes_its_own_reports_only(broker: Broker, boxes: dict[str, BoxFiles]) -> None:
    with peers(broker.city_hall().connect(), broker.box(boxes["c-1"]).connect()) as (hall, box):
        hall.subscribe("fleet/#", "alerts/#")
        box.publish("fleet/c-2/status", b'{"centre": "c-2"}', retain=True)
        box.publish("fleet/c-2/presence", b'{"online": false}', retain=True)
        box.publish("fleet/c-2/receipts/a-1", b"{}")
        box.publish("alerts/all/forged", b"{}", retain=True)
        box.publish("alerts/centre/c-2/forged", b"{}", retain=True)
        box.publish("fleet/c-1/receipts/a-1", b"{}")
        box.publish("fleet/c-1/presence", b'{"online": true}')
        box.publish("fleet/c-1/status", b'{"centre": "c-1"}')
        seen = [m.topic for m in hall.until("fleet/c-1/status")]
    assert seen == ["fleet/c-1/receipts/a-1", "fleet/c-1/presence", "fleet/c-1/status"]
    # Nothing refused was kept either: a newcomer gets no retained forgery.
    with broker.city_hall().connect() as late:
        late.subscribe("fleet/#", "alerts/#")
        late.publish("city-hall/fence", b"")
        late.subscribe("city-hall/fence")
        late.publish("city-hall/fence", b"")
        assert [m.topic for m in late.until("city-hall/fence")] == ["city-hall/fence"]


def test_a_box_reads_alerts_for_all_its_district_and_itself_only(
    broker: Broker, boxes: dict[str, BoxFiles]
) -> None:
    with peers(broker.city_hall().connect(), broker.box(boxes["c-1"]).connect()) as (hall, box):
        # It may ask for anything; mosquitto grants and then delivers only what it may read.
        box.subscribe("alerts/#", "fleet/#", "city-hall/#")
        for topic in (
            "alerts/centre/c-2/a",
            "alerts/district/금동/a",
            "fleet/c-2/status",
            "city-hall/fence",
            "alerts/centre/c-1/a",
            "alerts/district/운봉읍/a",
            "alerts/all/a",
        ):
            hall.publish(topic, topic.encode())
        seen = [m.topic for m in box.until("alerts/all/a")]
    assert seen == ["alerts/centre/c-1/a", "alerts/district/운봉읍/a", "alerts/all/a"]


def test_city_hall_reads_every_status_retained(broker: Broker, boxes: dict[str, BoxFiles]) -> None:
    for centre, files in boxes.items():
        with broker.box(files).connect() as box:
            box.publish(f"fleet/{centre}/status", centre.encode(), retain=True)
    with broker.city_hall().connect() as hall:
        hall.subscribe("fleet/+/status")
        hall.subscribe("city-hall/fence")
        hall.publish("city-hall/fence", b"")
        seen = {m.topic: m.payload for m in hall.until("city-hall/fence")[:-1]}
    assert seen == {f"fleet/{c}/status": c.encode() for c in DISTRICTS}


def test_no_box_can_push_another_off_by_its_client_id(
    broker: Broker, boxes: dict[str, BoxFiles]
) -> None:
    one = broker.box(boxes["c-1"])
    other = broker.box(boxes["c-2"], client_id="c-1")  # what c-1's box calls itself
    with peers(one.connect(), other.connect(), broker.city_hall().connect()) as (_, _, hall):
        hall.subscribe("fleet/#")
        one.publish("fleet/c-1/status", b"still here")
        assert [m.payload for m in hall.until("fleet/c-1/status")] == [b"still here"]
        assert one.connected


def test_city_halls_tools_may_run_at_once(broker: Broker, boxes: dict[str, BoxFiles]) -> None:
    """They share one login, but on their own listener the login is not the client id:
    a status run does not push an alert --watch off."""
    with peers(broker.city_hall().connect(), broker.city_hall().connect()) as (first, second):
        first.subscribe("fleet/#")
        second.subscribe("fleet/#")
        with broker.box(boxes["c-1"]).connect() as box:
            box.publish("fleet/c-1/status", b"{}")
        assert first.next().topic == second.next().topic == "fleet/c-1/status"
        assert first.connected and second.connected


def stranger_files(
    folder: Path, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None
) -> tuple[Path, Path]:
    """A key and a certificate for CN c-1, signed by *issuer* (none: by itself)."""
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "c-1")])
    issuer_name, issuer_key = issuer or (name, key)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(issuer_key, hashes.SHA256())
    )
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder / "cert.pem", folder / "key.pem"


def refused(peer: Peer) -> str:
    """Why the broker would not have *peer* (fails if it did)."""
    with peer:
        why = peer.try_connect()
    assert why is not None, "the broker let a stranger in"
    return why


def test_strangers_cannot_connect(
    broker: Broker, boxes: dict[str, BoxFiles], identity: CityHallIdentity, tmp_path: Path
) -> None:
    other = CityHallIdentity(tmp_path / "other-repo", {"c-1": ()})
    from_other_ca = other.enrol("c-1", tmp_path / "other-box")
    server = identity.authority.issue_server_cert(["c-1"], tmp_path / "server-cert")
    refused(broker.stranger())
    refused(broker.stranger(*stranger_files(tmp_path / "self", None)))
    refused(broker.stranger(from_other_ca.cert, from_other_ca.key))
    # The fleet CA's server certificates are not logins, whatever their name.
    refused(broker.stranger(*server))
    assert broker.log().count("New client connected") == 0
    with broker.box(boxes["c-1"]).connect() as box:
        assert box.connected, "the fleet's own box gets in"


def test_a_revoked_box_is_refused_after_the_broker_reloads(
    broker: Broker, boxes: dict[str, BoxFiles], identity: CityHallIdentity
) -> None:
    identity.authority.revoke("c-1")
    box = broker.box(boxes["c-1"])
    assert box.try_connect() is None, "the old list is in force until the reload"
    with peers(box, broker.city_hall().connect()) as (_, hall):
        hall.subscribe("fleet/#")
        broker.reload()
        refused(broker.box(boxes["c-1"]))
        # The bound README states: a connection open before the reload lasts until it ends.
        box.publish("fleet/c-1/status", b"open before")
        assert [m.payload for m in hall.until("fleet/c-1/status")] == [b"open before"]
    with broker.box(boxes["c-2"]).connect() as other:
        assert other.connected, "only the revoked box"
