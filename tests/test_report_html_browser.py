"""The HTML report in a real browser (headless Chromium): a screenshot that is not blank, and
the DOM after the page's script ran (charts, tables, sortable headers, sorting itself).

Skipped when no browser is installed, except under CI (``CI=true``), where ``.ci/run``
installs one and a missing browser fails the test."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from conftest import run_cli
from test_report_html import TODAY, Page, example_repo

BROWSERS = ("chromium-headless-shell", "chromium", "chrome-headless-shell", "google-chrome")


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("no headless browser on PATH under CI: .ci/run should have installed "
                    "chromium-headless-shell")
    pytest.skip("no headless browser installed (apt-get install chromium-headless-shell)")


def run_browser(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    cmd = [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", "--disable-extensions", f"--user-data-dir={cwd / 'profile'}", *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    return proc


def png_colours(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct colours) of an 8-bit RGB or RGBA PNG, decoded here."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, bytearray(), 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(bytes(idat))
    stride = width * bpp
    prev = bytearray(stride)
    colours: set[bytes] = set()
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return width, height, len(colours)


def test_png_reader_counts_colours():
    """The reader itself, on PNGs made here: one colour, then two (filter 0 rows)."""
    def png(rows: list[bytes], width: int) -> bytes:
        def chunk(kind: bytes, body: bytes) -> bytes:
            return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        raw = b"".join(b"\0" + r for r in rows)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    assert png_colours(png([b"\xff\xff\xff" * 4] * 3, 4)) == (4, 3, 1)
    assert png_colours(png([b"\xff\xff\xff" * 4, b"\x00\x00\x00" * 4], 4)) == (4, 2, 2)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    repo = example_repo(tmp_path_factory.mktemp("report-browser") / "repo")
    proc = run_cli(["report", "--html", "report.html", "--today", TODAY], repo.path)
    assert proc.returncode == 0, proc.stderr
    return repo.path / "report.html"


def test_screenshot_is_not_blank(page_file: Path, tmp_path: Path):
    shot = tmp_path / "shot.png"
    run_browser("--window-size=1000,1400", f"--screenshot={shot}", page_file.as_uri(), cwd=tmp_path)
    width, height, colours = png_colours(shot.read_bytes())
    assert (width, height) == (1000, 1400)
    # a blank page has one colour; text, patterns and charts bring hundreds (antialiasing)
    assert colours > 50, colours


def test_dom_after_the_script_ran(page_file: Path, tmp_path: Path):
    dom = run_browser("--dump-dom", page_file.as_uri(), cwd=tmp_path).stdout.decode()
    page = Page(dom)
    charts = [s for s in page.svgs if s["attrs"].get("role") == "img"]
    assert len(charts) >= 3 and all(s["children"][:2] == ["title", "desc"] for s in charts)
    assert any(s["attrs"].get("id", "").endswith("growth-chart") for s in charts)
    sortable = [t for t in page.tables if t["cls"] == "sortable"]
    assert len(sortable) >= 3 and all(t["rows"] for t in sortable)
    # the inline script turned every sortable header into a button (none without it)
    assert "<button" not in page_file.read_text(encoding="utf-8")
    headers = sum(len(t["th"]) for t in sortable)
    assert sum(1 for tag, _ in page.tags if tag == "button") == headers


SORT_PROBE = """
<script>
window.addEventListener("load", function () {
  var t = document.querySelectorAll("table.sortable")[2];  /* rules that need a decision */
  var b = t.tHead.rows[0].cells[0].querySelector("button");
  b.click();
  var up = Array.from(t.tBodies[0].rows).map(function (r) { return r.cells[0].textContent; });
  b.click();
  var down = Array.from(t.tBodies[0].rows).map(function (r) { return r.cells[0].textContent; });
  var out = document.createElement("pre"); out.id = "probe";
  out.textContent = JSON.stringify({up: up, down: down,
    sort: t.tHead.rows[0].cells[0].getAttribute("aria-sort")});
  document.body.appendChild(out);
});
</script>
"""


def test_sorting_in_the_browser(page_file: Path, tmp_path: Path):
    """The page's own script sorts: a copy of the page with a probe that clicks a header."""
    import json
    import re

    probe = tmp_path / "probe.html"
    probe.write_text(page_file.read_text(encoding="utf-8").replace("</body>", SORT_PROBE + "</body>"),
                     encoding="utf-8")
    dom = run_browser("--dump-dom", probe.as_uri(), cwd=tmp_path).stdout.decode()
    got = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert got, dom[-2000:]
    result = json.loads(got.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["up"] == sorted(result["up"], key=str.lower) or result["up"] == sorted(result["up"])
    assert result["down"] == list(reversed(result["up"]))
    assert result["sort"] == "descending"
    assert len(result["up"]) >= 3
