"""HTML originals: table rows if the page holds a record table, else its visible text."""

from __future__ import annotations

from html.parser import HTMLParser

from pipelines.filetypes import decode_html

from .model import Layout, Row
from .text import clean

_BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "title", "table"}
_SKIP = {"script", "style", "noscript"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0
        self.before_table: list[str] = []
        self._in_table = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self._skip += 1
        elif tag == "table":
            self._in_table += 1
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "input" and dict(attrs).get("type") == "checkbox":
            self._data("☑" if "checked" in dict(attrs) else "□")
        if tag in _BLOCK:
            self._data("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "table":
            self._in_table = max(0, self._in_table - 1)
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(clean("".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if any(self._row):
                self.rows.append(self._row)
            self._row = None
        if tag in _BLOCK:
            self._data("\n")

    def handle_data(self, data):
        if not self._skip:
            self._data(data)

    def _data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        elif not self._in_table and not self.rows:
            self.before_table.append(data)


def read_html(data: bytes) -> tuple[Layout, str]:
    """Rows of the page's tables (as a Layout) and the page's visible text."""
    collector = _Collector()
    collector.feed(decode_html(data))
    collector.close()
    layout = Layout(format="html")
    layout.header = [line for line in clean("".join(collector.before_table)).split("\n") if line]
    for cells in collector.rows:
        value = "\n".join(c for c in cells[1:] if c)
        layout.rows.append(
            Row(label=cells[0], lines=[[line] for line in value.split("\n") if line], cells=cells)
        )
    text = "\n".join(line for line in clean("".join(collector.text)).split("\n") if line)
    return layout, text
