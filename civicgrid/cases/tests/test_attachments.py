"""Attachments: type by content (JPEG/PNG/WebP/PDF), size limit from the settings row, EXIF (with GPS)
stripped by re-encoding; a bad file writes nothing, neither rows nor files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image

from civicgrid.cases import services as s
from civicgrid.cases.attachments import sniff_type
from civicgrid.cases.models import Attachment, Case, CaseEvent

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (32.0, 18.0, 0.0), "E", (112.0, 3.0, 0.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA" if fmt == "PNG" else "RGB", (8, 8), (1, 2, 3)).save(out, format=fmt)
    return out.getvalue()


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture(autouse=True)
def _media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", "image/png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7", "application/pdf"),
        (b"<html><script>", None),
        (b"MZ\x90\x00", None),
        (b"GIF89a", None),
    ],
)
def test_sniff_type(data: bytes, expected: str | None) -> None:
    assert sniff_type(data) == expected


def test_exif_and_gps_are_stripped(personas: Any, new_case: Any) -> None:
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test file really has GPS
    case = new_case(attachments=[("IMG_0001.JPG", original)])
    row = Attachment.objects.get(case=case)
    stored = row.file.read()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert image.size == (40, 30)
    assert (row.content_type, row.original_name, row.size, row.purpose) == (
        "image/jpeg", "IMG_0001.JPG", len(stored), "report",
    )  # fmt: skip
    assert row.file.name.endswith(".jpg") and "IMG_0001" not in row.file.name


@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_are_accepted(personas: Any, new_case: Any, fmt: str, content_type: str) -> None:
    case = new_case(attachments=[("x.bin", image_bytes(fmt))])
    assert Attachment.objects.get(case=case).content_type == content_type


def test_a_pdf_is_known_by_its_content_not_its_name(personas: Any, new_case: Any) -> None:
    case = new_case(attachments=[("photo.jpg", PDF)])
    row = Attachment.objects.get(case=case)
    assert (row.content_type, row.file.name.endswith(".pdf"), row.file.read()) == ("application/pdf", True, PDF)


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",  # disguised as a photo
        b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10,  # the right magic, broken content
        image_bytes("PNG")[:30],  # truncated
        b"%PDF-1.4 no end",  # a PDF without its end marker
        b"",
    ],
)
def test_disguised_or_broken_files_write_nothing(personas: Any, new_case: Any, data: bytes) -> None:
    with pytest.raises(ValidationError):
        new_case(attachments=[("photo.jpg", data)])
    assert (Case.objects.count(), Attachment.objects.count(), media_files()) == (0, 0, [])


def test_oversized_file_is_refused(personas: Any, settings_row: Any, new_case: Any) -> None:
    settings_row.attachment_max_bytes = 1000
    settings_row.save()
    big = io.BytesIO(b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n")
    with pytest.raises(ValidationError) as info:
        new_case(attachments=[("big.pdf", big)])
    assert info.value.code == "attachment_too_large"
    assert big.tell() == 1001  # read no further than the limit
    assert (Case.objects.count(), media_files()) == (0, [])


def test_attachment_add_by_those_handling(personas: Any, new_case: Any) -> None:
    from django.core.exceptions import PermissionDenied

    case = new_case()
    row = s.attachment_add(user=personas.grid_worker, case=case, filename="现场.png", content=image_bytes("PNG"))
    assert (row.uploaded_by, row.purpose) == (personas.grid_worker, "other")
    assert CaseEvent.objects.filter(case=case).last().action == "attachment"
    with pytest.raises(PermissionDenied):
        s.attachment_add(user=personas.supervisor, case=case, filename="x.pdf", content=PDF)
    with pytest.raises(ValidationError):
        s.attachment_add(user=personas.grid_worker, case=case, filename="x.exe", content=b"MZ\x90\x00")
    assert Attachment.objects.filter(case=case).count() == 1
    assert len(media_files()) == 1


def test_evidence_with_a_bad_file_rolls_the_handling_back(personas: Any, new_case: Any) -> None:
    p = personas
    case = new_case()
    for step in (s.case_accept, s.case_register, s.case_dispatch):
        case = step(user=p.village_center, case=case, expected_version=case.version)
    case = s.case_sign_for(user=p.unit_handler, case=case, expected_version=case.version)
    with pytest.raises(ValidationError):
        s.case_handle(
            user=p.unit_handler,
            case=case,
            expected_version=case.version,
            note="已处置",
            attachments=[("ok.png", image_bytes("PNG")), ("bad.jpg", b"<svg onload=alert(1)>")],
        )
    case.refresh_from_db()
    assert (case.state, Attachment.objects.count(), media_files()) == ("signed", 0, [])
    case = s.case_handle(
        user=p.unit_handler, case=case, expected_version=case.version, note="已处置",
        attachments=[("ok.png", image_bytes("PNG"))],
    )  # fmt: skip
    assert list(Attachment.objects.values_list("purpose", flat=True)) == ["evidence"]


def test_too_many_attachments(personas: Any, settings_row: Any, new_case: Any) -> None:
    settings_row.attachment_max_per_case = 1
    settings_row.save()
    with pytest.raises(ValidationError):
        new_case(attachments=[("a.pdf", PDF), ("b.pdf", PDF)])
    assert Case.objects.count() == 0


def test_residents_photos_are_cleaned_and_a_bad_one_writes_nothing(personas: Any, new_case: Any) -> None:
    case = new_case()
    event = s.case_add_info(case=case, text="", attachments=[("IMG_0001.jpg", jpeg_with_gps())])
    row = Attachment.objects.get(case=case)
    assert (row.content_type, row.purpose, event.data) == ("image/jpeg", "report", {"attachments": [row.pk]})
    with Image.open(row.file.path) as stored:
        assert dict(stored.getexif()) == {}  # GPS and camera data gone
    files = media_files()
    with pytest.raises(ValidationError):
        s.case_add_info(case=case, text="再补一张", attachments=[("ok.pdf", PDF), ("virus.png", b"MZ\x90\x00" * 50)])
    assert (Attachment.objects.filter(case=case).count(), media_files()) == (1, files)
    assert CaseEvent.objects.filter(case=case, action="info_added").count() == 1
