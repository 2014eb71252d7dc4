"""Photos of installed products: verified, re-encoded, stripped and stored by content.

An upload is opened with Pillow only if it is one of the allowed formats and within a pixel
budget (decompression bombs are refused), turned upright, re-encoded as JPEG without any
metadata except the capture time, and stored under its SHA-256 in the data directory — never
under a static route, so only the API (with its access checks) serves it.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from dispatchd.domain.orders import StoredPhoto

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "HEIF"})
MAX_PIXELS = 40_000_000
MAX_EDGE = 2560
THUMB_EDGE = 320
JPEG_QUALITY = 85
_EXIF_DATETIME_ORIGINAL = 0x9003
_EXIF_IFD = 0x8769

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


class PhotoStore:
    """Content-addressed photo files with a thumbnail each."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def store(self, upload: bytes) -> StoredPhoto:
        """Verify and re-encode an upload, then store it and its thumbnail."""
        image, taken_at = _open_verified(upload)
        full = _encode(_fit(image, MAX_EDGE), taken_at)
        key = hashlib.sha256(full).hexdigest()
        self._write(self.path(key), full)
        self._write(self.path(key, thumb=True), _encode(_fit(image, THUMB_EDGE), None))
        return StoredPhoto(key, taken_at)

    def path(self, key: str, thumb: bool = False) -> Path:
        """The file of a stored photo (``thumb`` for its thumbnail)."""
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError("not a photo key")
        suffix = ".thumb.jpg" if thumb else ".jpg"
        return self.root / key[:2] / key[2:4] / f"{key}{suffix}"

    @staticmethod
    def _write(path: Path, content: bytes) -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)


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
