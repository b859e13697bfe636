"""Reading the words of a published review from plain text, HTML or PDF.

Every reader gives plain text in which a blank line separates blocks (headings,
paragraphs, lists), so that the extractor reads all three formats alike. HTML headings
come out as Markdown-style ``## Heading`` lines (their level kept), list items as ``•``
bullets (or ``N.`` in an ordered list, keeping the review's numbers), and table rows as
their cells joined by `` | ``. Navigation, site headers and footers, scripts and styles
are dropped.
"""

import io
from html.parser import HTMLParser
from pathlib import Path

from thinkfamily.learning.ingest.errors import IngestError

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
PDF_SUFFIXES = frozenset({".pdf"})


def text_from_bytes(data: bytes, *, filename: str) -> str:
    """The text of a review file, typed by its first bytes and then its extension.

    Args:
        data: the file's content.
        filename: its name, for the extension and for error messages.

    Raises:
        IngestError: the type is not one the ingest reads, the file cannot be decoded, or
            it holds no words.
    """
    suffix = Path(filename).suffix.lower()
    head = data[:1024].lstrip().lower()
    if data.startswith(b"%PDF"):
        text = text_from_pdf(data, filename=filename)
    elif head.startswith((b"<html", b"<!doctype", b"\xef\xbb\xbf<")) or suffix in HTML_SUFFIXES:
        text = text_from_html(decode_text(data, filename=filename))
    elif suffix in PDF_SUFFIXES:
        raise IngestError(f"{filename} is named as a PDF but is not one (no %PDF header).")
    elif suffix in TEXT_SUFFIXES or not suffix:
        text = decode_text(data, filename=filename)
    else:
        raise IngestError(
            f"{filename}: a {suffix} file is not a type the review ingest reads; "
            "give plain text (.txt), HTML (.html) or PDF (.pdf)."
        )
    if not text.strip():
        raise IngestError(f"{filename} is empty: there are no words in it to read.")
    return text


def decode_text(data: bytes, *, filename: str) -> str:
    """Bytes as text: UTF-8 (with or without a byte-order mark), else Windows-1252, the
    encoding of text saved from older Word and web pages."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError(f"{filename} is not readable text (neither UTF-8 nor Windows-1252).")


def text_from_pdf(data: bytes, *, filename: str) -> str:
    """The text layer of a PDF, page by page, with paragraph gaps kept.

    Pages are separated by a form feed so that running headers and footers can be told
    from the body. Layout extraction is used because it keeps the blank lines between
    paragraphs that plain extraction loses.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = []
        for page in reader.pages:
            try:
                pages.append(page.extract_text(extraction_mode="layout"))
            except Exception:  # a layout failure falls back to plain text
                pages.append(page.extract_text())
    except (PdfReadError, ValueError, OSError) as error:
        raise IngestError(f"{filename} is not a readable PDF: {error}") from error
    if not any(page.strip() for page in pages):
        raise IngestError(
            f"{filename} is a PDF with no text layer (probably a scan): there are no words "
            "to read. Run it through OCR, or paste the review's text instead."
        )
    return "\f".join(pages)


_DROPPED = frozenset(
    {"script", "style", "nav", "header", "footer", "noscript", "template", "svg", "head", "form"}
)
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "aside",
        "blockquote",
        "pre",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "ul",
        "ol",
        "figure",
        "figcaption",
        "address",
        "body",
    }
)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


class _ReviewHTMLParser(HTMLParser):
    """Walks a review page keeping its block structure as blank-line separated text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.prefix = ""
        self.dropped_depth = 0
        self.lists: list[list[int]] = []  # per open list: [is_ordered, next number]
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(self.prefix + text)
        self.current = []
        self.prefix = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.dropped_depth += 1
            return
        if self.dropped_depth:
            return
        if tag in _HEADINGS:
            self.flush()
            self.prefix = "#" * _HEADINGS[tag] + " "
        elif tag in ("ol", "ul"):
            self.flush()
            start = dict(attrs).get("start") or "1"
            self.lists.append([tag == "ol", int(start) if start.isdigit() else 1])
        elif tag == "li":
            self.flush()
            if self.lists and self.lists[-1][0]:
                self.prefix = f"{self.lists[-1][1]}. "
                self.lists[-1][1] += 1
            else:
                self.prefix = "• "
        elif tag == "tr":
            self.flush()
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag == "br":
            if self.cell is not None:
                self.cell.append(" ")
            else:
                self.flush()
        elif tag in _BLOCKS:
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropped_depth = max(0, self.dropped_depth - 1)
            return
        if self.dropped_depth:
            return
        if tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if any(self.row):
                self.blocks.append(" | ".join(self.row))
            self.row = None
        elif tag in ("ol", "ul"):
            self.flush()
            if self.lists:
                self.lists.pop()
        elif tag in _HEADINGS or tag == "li" or tag in _BLOCKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.dropped_depth:
            return
        if self.cell is not None:
            self.cell.append(data)
        else:
            self.current.append(data)


def text_from_html(markup: str) -> str:
    """The words of an HTML review page, one block (heading, paragraph, list item, table
    row) to a line, blocks separated by blank lines; table rows of one table stay
    together so that the table reads as one."""
    parser = _ReviewHTMLParser()
    parser.feed(markup)
    parser.close()
    parser.flush()
    lines: list[str] = []
    for block in parser.blocks:
        is_row = " | " in block and not block.startswith(("#", "•"))
        if lines and not (is_row and lines[-1].count(" | ")):
            lines.append("")
        lines.append(block)
    return "\n".join(lines) + "\n"
