"""Photos of installed products: verified, re-encoded, stripped and stored by content.

An upload is opened with Pillow only if it is one of the allowed formats and within a pixel
budget (decompression bombs are refused), turned upright, re-encoded as JPEG without any
metadata except the capture time, and stored under its SHA-256 in the data directory — never
under a static route, so only the API (with its access checks) serves it.

Files are written under a temporary name first (``<key>.jpg.<random>.part``) and moved into
place only once the completion that refers to them has committed; a request that fails
removes its own. A crash in between leaves a ``.part`` file, which the next start sweeps:
moved into place if a committed order refers to its photo, deleted otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog
from PIL import Image, ImageOps, UnidentifiedImageError

from dispatchd.domain.orders import StoredPhoto

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "HEIF"})
MAX_PIXELS = 40_000_000
MAX_EDGE = 2560
THUMB_EDGE = 320
JPEG_QUALITY = 85
_EXIF_DATETIME_ORIGINAL = 0x9003
_EXIF_IFD = 0x8769
PART_SUFFIX = ".part"
STALE_PART_S = 600
"""A ``.part`` younger than this may belong to a request still running in another process."""

log = structlog.get_logger(__name__)

try:
    from pillow_heif import register_heif_opener
except ImportError:  # pragma: no cover - HEIC support is optional
    HEIC_SUPPORTED = False
else:
    register_heif_opener()
    HEIC_SUPPORTED = True


class NotAnImage(ValueError):
    """The upload is not an image of an accepted format (a 415)."""


class ImageTooLarge(ValueError):
    """The image has more pixels than the budget allows (a 413)."""


@dataclass(frozen=True)
class PreparedPhoto:
    """A verified upload, re-encoded in memory: nothing is written yet."""

    key: str
    taken_at: datetime | None
    full: bytes
    thumb: bytes

    @property
    def stored(self) -> StoredPhoto:
        """What the order records of it."""
        return StoredPhoto(self.key, self.taken_at)


@dataclass
class StagedPhoto:
    """A photo's files under temporary names, waiting for the commit that makes them real."""

    moves: list[tuple[Path, Path]] = field(default_factory=list)

    def promote(self) -> None:
        """Move the files into place (the completion committed); already there: drop ours."""
        for temporary, final in self.moves:
            _place(temporary, final)
        self.moves = []

    def discard(self) -> None:
        """Remove the temporary files (the request failed or did not need the photo)."""
        for temporary, _final in self.moves:
            temporary.unlink(missing_ok=True)
        self.moves = []


class PhotoStore:
    """Content-addressed photo files with a thumbnail each."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def prepare(upload: bytes) -> PreparedPhoto:
        """Verify and re-encode an upload in memory (the pixel budget is checked first)."""
        image, taken_at = _open_verified(upload)
        full = _encode(_fit(image, MAX_EDGE), taken_at)
        thumb = _encode(_fit(image, THUMB_EDGE), None)
        return PreparedPhoto(hashlib.sha256(full).hexdigest(), taken_at, full, thumb)

    def stage(self, photo: PreparedPhoto) -> StagedPhoto:
        """Write the photo and its thumbnail under temporary names beside their places."""
        staged = StagedPhoto()
        try:
            for final, content in (
                (self.path(photo.key), photo.full),
                (self.path(photo.key, thumb=True), photo.thumb),
            ):
                if not final.exists():
                    staged.moves.append((_write_part(final, content), final))
        except BaseException:
            staged.discard()
            raise
        return staged

    def path(self, key: str, thumb: bool = False) -> Path:
        """The file of a stored photo (``thumb`` for its thumbnail)."""
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError("not a photo key")
        suffix = ".thumb.jpg" if thumb else ".jpg"
        return self.root / key[:2] / key[2:4] / f"{key}{suffix}"

    def sweep(
        self,
        keys_in_use: Callable[[set[str]], set[str]],
        older_than_s: float = STALE_PART_S,
        now: float | None = None,
    ) -> tuple[int, int]:
        """Settle ``.part`` files a crash left: keep those a committed order refers to, delete
        the rest; returns (kept, deleted).

        ``keys_in_use`` answers which of the given photo keys committed orders hold. Parts
        younger than ``older_than_s`` are left alone: they may be a running request's.
        """
        cutoff = (time.time() if now is None else now) - older_than_s
        parts = [part for part in self._parts() if _mtime(part) <= cutoff]
        wanted = keys_in_use({part.name.partition(".")[0] for part in parts})
        kept = deleted = 0
        for part in parts:
            final = _final_of(part)
            if final is not None and part.name.partition(".")[0] in wanted:
                _place(part, final)
                kept += 1
            else:
                part.unlink(missing_ok=True)
                deleted += 1
        if kept or deleted:
            log.info("photo parts swept", kept=kept, deleted=deleted)
        return kept, deleted

    def _parts(self) -> Iterable[Path]:
        if not self.root.is_dir():
            return []
        return sorted(self.root.glob(f"*/*/*{PART_SUFFIX}"))


def _write_part(final: Path, content: bytes) -> Path:
    final.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=final.parent, prefix=f"{final.name}.", suffix=PART_SUFFIX
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _place(temporary: Path, final: Path) -> None:
    if final.exists():
        temporary.unlink(missing_ok=True)
        return
    with contextlib.suppress(FileNotFoundError):
        os.replace(temporary, final)


def _final_of(part: Path) -> Path | None:
    """``<key>.jpg.<random>.part`` → ``<key>.jpg`` beside it; None for any other name."""
    key, _, rest = part.name.partition(".")
    if len(key) != 64 or not set(key) <= set("0123456789abcdef"):
        return None
    for suffix in ("thumb.jpg.", "jpg."):
        if rest.startswith(suffix):
            return part.with_name(f"{key}.{suffix[:-1]}")
    return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def _open_verified(upload: bytes) -> tuple[Image.Image, datetime | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe: Image.Image = Image.open(io.BytesIO(upload))
            if probe.format not in ALLOWED_FORMATS:
                raise NotAnImage(f"{probe.format} images are not accepted")
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageTooLarge(f"{probe.width}x{probe.height} pixels is too many")
            probe.verify()
            opened: Image.Image = Image.open(io.BytesIO(upload))
            taken_at = _capture_time(opened)
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, NotAnImage | ImageTooLarge):
            raise
        raise NotAnImage("the file is not a readable image") from exc
    return image.convert("RGB"), taken_at


def _capture_time(image: Image.Image) -> datetime | None:
    try:
        raw = image.getexif().get_ifd(_EXIF_IFD).get(_EXIF_DATETIME_ORIGINAL)
        if not isinstance(raw, str):
            return None
        return datetime.strptime(raw.strip(), "%Y:%m:%d %H:%M:%S").replace(tzinfo=UTC)
    except (ValueError, KeyError, TypeError):
        return None


def _fit(image: Image.Image, edge: int) -> Image.Image:
    fitted = image.copy()
    fitted.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return fitted


def _encode(image: Image.Image, taken_at: datetime | None) -> bytes:
    exif = Image.Exif()
    if taken_at is not None:
        exif.get_ifd(_EXIF_IFD)[_EXIF_DATETIME_ORIGINAL] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, exif=exif.tobytes())
    return buffer.getvalue()
