#!/usr/bin/env python3
"""Draw icon.png (128x128) and logo.png (250x100) for the add-on store.

Pure Python (zlib + struct), no image library needed. Shapes are drawn on a
4x supersampled canvas and averaged down for smooth edges, so the output is
the same on every machine. Run from anywhere: python3 scripts/make-icons.py
"""
import math
import pathlib
import struct
import zlib

SS = 4  # supersampling factor
BLUE = (3, 169, 244)  # HA blue, #03a9f4
DARK_BLUE = (2, 119, 189)
WHITE = (255, 255, 255)
ROOT = pathlib.Path(__file__).resolve().parent.parent

# 5x7 bitmap letters for the wordmark.
FONT = {
    "A": [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
    "C": [".####", "#....", "#....", "#....", "#....", "#....", ".####"],
    "E": ["#####", "#....", "#....", "####.", "#....", "#....", "#####"],
    "G": [".####", "#....", "#....", "#.###", "#...#", "#...#", ".###."],
    "M": ["#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"],
    "N": ["#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#", "#...#"],
    "O": [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    "R": ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"],
    "S": [".####", "#....", "#....", ".###.", "....#", "....#", "####."],
    "U": ["#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
}


class Canvas:
    """RGBA canvas in final-pixel coordinates, stored at SS x resolution."""

    def __init__(self, width, height):
        self.w, self.h = width, height
        self.px = [[None] * (width * SS) for _ in range(height * SS)]

    def fill(self, color, inside, box):
        """Paint `color` on every subpixel whose centre satisfies inside(x, y)."""
        x0, y0, x1, y1 = box
        for sy in range(max(0, int(y0 * SS)), min(self.h * SS, int(math.ceil(y1 * SS)))):
            y = (sy + 0.5) / SS
            row = self.px[sy]
            for sx in range(max(0, int(x0 * SS)), min(self.w * SS, int(math.ceil(x1 * SS)))):
                if inside((sx + 0.5) / SS, y):
                    row[sx] = color

    def circle(self, color, cx, cy, r):
        self.fill(color, lambda x, y: (x - cx) ** 2 + (y - cy) ** 2 <= r * r,
                  (cx - r, cy - r, cx + r, cy + r))

    def arc(self, color, cx, cy, r, width, start_deg, end_deg):
        """Ring segment with round caps; angles clockwise from +x (screen coordinates)."""
        span = (end_deg - start_deg) % 360

        def inside(x, y):
            d = math.hypot(x - cx, y - cy)
            if abs(d - r) > width / 2:
                return False
            return (math.degrees(math.atan2(y - cy, x - cx)) - start_deg) % 360 <= span

        out = r + width
        self.fill(color, inside, (cx - out, cy - out, cx + out, cy + out))
        for a in (start_deg, end_deg):
            t = math.radians(a)
            self.circle(color, cx + r * math.cos(t), cy + r * math.sin(t), width / 2)

    def line(self, color, ax, ay, bx, by, width):
        """Segment with round caps."""
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy

        def inside(x, y):
            t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / length2))
            return math.hypot(x - ax - t * dx, y - ay - t * dy) <= width / 2

        pad = width / 2
        self.fill(color, inside, (min(ax, bx) - pad, min(ay, by) - pad, max(ax, bx) + pad, max(ay, by) + pad))

    def rect(self, color, x0, y0, x1, y1):
        self.fill(color, lambda x, y: True, (x0, y0, x1, y1))

    def text(self, color, x, y, string, scale):
        for i, ch in enumerate(string):
            for row, bits in enumerate(FONT[ch]):
                for col, bit in enumerate(bits):
                    if bit == "#":
                        px = x + (i * 6 + col) * scale
                        py = y + row * scale
                        self.rect(color, px, py, px + scale, py + scale)

    def png(self):
        """Average each SSxSS block (premultiplied alpha) and encode as RGBA PNG."""
        raw = bytearray()
        n = SS * SS
        for y in range(self.h):
            raw.append(0)  # filter type: none
            rows = self.px[y * SS:(y + 1) * SS]
            for x in range(self.w):
                r = g = b = a = 0
                for row in rows:
                    for c in row[x * SS:(x + 1) * SS]:
                        if c is not None:
                            r, g, b, a = r + c[0], g + c[1], b + c[2], a + 1
                if a == 0:
                    raw += b"\0\0\0\0"
                else:
                    raw += bytes((round(r / a), round(g / a), round(b / a), round(255 * a / n)))

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.w, self.h, 8, 6, 0, 0, 0)  # 8-bit RGBA
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


def gauge(c, cx, cy, radius):
    """Blue disc with a white gauge: open-bottom dial, needle, hub."""
    c.circle(BLUE, cx, cy, radius)
    k = radius / 60  # drawn for radius 60, scaled
    c.arc(WHITE, cx, cy, 40 * k, 9 * k, 135, 45)
    c.line(WHITE, cx, cy, cx + 27 * k * math.cos(math.radians(-50)),
           cy + 27 * k * math.sin(math.radians(-50)), 8 * k)
    c.circle(WHITE, cx, cy, 9 * k)
    for i, h in enumerate((6, 11, 16)):  # small bars in the dial's open bottom
        x = cx + (-12 + i * 9) * k
        c.rect(WHITE, x, cy + (48 - h) * k, x + 6 * k, cy + 48 * k)


def main():
    icon = Canvas(128, 128)
    gauge(icon, 64, 64, 62)
    (ROOT / "icon.png").write_bytes(icon.png())

    logo = Canvas(250, 100)
    gauge(logo, 50, 50, 44)
    logo.text(BLUE, 103, 25, "RESOURCE", 3)
    logo.text(DARK_BLUE, 103, 55, "MANAGER", 3)
    (ROOT / "logo.png").write_bytes(logo.png())


if __name__ == "__main__":
    main()
