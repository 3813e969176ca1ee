"""HTTP for python-tuf's client, through requests: timeouts, retries, conditional GETs.

The one module of the box that talks to the configuration server. TLS
certificates are always verified, and the box presents its own certificate
(:mod:`kiosk.identity`): the server gives a centre's settings only to its box.
A refused certificate (none, unknown, revoked) comes back as
:class:`CertificateRefused`, with the server's reason. Bodies are streamed in chunks, so an endless
response costs no memory: python-tuf stops reading at the length its metadata
allows. ``timestamp.json`` is asked for with ``If-None-Match``: when nothing
changed the server answers ``304`` with no body and the trusted copy is used
(python-tuf still checks it, so a frozen server is still caught by its expiry).
"""

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from tuf.api import exceptions
from tuf.ngclient import FetcherInterface
from urllib3.util.retry import Retry

from kiosk import __version__
from kiosk_contract.files import write_atomically

log = logging.getLogger(__name__)
# urllib3 warns at every retry; the sync logs one line per outcome instead (and
# a box whose server is away for days must not fill its journal).
logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)

CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 15
CHUNK_BYTES = 64 * 1024


REFUSAL_HEADER = "X-Kiosk-Certificate"
"""What the configuration server says of a certificate it refused (nginx's
``$ssl_client_verify``: ``NONE``, ``FAILED:certificate revoked``, ...)."""


class CertificateRefused(exceptions.DownloadError):
    """The server refused the box's certificate; :attr:`why` in a few plain words."""

    def __init__(self, verdict: str) -> None:
        if verdict == "NONE":
            why = "no certificate (enrol this box with a code from city hall)"
        else:
            why = verdict.removeprefix("FAILED:") or "certificate refused"
        super().__init__(why)
        self.why = why


class ConfigFetcher(FetcherInterface):
    """*validators* is a small JSON file remembering each URL's ETag; *trusted* returns
    the trusted copy of a file by its URL (for a 304 answer), or ``None``; *cert* is
    the box's ``(certificate, key)`` files, presented to the server."""

    def __init__(
        self,
        validators: Path,
        trusted: Callable[[str], bytes | None],
        cert: tuple[str, str] | None = None,
    ) -> None:
        self._validators_path = validators
        self._trusted = trusted
        self._session = requests.Session()
        self._session.cert = cert
        retry = Retry(
            total=2, connect=2, read=1, backoff_factor=0.3, status_forcelist=(502, 503, 504)
        )
        self._session.mount("http://", HTTPAdapter(max_retries=retry))
        self._session.mount("https://", HTTPAdapter(max_retries=retry))
        self._session.headers["User-Agent"] = f"kiosk/{__version__}"
        self._etags = self._read_validators()
        """URL -> [ETag, SHA-256 of the body it was given with]."""
        self.requests = 0
        """Requests sent (for figures and tests)."""
        self.bytes_received = 0
        """Body bytes received (for figures and tests)."""

    def _read_validators(self) -> dict[str, list[str]]:
        try:
            data = json.loads(self._validators_path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): [str(x) for x in v] for k, v in data.items() if isinstance(v, list)}

    def _fetch(self, url: str) -> Iterator[bytes]:
        headers = {}
        conditional = url.endswith("/timestamp.json")
        trusted = self._trusted(url) if conditional else None
        etag, digest = self._etags.get(url, ["", ""])
        # Ask "changed?" only about the very copy the client trusts: an ETag seen
        # with a body that was then refused must not turn into "unchanged".
        if trusted is not None and etag and hashlib.sha256(trusted).hexdigest() == digest:
            headers["If-None-Match"] = etag
        self.requests += 1
        try:
            response = self._session.get(
                url, stream=True, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S), headers=headers
            )
        except requests.exceptions.Timeout as err:
            raise exceptions.SlowRetrievalError from err
        if response.status_code == 304 and trusted is not None:
            response.close()
            return iter([trusted])
        if response.status_code >= 400:
            response.close()
            verdict = response.headers.get(REFUSAL_HEADER)
            if verdict is not None and verdict != "SUCCESS":
                raise CertificateRefused(verdict)
            raise exceptions.DownloadHTTPError(
                f"{url}: HTTP {response.status_code}", response.status_code
            )
        remember = url if conditional and response.headers.get("ETag") else None
        return self._chunks(response, remember)

    def _chunks(self, response: requests.Response, remember: str | None) -> Iterator[bytes]:
        body = hashlib.sha256()
        try:
            for chunk in response.iter_content(CHUNK_BYTES):
                self.bytes_received += len(chunk)
                body.update(chunk)
                yield chunk
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as err:
            raise exceptions.SlowRetrievalError from err
        finally:
            response.close()
        if remember is not None:
            self._etags[remember] = [response.headers["ETag"], body.hexdigest()]
            self._save_validators()

    def _save_validators(self) -> None:
        try:
            write_atomically(self._validators_path, json.dumps(self._etags).encode())
        except OSError as err:
            log.warning("could not remember ETags (%s); the next check downloads in full", err)

    def close(self) -> None:
        """Close the connection pool. Safe to call twice."""
        self._session.close()
