"""Read a .docx policy document as text lines (python-docx): one paragraph a line.

Table cells are read row by row after the paragraphs they follow, one cell a line. Lines of
the draft refer to this text, which ``huiqi policies draft`` writes beside the draft so that
the quotations can be checked (docs/policy-format.md).
"""

from __future__ import annotations

from pathlib import Path


def docx_lines(path: Path) -> list[str]:
    import docx  # python-docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                for cell in row.cells:
                    lines.extend(p.text for p in cell.paragraphs)
    return lines
