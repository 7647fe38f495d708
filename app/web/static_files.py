"""Static files as a phone on a slow link needs them: gzip-compressed text, and cached for a
year when the URL names the file's content (`?v=<hash>`, which every page's links carry).

Without the hash a file is still served, with `no-cache` (revalidate by ETag): an old page or a
hand-typed URL never sees a stale file for long.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from pathlib import Path

import anyio
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
MIN_GZIP_BYTES = 1024  # below this the gzip header and a round of CPU are not worth it
MAX_GZIP_BYTES = 8 * 1024 * 1024  # the largest vendored file is far below this


class CompressedStaticFiles(StaticFiles):
    """StaticFiles with Cache-Control by fingerprint and gzip for compressible types."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code not in (200, 304):
            return response
        fingerprinted = b"v=" in scope.get("query_string", b"")
        response.headers["Cache-Control"] = IMMUTABLE if fingerprinted else REVALIDATE
        if response.status_code == 200 and isinstance(response, FileResponse):
            # In a worker thread: compressing a file the first time reads and gzips it (43 ms
            # for Swagger's 1.7 MB bundle), which must not stall the event loop.
            return await anyio.to_thread.run_sync(_maybe_gzipped, response, Headers(scope=scope))
        return response


def _maybe_gzipped(response: FileResponse, request: Headers) -> Response:
    media = response.media_type or ""
    accepts = "gzip" in request.get("accept-encoding", "").lower()
    if not accepts or "range" in request or not media.startswith(COMPRESSIBLE):
        return response
    stat = response.stat_result or os.stat(response.path)  # StaticFiles has stat()ed it already
    if not MIN_GZIP_BYTES <= stat.st_size <= MAX_GZIP_BYTES:
        return response
    body = _gzipped(str(response.path), stat.st_mtime_ns, stat.st_size)
    headers = {
        key: value
        for key, value in response.headers.items()
        if key not in ("content-length", "content-type")
    }
    # A strong ETag names one encoding's bytes; the gzip body is another, so it is weak.
    headers["etag"] = "W/" + response.headers["etag"].removeprefix("W/")
    headers["content-encoding"] = "gzip"
    headers["vary"] = "Accept-Encoding"
    return Response(body, status_code=200, headers=headers, media_type=media)


@lru_cache(maxsize=256)
def _gzipped(path: str, mtime_ns: int, size: int) -> bytes:
    """The file's gzip bytes, computed once per version of the file (mtime and size key it)."""
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)


@lru_cache(maxsize=512)
def _content_hash(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def fingerprint(directory: Path, relative: str) -> str | None:
    """A short hash of the file's content, or None when there is no such file."""
    target = directory / relative
    try:
        stat = target.stat()
    except OSError:
        return None
    return _content_hash(str(target), stat.st_mtime_ns, stat.st_size)
