"""Checking and cleaning uploaded files: the type comes from the content's magic numbers (never the
name), the size is limited, and images are re-encoded with Pillow so EXIF (GPS, device) is dropped.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

# content type → (file extension, Pillow format or None for PDF)
ALLOWED_TYPES: dict[str, tuple[str, str | None]] = {
    "image/jpeg": ("jpg", "JPEG"),
    "image/png": ("png", "PNG"),
    "image/webp": ("webp", "WEBP"),
    "application/pdf": ("pdf", None),
}


_SAVE_OPTIONS: dict[str, dict[str, Any]] = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}, "PNG": {}}


def sniff_type(head: bytes) -> str | None:
    """The content type from the first bytes, or None when it is none of the allowed kinds."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    extension: str


def read_limited(source: bytes | IO[bytes], max_bytes: int) -> bytes:
    """The bytes of ``source``, refusing (without reading on) anything over ``max_bytes``."""
    data = source if isinstance(source, bytes) else source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("附件过大：上限为 %(mb).1f MB。") % {"mb": max_bytes / 1024 / 1024}, code="attachment_too_large"
        )
    if not data:
        raise ValidationError(_("附件是空文件。"), code="attachment_empty")
    return data


def clean_upload(data: bytes, *, max_pixels: int) -> CleanFile:
    """Validate the bytes and return what to store: images re-encoded without metadata, PDFs as they are."""
    content_type = sniff_type(data[:16])
    if content_type is None:
        raise ValidationError(_("只接受 JPEG、PNG、WebP 图片和 PDF 文件（按文件内容判断）。"), code="attachment_type")
    extension, image_format = ALLOWED_TYPES[content_type]
    if image_format is None:
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError(_("PDF 文件不完整或已损坏。"), code="attachment_corrupt")
        return CleanFile(content=data, content_type=content_type, extension=extension)
    return CleanFile(content=_reencode(data, image_format, max_pixels), content_type=content_type, extension=extension)


def _reencode(data: bytes, image_format: str, max_pixels: int) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            if image.format != image_format:
                raise ValidationError(_("图片内容与其类型不符。"), code="attachment_type")
            width, height = image.size
            if width * height > max_pixels:
                raise ValidationError(_("图片像素过多。"), code="attachment_too_large")
            image.load()
    except ValidationError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ValidationError(_("图片无法读取或已损坏。"), code="attachment_corrupt") from exc
    # Apply the EXIF orientation to the pixels before the EXIF goes, so the photo stays upright.
    image = ImageOps.exif_transpose(image)
    if image_format == "JPEG" and image.mode not in {"RGB", "L"}:
        image = image.convert("RGB")
    out = io.BytesIO()
    # A new image object carries no info dict from the source: no EXIF, XMP, ICC comments or text chunks.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if image.mode == "P" and image.getpalette() is not None:
        clean.putpalette(image.getpalette() or [])
    clean.save(out, format=image_format, **_SAVE_OPTIONS[image_format])
    return out.getvalue()
