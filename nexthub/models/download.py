"""Download a catalog model from the Hugging Face Hub, verified and resumable.

The HTTP work is done by ``huggingface_hub``: ``hf_hub_url`` and
``get_hf_file_metadata`` find the file (following the Hub's redirect to its
CDN and reading the size and sha256 the Hub reports), and the body is streamed
with ``huggingface_hub``'s own HTTP session, so its endpoint (``HF_ENDPOINT``),
proxy, offline-mode and certificate settings apply. Its ``hf_hub_download`` is
not used because it deletes a partial file when a download fails, and NextHub
must resume one (a 2 GB download on a flaky connection may take several tries).

How a download goes:

1. Ask the Hub for the file's size and sha256. With a catalog sha256, a Hub
   that reports a different one means the file changed upstream: refuse before
   downloading anything. With a ``null`` catalog sha256, the Hub's (its LFS
   sha256, sent as ``X-Linked-Etag``) is the one the file must match.
2. Append to ``<downloads_dir>/<catalog id>-<sha256 prefix>.part``, resuming
   from its size with an HTTP ``Range`` request. A dropped connection is
   retried a few times, resuming where it stopped; cancelling (the ``cancel``
   event, or Ctrl-C) keeps the partial file so the next try resumes it.
3. Check the sha256 of the whole file. A mismatch deletes the partial file.
4. Hand the verified file to the registry, which inspects it and moves it into
   ``models_dir``. Nothing reaches ``models_dir`` or the registry before that.

Privacy: ``huggingface_hub``'s telemetry is switched off before any request
(with it on, building request headers may fetch a list of "agent harnesses"
from the Hub, an extra request the user did not ask for), and the user's
Hugging Face token is not sent unless the caller passes one: catalog models
are public. Nothing here runs at import time; ``huggingface_hub`` itself is
imported only when a download starts.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from nexthub import __version__
from nexthub.models.catalog import CatalogEntry, load_catalog
from nexthub.models.errors import (
    ChecksumMismatchError,
    DownloadCancelledError,
    DownloadError,
    InvalidModelError,
    ModelAlreadyInstalledError,
)
from nexthub.models.files import ProgressCallback, check_free_space, ensure_private_dir, sha256_of
from nexthub.models.memory_fit import format_gb
from nexthub.models.registry import InstalledModel, ModelRegistry

if TYPE_CHECKING:
    import httpx2

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTENT_RANGE_START = re.compile(r"^bytes (\d+)-")
#: The sha256 prefix in a partial file's name.
_PARTIAL_VERSION = re.compile(r"[0-9a-f]{16}")

#: Pauses before each new try after the connection drops without progress;
#: a try that made progress starts the count again.
RETRY_DELAYS = (0.25, 1.0, 2.0, 4.0, 8.0)


@dataclass(frozen=True)
class _RemoteFile:
    """What the Hub said about the file: where to fetch it, its size and its sha256."""

    url: str
    size: int
    sha256: str
    headers: dict[str, str]


def download_model(
    entry: CatalogEntry | str,
    registry: ModelRegistry,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    endpoint: str | None = None,
    token: str | bool | None = False,
) -> InstalledModel:
    """Download a catalog model (an entry or its id), verify it and install it.

    ``progress`` is called with (bytes done, total bytes) as data arrives;
    setting ``cancel`` stops the download (:class:`DownloadCancelledError`)
    and keeps the partial file so that calling this again resumes it.
    ``endpoint`` overrides ``huggingface_hub``'s (``HF_ENDPOINT``).
    ``token`` is passed to ``huggingface_hub``: the default, False, sends no
    Hugging Face login; True sends the one saved by ``hf auth login``.

    Raises :class:`ModelAlreadyInstalledError` when the model is installed,
    :class:`DownloadError` (or a subclass) when the download did not finish,
    in which case nothing was installed.
    """
    if isinstance(entry, str):
        entry = load_catalog().get(entry)
    for model in registry.list():
        if model.catalog_id != entry.id:
            continue
        if model.is_available:
            raise ModelAlreadyInstalledError(
                f"{entry.display_name} is already installed as '{model.id}'."
            )
        raise ModelAlreadyInstalledError(
            f"{entry.display_name} is installed as '{model.id}', but its file {model.path} "
            "is missing. Remove that model first, then download it again."
        )

    remote = _resolve(entry, endpoint=endpoint, token=token)
    downloads = ensure_private_dir(registry.paths.downloads_dir)
    partial = downloads / f"{entry.id}-{remote.sha256[:16]}.part"
    _remove_other_partials(downloads, entry.id, keep=partial)
    if partial.exists() and partial.stat().st_size > remote.size:
        partial.unlink()
    have = partial.stat().st_size if partial.exists() else 0
    check_free_space(downloads, remote.size - have, what=entry.display_name)

    digest = _fetch(entry, remote, partial, progress=progress, cancel=cancel)
    actual = digest.hexdigest()
    if actual != remote.sha256:
        partial.unlink(missing_ok=True)
        raise ChecksumMismatchError(
            f"The download of {entry.display_name} is corrupt: its sha256 is {actual}, "
            f"not {remote.sha256}. The file was deleted and nothing was installed. Try "
            "again; if it happens again, something between you and the Hub (a proxy or "
            "antivirus) may be altering downloads."
        )
    try:
        return registry.add_downloaded(partial, entry, sha256=actual)
    except InvalidModelError:
        partial.unlink(missing_ok=True)
        raise


def _hub_host(url: str) -> str:
    return urlsplit(url).netloc or url


def _resolve(entry: CatalogEntry, *, endpoint: str | None, token: str | bool | None) -> _RemoteFile:
    """Ask the Hub where the file is, how big it is and what its sha256 is."""
    import httpx2
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url

    # Public (documented) but re-exported lazily, which mypy cannot see.
    from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

    # Before any request: with telemetry on, building headers may call the Hub.
    constants.HF_HUB_DISABLE_TELEMETRY = True

    source = entry.source
    url = hf_hub_url(source.repo_id, source.filename, revision=source.revision, endpoint=endpoint)
    headers: dict[str, str] = build_hf_headers(
        token=token, library_name="nexthub", library_version=__version__
    )
    headers["Accept-Encoding"] = "identity"
    try:
        metadata = get_hf_file_metadata(
            url, token=token, headers=headers, endpoint=endpoint, retry_on_errors=False
        )
    except (OSError, httpx2.TransportError) as exc:
        raise _hub_error(exc, entry, url) from exc

    hub_sha256 = (metadata.etag or "").lower()
    reported = hub_sha256 if _SHA256.match(hub_sha256) else None
    changed = (entry.sha256 is not None and reported is not None and reported != entry.sha256) or (
        entry.sha256 is not None and metadata.size is not None and metadata.size != entry.size_bytes
    )
    if changed:
        raise ChecksumMismatchError(
            f"The file {source.filename} on {_hub_host(url)} is not the one NextHub's catalog "
            f"lists for {entry.display_name} (the catalog expects sha256 {entry.sha256} and "
            f"{entry.size_bytes:,} bytes): it has probably been updated since this version of "
            "NextHub. Nothing was downloaded. Update NextHub to get the current catalog."
        )
    expected = entry.sha256 or reported
    if expected is None:
        raise DownloadError(
            f"{_hub_host(url)} did not report a sha256 for {source.filename}, and NextHub's "
            "catalog has none, so the download could not be verified. Nothing was downloaded."
        )
    size = metadata.size if metadata.size is not None else entry.size_bytes
    location = urljoin(url, metadata.location or url)
    if urlsplit(location).netloc != urlsplit(url).netloc:
        # A signed CDN address: the Hugging Face login must not go there.
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    return _RemoteFile(url=location, size=size, sha256=expected, headers=headers)


def _hub_error(exc: BaseException, entry: CatalogEntry, url: str) -> DownloadError:
    """A message for the user about why the Hub could not be asked about the file."""
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    host = _hub_host(url)
    source = entry.source
    if isinstance(exc, OfflineModeIsEnabled):
        return DownloadError(
            "Downloads are switched off because HF_HUB_OFFLINE is set in the environment. "
            "Unset it and try again."
        )
    if isinstance(exc, GatedRepoError):
        return DownloadError(
            f"{source.repo_id} on {host} requires accepting its license and logging in "
            "before it can be downloaded. Accept it on the Hugging Face website, log in "
            "with 'hf auth login', and download it with your token."
        )
    if isinstance(exc, RepositoryNotFoundError | RevisionNotFoundError | EntryNotFoundError):
        return DownloadError(
            f"{source.filename} was not found in {source.repo_id} (revision "
            f"{source.revision}) on {host}. NextHub's catalog may be out of date; "
            "update NextHub and try again."
        )
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else "an error"
        return DownloadError(
            f"{host} answered {status} when asked for {source.filename}. The Hub may be "
            "having problems; try again later."
        )
    return DownloadError(
        f"NextHub could not reach {host} to download {entry.display_name} "
        f"({type(exc).__name__}: {exc}). Check your internet connection, and any proxy "
        "or HF_ENDPOINT setting, and try again."
    )


def _fetch(
    entry: CatalogEntry,
    remote: _RemoteFile,
    partial: Path,
    *,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> hashlib._Hash:
    """Fill ``partial`` up to ``remote.size`` bytes and return the sha256 of all of it."""
    import httpx2
    from huggingface_hub import constants, get_session, hf_raise_for_status
    from huggingface_hub.errors import HfHubHTTPError

    done = partial.stat().st_size if partial.exists() else 0
    digest = sha256_of(partial) if done else hashlib.sha256()
    if progress is not None:
        progress(done, remote.size)
    session = get_session()
    failures = 0
    while done < remote.size:
        _stop_if_cancelled(entry, cancel)
        headers = dict(remote.headers)
        if done:
            headers["Range"] = f"bytes={done}-"
        before = done
        try:
            with session.stream(
                "GET",
                remote.url,
                headers=headers,
                timeout=constants.HF_HUB_DOWNLOAD_TIMEOUT,
                follow_redirects=True,
            ) as response:
                hf_raise_for_status(response)
                if done and not _resumes_at(response, done):
                    # The server sent the whole file instead of the rest: start over.
                    done, digest = 0, hashlib.sha256()
                with partial.open("ab" if done else "wb") as file:
                    for chunk in response.iter_bytes():
                        _stop_if_cancelled(entry, cancel)
                        if done + len(chunk) > remote.size:
                            partial.unlink(missing_ok=True)
                            raise DownloadError(
                                f"{_hub_host(remote.url)} sent more data than the "
                                f"{remote.size:,} bytes of {entry.source.filename}. The "
                                "partial file was deleted; try again."
                            )
                        file.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, remote.size)
            if done < remote.size:
                raise _EndedEarlyError
        except (httpx2.TransportError, _EndedEarlyError) as exc:
            failures = 1 if done > before else failures + 1
            if failures > len(RETRY_DELAYS):
                raise _stopped_error(entry, remote, done, exc) from exc
            _pause(entry, cancel, RETRY_DELAYS[failures - 1])
        except HfHubHTTPError as exc:
            raise _stopped_error(entry, remote, done, exc) from exc
    return digest


class _EndedEarlyError(Exception):
    """The response ended cleanly but before the whole file had arrived."""


def _resumes_at(response: httpx2.Response, offset: int) -> bool:
    """Whether a response to a ``Range`` request continues at ``offset``."""
    if response.status_code != 206:
        return False
    match = _CONTENT_RANGE_START.match(response.headers.get("Content-Range", ""))
    return match is not None and int(match.group(1)) == offset


def _stopped_error(
    entry: CatalogEntry, remote: _RemoteFile, done: int, exc: BaseException
) -> DownloadError:
    reason = "the connection kept dropping" if isinstance(exc, _EndedEarlyError) else str(exc)
    return DownloadError(
        f"The download of {entry.display_name} stopped at {format_gb(done)} of "
        f"{format_gb(remote.size)} ({reason}). What was downloaded is kept: start the "
        "download again to resume it. Nothing was installed."
    )


def _stop_if_cancelled(entry: CatalogEntry, cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise DownloadCancelledError(
            f"The download of {entry.display_name} was cancelled. What was downloaded is "
            "kept: start the download again to resume it."
        )


def _pause(entry: CatalogEntry, cancel: threading.Event | None, seconds: float) -> None:
    """Wait before retrying, waking early (and stopping) when the user cancels."""
    if cancel is None:
        time.sleep(seconds)
    elif cancel.wait(seconds):
        _stop_if_cancelled(entry, cancel)


def partial_downloads(folder: Path, catalog_id: str) -> list[Path]:
    """The partial files of this model's downloads in ``folder`` (the next download resumes
    the one for the current file and deletes the others)."""
    if not folder.is_dir():
        return []
    return [
        partial
        for partial in folder.glob(f"{catalog_id}-*.part")
        if _PARTIAL_VERSION.fullmatch(partial.name[len(catalog_id) + 1 : -len(".part")])
    ]


def discard_partial_downloads(folder: Path, catalog_id: str) -> None:
    """Delete what was downloaded of this model so far (a download cancelled for good)."""
    for partial in partial_downloads(folder, catalog_id):
        partial.unlink(missing_ok=True)


def _remove_other_partials(folder: Path, catalog_id: str, *, keep: Path) -> None:
    """Delete partial downloads of this model for another version of the file."""
    for stale in partial_downloads(folder, catalog_id):
        if stale != keep:
            stale.unlink(missing_ok=True)
