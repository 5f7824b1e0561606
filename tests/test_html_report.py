"""The HTML report (verify.html_report): self-contained, MathML, rendered by a real browser.

The browser test runs Debian's chromium headless: the page's DOM after rendering holds the
marks and <math> elements, and a screenshot is not blank and shows the marks' colours. It is
skipped only outside CI when no chromium is installed (.ci/run installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass

import pytest
import sympy

from verify.html_report import latex_to_mathml, render_html


@dataclass
class Step:
    line: int
    latex: str
    status: str
    counterexample: dict | None = None
    base: object = None
    assumptions: tuple = ()
    reading: str | None = None
    sizes: tuple | None = None
    reason: str | None = None
    kind: str = "equal"
    repair: str | None = None


@dataclass
class Doc:
    steps: list
    status: str
    ok: bool


def _document():
    given = Step(2, r"p_i = \frac{e^{z_i}}{\sum_{k=1}^{n} e^{z_k}}", "given", kind="definition",
                 reading="p_i defined for i = 1, ..., n")
    assume = Step(4, r"\sum_i y_i = 1", "given", kind="assumption",
                  reading="not an identity, assumed from here on")
    proved = Step(6, r"\frac{\partial J}{\partial z_i} = p_i - y_i", "proved", base=given,
                  assumptions=(assume,), reading="derivative of J (line 3)")
    refuted = Step(8, r"&= p_i + y_i", "refuted", base=proved,
                   counterexample={sympy.Symbol("y_1"): sympy.Integer(1)},
                   reading="continues line 6", repair="none known")
    unknown = Step(9, r"\frac{1}{", "unknown", reason="cannot read: unbalanced braces <b>")
    return Doc([given, assume, proved, refuted, unknown], status="refuted", ok=False)


@pytest.fixture(scope="module")
def page():
    return render_html(_document(), title="mine <1>.md")


def test_page_has_summary_marks_and_mathml(page):
    assert page.startswith("<!DOCTYPE html>")
    summary = re.search(r'<div class="summary refuted">(.*?)</div>', page).group(1)
    # links from the summary to the rows to look at first
    assert '<div class="where">refuted: <a href="#step-4">line 8</a></div>' in page
    assert '<div class="where">unknown: <a href="#step-5">line 9</a></div>' in page
    assert 'id="step-4"' in page
    assert "REFUTED" in summary and "5 steps" in summary
    assert "1 proved" in summary and "1 refuted" in summary and "1 unknown" in summary
    assert "2 given" in summary
    rows = re.findall(r'<tr class="(\w+)" id="step-\d+"><td class="mark"[^>]*>(.)</td>'
                      r'<td class="line">line (\d+)', page)
    assert rows == [("given", "\u00b7", "2"), ("given", "\u00b7", "4"), ("proved", "\u2713", "6"),
                    ("refuted", "\u2717", "8"), ("unknown", "?", "9")]
    assert page.count("<math") == 4  # four convertible formulas; the broken one is code
    assert "checked against:</b> line 6" in page and "assumptions used:</b> line 4" in page
    assert "counterexample:</b> y_1 = 1" in page and "repair:</b> none known" in page


def test_unconvertible_formula_and_text_are_escaped(page):
    assert "<code>\\frac{1}{</code>" in page
    assert "unbalanced braces &lt;b&gt;" in page and "braces <b>" not in page
    assert "mine &lt;1&gt;.md" in page


def test_page_loads_nothing(page):
    assert not re.search(r"https?://", page)
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page, flags=re.I)
    assert "url(" not in page and "@import" not in page
    assert "default-src 'none'" in page  # the browser would refuse any fetch anyway


def test_latex_to_mathml_has_no_namespace_url_and_refuses_unknown_commands():
    markup = latex_to_mathml(r"\frac{\partial J}{\partial w_{ij}} = x_j (p_i - y_i)")
    assert markup.startswith("<math") and "<mfrac>" in markup and "http" not in markup
    assert latex_to_mathml(r"\notacommand{x}") is None
    assert latex_to_mathml(r"x^{") is None


# -- a real browser ---------------------------------------------------------------------------
def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("CI=true but no chromium on PATH (.ci/run installs it with apt-get)")
    pytest.skip("chromium is not installed (apt-get install chromium); required under CI")


def _browser(chromium, tmp_path, *args):
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={tmp_path / 'profile'}", "--no-first-run",
               "--host-resolver-rules=MAP * ~NOTFOUND", *args]
    return subprocess.run(command, capture_output=True, timeout=120, check=False)


def _png_pixels(data: bytes):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA PNG (what chromium writes),
    decoded here with zlib, the row filters undone as the PNG specification says."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 2:  # Up: no dependence along the row
            line = bytearray((u + v) & 255 for u, v in zip(line, previous))
        elif kind:
            for x in range(stride):  # Sub, Average, Paeth: sequential along the row
                a = line[x - channels] if x >= channels else 0
                b = previous[x]
                c = previous[x - channels] if x >= channels else 0
                if kind == 1:
                    line[x] = (line[x] + a) & 255
                elif kind == 3:
                    line[x] = (line[x] + (a + b) // 2) & 255
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, channels)])
        previous = line
    return width, height, rows


@pytest.mark.slow
def test_chromium_renders_marks_and_math(page, tmp_path):
    chromium = _chromium()
    html_path = tmp_path / "report.html"
    html_path.write_text(page, encoding="utf-8")
    url = html_path.as_uri()

    dom = _browser(chromium, tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    text = dom.stdout.decode("utf-8")
    for mark in ("\u2713", "\u2717", "\u00b7"):
        assert mark in text
    assert len(re.findall(r"<math\b", text)) == 4 and "<mfrac>" in text
    assert "REFUTED" in text

    shot = tmp_path / "report.png"
    run = _browser(chromium, tmp_path, f"--screenshot={shot}", "--window-size=800,600", url)
    assert run.returncode == 0 and shot.exists(), run.stderr.decode(errors="replace")[-2000:]
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (800, 600)
    pixels = [p for row in rows[::2] for p in row[::2]]
    colours = set(pixels)
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    dark = sum(1 for p in pixels if sum(p) < 200) / len(pixels)
    assert dark > 0.002, "no text drawn"
    # the marks' colours: green for proved (#17801b), red for refuted (#c0161a)
    assert any(g > 100 and r < 60 and b < 60 for r, g, b in colours), "no green proved mark"
    assert any(r > 160 and g < 60 and b < 60 for r, g, b in colours), "no red refuted mark"


@pytest.mark.slow
def test_chromium_renders_a_checked_example(tmp_path):
    from pathlib import Path

    from derivation.documents import check_document

    chromium = _chromium()
    example = Path(__file__).resolve().parents[1] / "examples" / "student_mistakes.md"
    document = check_document(example.read_text(encoding="utf-8"), timeout=60)
    page = render_html(document, title=example.name)
    assert not re.search(r"https?://", page)
    html_path = tmp_path / "example.html"
    html_path.write_text(page, encoding="utf-8")
    dom = _browser(chromium, tmp_path, "--dump-dom", html_path.as_uri())
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    text = dom.stdout.decode("utf-8")
    rows = re.findall(r'<tr class="(\w+)" id="step-\d+">', text)
    assert rows == [s.status for s in document.steps]
    # every formula of this example is plain LaTeX that latex2mathml converts
    assert len(re.findall(r"<math\b", text)) == len(document.steps)
    shot = tmp_path / "example.png"
    run = _browser(chromium, tmp_path, f"--screenshot={shot}", "--window-size=800,500",
                   html_path.as_uri())
    assert run.returncode == 0 and shot.exists()
    _, _, pixels = _png_pixels(shot.read_bytes())
    assert len({p for row in pixels[::3] for p in row[::3]}) > 50
