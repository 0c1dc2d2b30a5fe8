"""Headless Chromium screenshots, and a look at the PNG's pixels to tell a drawn page from a blank one."""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def shoot(url: str, png: Path, width: int, height: int) -> None:
    """A screenshot of `url` (a file or a 127.0.0.1 page) with nothing fetched from anywhere else."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp}/profile",
                        f"--screenshot={png}", f"--window-size={width},{height}", url],
                       check=True, capture_output=True, timeout=60)


def assert_drawn(width: int, rows: list[bytes]) -> None:
    """Many colours over the page, and something drawn in the heading's band at the top."""
    bpp = len(rows[0]) // width
    sample = {row[x:x + 3] for row in rows[::20] for x in range(0, len(row), bpp * 7)}
    assert len(sample) > 20, "the page rendered as (almost) one colour"
    heading = {rows[y][x:x + 3] for y in range(15, 45) for x in range(0, len(rows[y]), bpp)}
    assert len(heading) > 3, "no heading drawn at the top"


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and unfiltered rows of an 8-bit RGB/RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        header, idat = (chunk, idat) if kind == b"IHDR" else (header, idat + chunk if kind == b"IDAT" else idat)
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), "unexpected PNG layout"
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytes(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a, b = line[i - bpp] if i >= bpp else 0, prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
            line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


