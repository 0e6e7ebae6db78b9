#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the hostile and broken images of tests/test-thumbnail.c into OUTDIR.

make-hostile-media.py OUTDIR

Made at build time from nothing (no download, no image tool): decompression bombs, a huge
SVG, a GIF of many frames, files that are not what their names say, a cut-off PNG, and one
honest PNG to show the way works.
"""
import os
import struct
import sys
import zlib


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width, height, bit_depth, colour_type, bytes_per_row, row=None):
    """A PNG whose rows are all @row (zeros by default), compressed as a stream."""
    row = row if row is not None else bytes(bytes_per_row)
    compressor = zlib.compressobj(9)
    parts = []
    line = b"\x00" + row
    # Many rows at a time: fast to write, and zeros compress about a thousand to one.
    block = line * 256
    rows = height
    while rows >= 256:
        parts.append(compressor.compress(block))
        rows -= 256
    parts.append(compressor.compress(line * rows))
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts))
            + chunk(b"IEND", b""))


def gif_many_frames(frames, screen):
    """A GIF of @frames one-pixel frames on a @screen × @screen canvas."""
    out = [b"GIF89a", struct.pack("<HHBBB", screen, screen, 0x80, 0, 0), b"\x00\x00\x00\xff\xff\xff"]
    out.append(b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")
    for i in range(frames):
        out.append(b"\x21\xf9\x04\x00\x01\x00\x00\x00")           # 10 ms, no transparency
        x, y = i % screen, (i // screen) % screen
        out.append(b"\x2c" + struct.pack("<HHHHB", x, y, 1, 1, 0))
        out.append(b"\x02\x02\x44\x01\x00")                       # LZW min 2: clear, 1, end
    out.append(b"\x3b")
    return b"".join(out)


def svg_laughs(levels, copies):
    """Each level uses the one below @copies times: copies ** levels shapes in all."""
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
             'width="1000" height="1000"><defs><rect id="l0" width="10" height="10"/>']
    for level in range(1, levels + 1):
        uses = "".join('<use xlink:href="#l%d" x="%d"/>' % (level - 1, i) for i in range(copies))
        parts.append('<g id="l%d">%s</g>' % (level, uses))
    parts.append('</defs><use xlink:href="#l%d"/></svg>' % levels)
    return "".join(parts).encode()


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {
        # 1.6 billion pixels in a file of a few hundred kB: refused from its header.
        "bomb-huge.png": png(40000, 40000, 1, 0, 5000),
        # 64 million RGBA pixels (256 MB decoded), under the cap: decoded, in the helper only.
        "bomb-large.png": png(8000, 8000, 8, 6, 32000),
        # A billion shapes in 3 kB, and a page of 10 billion pixels.
        "laughs.svg": svg_laughs(9, 10),
        "huge.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000">'
                    b'<rect width="100000" height="100000" fill="red"/></svg>',
        "frames.gif": gif_many_frames(20000, 3000),
        # Not what their names say.
        "page.png": b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>\n" * 20,
        "video.jpg": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(4000),
        "script.webp": b"#!/bin/sh\necho hello\n",
        # An honest image under a wrong name, and one cut off halfway.
        "honest.jpg": png(64, 48, 8, 2, 64 * 3, bytes([200, 80, 40]) * 64),
    }
    cut = png(300, 300, 8, 2, 900, bytes(range(256)) * 3 + bytes(132))
    files["cut.png"] = cut[: len(cut) // 2]
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    with open(os.path.join(out, "stamp"), "w") as f:
        f.write("made\n")


if __name__ == "__main__":
    main()
