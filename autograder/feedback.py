"""Student feedback: nbgrader's HTML, without hidden-test source, plus the grader's own findings."""
from __future__ import annotations

import html
from pathlib import Path

from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor


class ShortTracebacks(NbGraderPreprocessor):
    """Replace tracebacks by their last line: the failure message stays, the test code does not."""

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


FEEDBACK_PREPROCESSORS = [GetGrades, ClearHiddenTests, ShortTracebacks, CSSHTMLHeaderPreprocessor]


def add_summary(page: Path, rows: list[tuple[str, str, str]], notes: list[str]) -> None:
    """Insert a table of per-exercise results (test, points, message) and notes at the top of the page."""
    cells = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td><td>{html.escape(c)}</td></tr>"
                    for a, b, c in rows)
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    block = (f'<section id="grader-summary" style="margin:1em;font-family:sans-serif">'
             f"<h2>Grader summary</h2><table border=1 cellpadding=4>"
             f"<tr><th>test</th><th>points</th><th>result</th></tr>{cells}</table>"
             + (f"<h3>Notes</h3><ul>{items}</ul>" if items else "") + "</section>")
    text = page.read_text()
    start = text.find("<body")
    end = text.index(">", start) + 1 if start >= 0 else 0
    page.write_text(text[:end] + block + text[end:])
