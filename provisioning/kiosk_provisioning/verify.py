"""``kiosk-provision verify``: check a published repository as a box would.

Runs python-tuf's own client over the files in ``REPO/public`` (starting from
the first trust root, so the whole chain of root versions is checked), then
downloads every target, which checks its hash and length, and validates every
centre configuration with the kiosk's schema.
"""

import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from tuf.api import exceptions
from tuf.ngclient import FetcherInterface, Updater

from kiosk_contract.config import ConfigError, parse_config
from kiosk_provisioning.problems import Problem, ProvisionError
from kiosk_provisioning.repository import Repository


class LocalFetcher(FetcherInterface):
    """Serves ``file://`` URLs, answering 404 for missing files as a web server would."""

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = Path(unquote(urlparse(url).path))
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise exceptions.DownloadHTTPError(f"{path} not found", 404) from None
        return iter([data])


def verify(repo: Repository) -> str:
    """A one-line summary, or :class:`ProvisionError` naming every problem."""
    public = repo.public
    first_root = public / "metadata" / "1.root.json"
    if not first_root.exists():
        raise ProvisionError([Problem(str(public), "nothing published")])
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory() as tmp:
        updater = Updater(
            metadata_dir=tmp,
            metadata_base_url=(public / "metadata").as_uri() + "/",
            target_base_url=(public / "targets").as_uri() + "/",
            target_dir=tmp,
            fetcher=LocalFetcher(),
            bootstrap=first_root.read_bytes(),
        )
        try:
            updater.refresh()
        except exceptions.RepositoryError as err:
            raise ProvisionError([Problem(str(public), f"metadata refused: {err}")]) from None
        targets = repo.load("targets").signed.targets
        for path in sorted(targets):
            info = updater.get_targetinfo(path)
            if info is None:
                problems.append(Problem(path, "listed in REPO/metadata but not published"))
                continue
            try:
                local = updater.download_target(info, str(Path(tmp) / "download"))
            except exceptions.RepositoryError as err:
                problems.append(Problem(path, f"target refused: {err}"))
                continue
            if path.startswith("centres/"):
                centre_id = path.split("/")[1]
                try:
                    config = parse_config(Path(local).read_bytes())
                except ConfigError as err:
                    problems.append(Problem(path, str(err)))
                    continue
                if config.centre.id != centre_id:
                    problems.append(Problem(path, f"holds centre {config.centre.id!r}"))
    if problems:
        raise ProvisionError(problems)
    root = repo.load("root").signed
    timestamp = repo.load("timestamp").signed
    return (
        f"ok: root v{root.version}, {len(targets)} targets, "
        f"timestamp v{timestamp.version} valid until {timestamp.expires:%Y-%m-%d %H:%M} UTC"
    )
