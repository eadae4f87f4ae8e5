"""HTML mail to plain text that keeps what matters for reading a reply.

Paragraph breaks, list items, quoting (``> `` per blockquote level), table rows (cells joined
by ``‖``), and redline meaning: struck-out text becomes ``[-…-]`` and underlined or inserted text
``{+…+}``. Markers for known quote containers (Outlook's ``divRplyFwdMsg`` and friends) become a
line holding :data:`QUOTE_MARK` so the quote cutter can stop there.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mail.reading.normal import DEL_CLOSE, DEL_OPEN, INS_CLOSE, INS_OPEN

QUOTE_MARK = "\ue000"
CELL_SEP = " \u2016 "
MAX_HTML_CHARS = 2_000_000
_MAX_STACK = 2_000

_SKIP = {"script", "style", "head", "title", "template", "noscript", "xml", "svg", "object"}
_BLANK_AROUND = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "hr"}
_BREAK_AROUND = {"div", "li", "tr", "section", "article", "header", "footer", "dd", "dt", "center"}
_DEL_TAGS = {"s", "strike", "del"}
_INS_TAGS = {"ins", "u"}
_QUOTE_IDS = re.compile(r"^(x_)?(divRplyFwdMsg|appendonsend|zwchr|stopSpelling)", re.I)
_QUOTE_CLASSES = re.compile(r"\b(OutlookMessageHeader|yahoo_quoted|moz-forward-container)\b", re.I)


class _TableScan(HTMLParser):
    """First pass: which tables (by opening order) hold another table (layout tables)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.count = 0
        self.stack: list[int] = []
        self.layout: set[int] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            if self.stack:
                self.layout.add(self.stack[-1])
            if len(self.stack) < _MAX_STACK:
                self.stack.append(self.count)
            self.count += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.stack:
            self.stack.pop()


class _Converter(HTMLParser):
    def __init__(self, layout_tables: set[int]) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []  # (quote depth, text)
        self.current: list[str] = []
        self.depth = 0
        self.skip = 0
        self.stack: list[tuple[str, str]] = []  # (tag, closer emitted at its end)
        self.layout_tables = layout_tables
        self.table_count = 0
        self.tables: list[bool] = []  # per open table: is it a data table?
        self.cells: list[list[str]] | None = None
        self.cell: list[str] | None = None
        self.list_counters: list[int] = []

    # -- output helpers -------------------------------------------------------------------
    def _text(self, text: str) -> None:
        if self.cell is not None:
            self.cell.append(text)
        else:
            self.current.append(text)

    def _break(self, blank: bool = False, hard: bool = False) -> None:
        """End the current line: ``hard`` (a <br>) keeps an empty line, a block does not."""
        if self.cell is not None:
            self.cell.append(" ")
            return
        line = "".join(self.current)
        self.current = []
        if line.strip() or hard:
            self.lines.append((self.depth, line))
        if blank:
            self.lines.append((self.depth, ""))

    # -- parser callbacks -----------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area"}:
            self._void(tag, dict(attrs))
            return
        attributes = dict(attrs)
        if tag in _SKIP:
            self.skip += 1
        closer = ""
        if self.skip == 0:
            closer = self._open(tag, attributes)
        if len(self.stack) < _MAX_STACK:
            self.stack.append((tag, closer))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "hr", "img"}:
            self._void(tag, dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if not any(open_tag == tag for open_tag, _ in self.stack):
            return
        while self.stack:
            open_tag, closer = self.stack.pop()
            if open_tag in _SKIP:
                self.skip = max(0, self.skip - 1)
            elif self.skip == 0:
                self._close(open_tag, closer)
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self._text(re.sub(r"[ \t\r\n\f]+", " ", data))

    # -- tags -----------------------------------------------------------------------------
    def _void(self, tag: str, attributes: dict[str, str | None]) -> None:
        if self.skip:
            return
        if tag == "br":
            self._break(hard=True)
        elif tag == "hr":
            if _QUOTE_IDS.match(attributes.get("id") or ""):
                self._mark()
            self._break(blank=True)

    def _mark(self) -> None:
        self._break()
        self.lines.append((self.depth, QUOTE_MARK))

    def _open(self, tag: str, attributes: dict[str, str | None]) -> str:
        style = (attributes.get("style") or "").replace(" ", "").lower()
        if _QUOTE_IDS.match(attributes.get("id") or "") or _QUOTE_CLASSES.search(
            attributes.get("class") or ""
        ):
            self._mark()
        if tag == "blockquote":
            self._break()
            self.depth += 1
        elif tag == "table":
            self._open_table()
        elif tag in {"td", "th"} and self.cells is not None:
            self.cell = []
        elif tag in {"ol", "ul"}:
            self._break(blank=not self.list_counters)
            self.list_counters.append(0 if tag == "ol" else -1)
        elif tag == "li":
            self._break()
            self._text(self._bullet())
        elif tag in _BLANK_AROUND:
            self._break(blank=True)
        elif tag in _BREAK_AROUND:
            self._break()
        if tag in _DEL_TAGS or "line-through" in style:
            self._text(DEL_OPEN)
            return DEL_CLOSE
        if tag in _INS_TAGS or "text-decoration:underline" in style:
            self._text(INS_OPEN)
            return INS_CLOSE
        return ""

    def _close(self, tag: str, closer: str) -> None:
        if closer:
            self._text(closer)
        if tag == "blockquote":
            self._break()
            self.depth = max(0, self.depth - 1)
        elif tag == "table":
            self._close_table()
        elif tag in {"td", "th"} and self.cells is not None and self.cell is not None:
            self.cells.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.cells is not None:
            self._emit_row()
        elif tag in {"ol", "ul"}:
            if self.list_counters:
                self.list_counters.pop()
            self._break(blank=not self.list_counters)
        elif tag in _BLANK_AROUND:
            self._break(blank=True)
        elif tag in _BREAK_AROUND:
            self._break()

    def _bullet(self) -> str:
        if not self.list_counters:
            return "- "
        if self.list_counters[-1] < 0:
            return "- "
        self.list_counters[-1] += 1
        return f"{self.list_counters[-1]}. "

    def _open_table(self) -> None:
        data_table = self.table_count not in self.layout_tables
        self.table_count += 1
        self._break(blank=True)
        self.tables.append(data_table)
        self.cells = [] if data_table else None
        self.cell = None

    def _close_table(self) -> None:
        if self.tables:
            self.tables.pop()
        if self.cells:
            self._emit_row()
        self.cells = None
        self.cell = None
        self._break(blank=True)

    def _emit_row(self) -> None:
        if self.cell is not None and self.cells is not None:
            self.cells.append(self.cell)
            self.cell = None
        cells = [re.sub(r"\s+", " ", "".join(cell)).strip() for cell in self.cells or []]
        self.cells = []
        if any(cells):
            self.current = []
            self.lines.append((self.depth, CELL_SEP.strip() + " " + CELL_SEP.join(cells)))
            self.lines.append((self.depth, ""))


_LONE_LT = re.compile(r"<(?![A-Za-z/!?])")


def html_to_text(html: str) -> str:
    """Render an HTML body as plain text (see the module docstring for the conventions)."""
    # A "<" that opens no tag is text; written as "&lt;" the parser takes a run of them as one
    # piece of data instead of one callback each (a line of 700,000 "<" took seconds).
    html = _LONE_LT.sub("&lt;", html[:MAX_HTML_CHARS])
    layout: set[int] = set()
    if "<table" in html.lower():
        scan = _TableScan()
        scan.feed(html)
        scan.close()
        layout = scan.layout
    converter = _Converter(layout)
    converter.feed(html)
    converter.close()
    converter._break()
    out: list[str] = []
    for depth, line in converter.lines:
        text = line.replace("\u00a0", " ").strip()
        out.append(("> " * depth + text).rstrip())
    joined = "\n".join(out)
    joined = re.sub(r"\[-\s*-\]|\{\+\s*\+\}", "", joined)
    return re.sub(r"\n(?:[ >]*\n){2,}", "\n\n", joined).strip("\n")
