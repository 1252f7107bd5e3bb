"""Draw the app icons (``python -m app.phone.make_icons``): one set per disguise.

Pure Python (zlib + struct), so no imaging library is needed; the PNG files are committed and
this script is how they were made. Each icon is a simple shape on a coloured square: a shield
(the default), a note, a sun behind a cloud, a calculator. The maskable variant is full-bleed
with the shape inside the central 80 % "safe zone" that launchers never crop.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

from app import resources

HERE = resources.STATIC / "icons"
RGB = tuple[int, int, int]
# (x, y) in 0..1 → colour; ``None`` means the background.
Shape = Callable[[float, float], RGB | None]


def shield(x: float, y: float) -> RGB | None:
    if 0.25 <= x <= 0.75 and 0.2 <= y <= 0.55:
        return (255, 255, 255)
    if 0.55 < y <= 0.82 and abs(x - 0.5) <= 0.25 * (0.82 - y) / 0.27:
        return (255, 255, 255)
    return None


def note(x: float, y: float) -> RGB | None:
    if 0.22 <= x <= 0.78 and 0.15 <= y <= 0.85:
        for line in (0.32, 0.45, 0.58, 0.71):
            if 0.3 <= x <= 0.7 and abs(y - line) < 0.018:
                return (120, 110, 80)
        return (255, 244, 179)
    return None


def weather(x: float, y: float) -> RGB | None:
    in_cloud = (
        (x - 0.42) ** 2 + (y - 0.6) ** 2 < 0.16**2
        or (x - 0.6) ** 2 + (y - 0.56) ** 2 < 0.19**2
        or (0.3 <= x <= 0.78 and 0.6 <= y <= 0.74)
    )
    if in_cloud:
        return (250, 250, 250)
    if (x - 0.38) ** 2 + (y - 0.38) ** 2 < 0.17**2:
        return (255, 200, 40)
    return None


def calculator(x: float, y: float) -> RGB | None:
    if not (0.25 <= x <= 0.75 and 0.15 <= y <= 0.85):
        return None
    if 0.31 <= x <= 0.69 and 0.21 <= y <= 0.36:
        return (200, 230, 200)
    for row in range(4):
        for col in range(3):
            cx, cy = 0.36 + col * 0.14, 0.45 + row * 0.11
            if abs(x - cx) < 0.05 and abs(y - cy) < 0.04:
                return (240, 240, 240)
    return (60, 60, 70)


ICONS: dict[str, tuple[RGB, Shape]] = {
    "default": ((30, 90, 140), shield),
    "notes": ((245, 190, 60), note),
    "weather": ((70, 140, 210), weather),
    "calculator": ((120, 120, 130), calculator),
}


def png(width: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, width, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def draw(size: int, background: RGB, shape: Shape, maskable: bool) -> bytes:
    scale = 0.8 if maskable else 1.0  # maskable: the shape stays in the safe zone
    radius = 0.0 if maskable else 0.18
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            x, y = (px + 0.5) / size, (py + 0.5) / size
            if radius and _outside_rounded(x, y, radius):
                row += b"\xff\xff\xff"
                continue
            sx, sy = (x - 0.5) / scale + 0.5, (y - 0.5) / scale + 0.5
            row += bytes(shape(sx, sy) or background)
        rows.append(bytes(row))
    return png(size, rows)


def _outside_rounded(x: float, y: float, r: float) -> bool:
    cx = min(max(x, r), 1 - r)
    cy = min(max(y, r), 1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 > r * r


def main() -> None:
    for name, (background, shape) in ICONS.items():
        for size in (192, 512):
            (HERE / f"{name}-{size}.png").write_bytes(draw(size, background, shape, False))
        (HERE / f"{name}-maskable-512.png").write_bytes(draw(512, background, shape, True))


if __name__ == "__main__":
    main()
