"""What an uploaded file is (docs/design.md §7): the type from its first bytes, never from its
name; whether a photo carries a position (GPS in its Exif data); its SHA-256; its bytes cut into
encrypted chunks and read back one chunk at a time.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.diary.models import Evidence, EvidenceChunk

MAX_BYTES = 10 * 1024 * 1024
# The upload request: the file and a few short fields (app/security.py BodyLimit).
BODY_LIMIT = MAX_BYTES + 64 * 1024
CHUNK = 48 * 1024  # raw bytes per encrypted row (64 KiB of base64)

MEDIA = {
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "heic": ("image/heic", "heic"),
    "pdf": ("application/pdf", "pdf"),
}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
GPS_TAG = 0x8825


def kind_of(data: bytes) -> str | None:
    """``jpeg``, ``png``, ``heic`` or ``pdf`` by the file's magic bytes; ``None`` otherwise."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "heic"
    return None


def _tiff_has_gps(tiff: bytes) -> bool:
    """Whether a TIFF/Exif block's first directory points at GPS data."""
    if tiff[:4] == b"II*\x00":
        order = "<"
    elif tiff[:4] == b"MM\x00*":
        order = ">"
    else:
        return False
    try:
        (offset,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, offset)
        for i in range(min(count, 512)):
            (tag,) = struct.unpack_from(order + "H", tiff, offset + 2 + 12 * i)
            if tag == GPS_TAG:
                return True
    except struct.error:
        return False
    return False


def _jpeg_exif(data: bytes) -> bytes | None:
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more metadata
            return None
        (length,) = struct.unpack_from(">H", data, pos + 2)
        segment = data[pos + 4 : pos + 2 + length]
        if marker == 0xE1 and segment.startswith(b"Exif\x00\x00"):
            return segment[6:]
        pos += 2 + length
    return None


def _png_exif(data: bytes) -> bytes | None:
    pos = 8
    while pos + 8 <= len(data):
        length, name = struct.unpack_from(">I4s", data, pos)
        if name == b"eXIf":
            return data[pos + 8 : pos + 8 + length]
        if name == b"IEND":
            return None
        pos += 12 + length
    return None


def has_position(kind: str, data: bytes) -> bool:
    """Whether a photo carries where it was taken (an Exif GPS directory)."""
    if kind == "jpeg":
        exif = _jpeg_exif(data)
    elif kind == "png":
        exif = _png_exif(data)
    elif kind == "heic":  # the Exif item: "Exif\0\0" then the TIFF header
        at = data.find(b"Exif\x00\x00")
        exif = data[at + 6 :] if at != -1 else None
    else:
        exif = None
    return exif is not None and _tiff_has_gps(exif)


@dataclass(frozen=True)
class Checked:
    kind: str
    size: int
    sha256: str
    has_position: bool


def check(data: bytes) -> Checked | None:
    """The facts recorded at upload, or ``None`` for a type we do not take."""
    kind = kind_of(data)
    if kind is None:
        return None
    sha = hashlib.sha256(data).hexdigest()
    return Checked(kind, len(data), sha, has_position(kind, data))


def store(session: Session, evidence_id: int, data: bytes) -> None:
    for seq, start in enumerate(range(0, len(data), CHUNK)):
        piece = base64.b64encode(data[start : start + CHUNK]).decode("ascii")
        session.add(EvidenceChunk(evidence_id=evidence_id, seq=seq, data=piece))


def chunks(session: Session, evidence: Evidence) -> Iterator[bytes]:
    """The file's bytes, one decrypted chunk at a time (one row in memory)."""
    ids = session.exec(
        select(EvidenceChunk.id)
        .where(EvidenceChunk.evidence_id == evidence.id)
        .order_by(col(EvidenceChunk.seq))
    ).all()
    for chunk_id in ids:
        row = session.get(EvidenceChunk, chunk_id)
        assert row is not None
        yield base64.b64decode(row.data)
        session.expunge(row)


def filename(evidence: Evidence) -> str:
    """``Bilag 03 – description.jpg``: no slash, no control character, not too long."""
    words = " ".join(evidence.description.replace("/", "-").replace("\\", "-").split())[:60]
    name = f"Bilag {evidence.number:02d}"
    if words:
        name += f" – {words}"
    return f"{name}.{MEDIA[evidence.kind][1]}"
