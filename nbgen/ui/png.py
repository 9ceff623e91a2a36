"""A minimal PNG codec for the image panels: grey + alpha or RGB + alpha, 8 bits, no dependencies.

Images go to the browser as PNG data URIs (one short string per update) rather
than as heatmap arrays, which Plotly validates and JSON-encodes value by value.
:func:`png_data_uri` writes such a URI from a 2-D array, or an ``(h, w, 3)`` colour one
(NaN transparent);
:func:`png_to_array` reads one back, for the static snapshot and the tests.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np


def png_data_uri(image: np.ndarray, lo: float | None = None, hi: float | None = None) -> str:
    """A 2-D array as a grey PNG data URI (``hi`` black, ``lo`` white), or an ``(h, w, 3)``
    array as a colour one (``lo`` black, ``hi`` full intensity, as the image itself); NaN
    transparent.

    Images go to the browser as PNG (one short string per update) rather than as
    heatmap arrays: Plotly validates and JSON-encodes arrays value by value,
    which costs far more CPU and bandwidth than zlib.
    """
    a = np.asarray(image, dtype=np.float64)
    finite = np.isfinite(a)
    if lo is None or hi is None:
        values = a[finite]
        lo = float(values.min()) if values.size else 0.0
        hi = float(values.max()) if values.size else 1.0
    v = np.clip((np.where(finite, a, lo) - lo) / max(hi - lo, 1e-12), 0.0, 1.0)
    colour = a.ndim == 3
    if colour:  # RGB as it is; a pixel is transparent where any channel is NaN (the tiles' gaps)
        alpha = np.where(finite.all(-1), 255, 0).astype(np.uint8)
        channels = [np.round(255 * v[..., i]).astype(np.uint8) for i in range(3)]
    else:
        alpha = np.where(finite, 255, 0).astype(np.uint8)
        channels = [np.round(255 * (1 - v)).astype(np.uint8)]
    h, w = a.shape[:2]
    pixels = np.stack([*channels, alpha], -1).reshape(h, (len(channels) + 1) * w)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), pixels], 1)  # filter byte 0 per row

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6 if colour else 4, 0, 0, 0))  # RGBA or grey + alpha
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def png_to_array(uri: str) -> tuple[np.ndarray, np.ndarray]:
    """Read back a data URI written by :func:`png_data_uri`: (pixels, alpha), uint8 arrays;
    pixels are ``(h, w)`` grey or ``(h, w, 3)`` RGB."""
    png = base64.b64decode(uri.split(",", 1)[1])
    pos, idat, size, kind = 8, b"", (0, 0), 4
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        tag, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if tag == b"IHDR":
            size, kind = struct.unpack(">II", data[:8]), data[9]
        elif tag == b"IDAT":
            idat += data
        pos += 12 + length
    w, h = size
    k = 4 if kind == 6 else 2
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + k * w)[:, 1:].reshape(h, w, k)
    pixels = raw[..., 0] if k == 2 else raw[..., :3]
    return pixels, raw[..., k - 1]
