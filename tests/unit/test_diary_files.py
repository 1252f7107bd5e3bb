"""What an uploaded file is: the type from its first bytes, and whether it carries a position."""

from __future__ import annotations

import struct

import pytest

from app.diary import evidence as files
from app.diary.models import Evidence


def tiff(gps: bool, order: str = "<") -> bytes:
    mark = b"II*\x00" if order == "<" else b"MM\x00*"
    tag = 0x8825 if gps else 0x010F  # GPS directory, or just the camera maker
    ifd = struct.pack(order + "H", 1) + struct.pack(order + "HHII", tag, 4, 1, 26)
    return mark + struct.pack(order + "I", 8) + ifd + struct.pack(order + "I", 0)


def jpeg(exif: bytes) -> bytes:
    body = b"Exif\x00\x00" + exif
    return b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + b"\xff\xd9"


def png(exif: bytes) -> bytes:
    chunk = struct.pack(">I", len(exif)) + b"eXIf" + exif + b"\x00" * 4
    return b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", 0) + b"IEND" + b"\x00" * 4


HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (jpeg(tiff(False)), "jpeg"),
        (png(tiff(False)), "png"),
        (b"%PDF-1.4\n", "pdf"),
        (HEIC, "heic"),
        (b"GIF89a", None),
        (b"<html>", None),
        (b"\x00\x00\x00\x18ftypisom", None),  # an MP4 video: not a HEIF brand
        (b"", None),
    ],
)
def test_the_type_comes_from_the_first_bytes(data, kind):
    assert files.kind_of(data) == kind


@pytest.mark.parametrize("order", ["<", ">"])
def test_a_position_is_found_in_jpeg_png_and_heic(order):
    assert files.has_position("jpeg", jpeg(tiff(True, order)))
    assert not files.has_position("jpeg", jpeg(tiff(False, order)))
    assert files.has_position("png", png(tiff(True, order)))
    assert not files.has_position("png", png(tiff(False, order)))
    assert files.has_position("heic", HEIC + b"\x00\x00\x00\x06Exif\x00\x00" + tiff(True, order))
    assert not files.has_position("pdf", b"%PDF-1.4 Exif\x00\x00" + tiff(True, order))


def test_broken_metadata_is_no_position_and_no_crash():
    assert not files.has_position("jpeg", b"\xff\xd8\xff\xe1\xff\xff" + b"Exif\x00\x00II*\x00")
    assert not files.has_position("png", b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffeXIf")


def test_bilag_file_names_are_safe():
    row = Evidence(
        victim_id=1, number=3, description="Sms / fra ham\\x", kind="jpeg", size=1, sha256="0"
    )
    assert files.filename(row) == "Bilag 03 – Sms - fra ham-x.jpg"
