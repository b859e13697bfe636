# ruff: noqa: RUF001, RUF002 - reviews are typeset: en dashes, curly quotes and bullets are
# the very characters this module reads, so they appear in its patterns and docstrings.
"""Reading a review's text into a draft register entry.

How a review is read, in order:

1. **Page furniture goes.** Lines that are the website or the printed page rather than
   the review ("skip to main content", "Back to top", "Translate »", "Page 3 of 40",
   "OFFICIAL", cookie notices, copyright lines, and any short line repeated three or more
   times, which is a running header or footer) are removed before anything else.
2. **Blocks and lines.** Blank lines separate blocks. Each line is a heading, a contents
   entry ("Recommendations ........ 27", "5. Findings 14": skipped), a table row (cells
   separated by ``|`` or tabs), a labelled item ("Recommendation 3 – …", "Finding 2:",
   "R4"), a list item (numbered ``N.``, ``N)``, ``(N)``, lettered, or a bullet ``•``,
   ``-``, ``*``), or prose; a line that is none of these continues the item or
   paragraph above it in the same block.
3. **Sections.** A known heading (optionally numbered: "7. Recommendations",
   "Section 5 – Lessons learnt", "## Key findings") starts a recommendations, findings,
   lessons or combined "findings and recommendations" section; any other known heading
   ("Background", "Appendix", …), a Markdown/HTML heading, or a numbered heading outside
   those sections ("3. Background", "4.2 The family") starts a section that is not read
   for items. A labelled "Recommendation N" (or "Finding N", "Lesson N") outside a
   section of its kind starts one: scraped pages often lose their headings.
4. **Items of a section.** Labelled items of the section's kind, when there are any;
   otherwise its list items (the first kind of marker used is the top level; other
   markers directly under an item are its sub-items and stay in its text, one to a
   line), table rows and semicolon lists ("The board should: a; b; and c."); otherwise
   its paragraphs, leaving out lead-ins that end with a colon and, for recommendations,
   paragraphs that talk about the recommendations rather than make one.
5. **Numbers and addressees.** An item keeps the review's own number; an unnumbered
   item takes its place in the list. Addressees come from a table's agency column when
   there is one, else from the item's text by
   :func:`thinkfamily.learning.vocabulary.addressees_of`.
6. **Stated count.** "The review made 14 (fourteen) recommendations" gives
   ``recommendation_count_stated``, whether or not they are listed.
7. **Themes** are :func:`thinkfamily.learning.vocabulary.themes_in` of the whole body.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from thinkfamily.learning.ingest.draft import RecommendationDraft, ReviewDraft
from thinkfamily.learning.ingest.errors import IngestError
from thinkfamily.learning.ingest.readers import text_from_bytes
from thinkfamily.learning.vocabulary import addressees_of, themes_in

RECOMMENDATIONS = "recommendations"
FINDINGS = "findings"
LESSONS = "lessons"
COMBINED = "findings_and_recommendations"
OTHER = "other"

# --- page furniture -------------------------------------------------------------------

_FURNITURE = re.compile(
    r"""^(?:
        skip\ to\ (?:the\ )?(?:main\ )?content | skip\ to\ navigation | skip\ navigation
      | back\ to\ top | top\ of\ page | translate\ *»? | print(?:\ this\ page)?
      | share(?:\ this\ page)? | share\ on\ \w+ | menu | search | home | main\ menu
      | you\ are\ here:?.* | home\ *[>»›/].* | breadcrumbs?
      | .{0,60}\bpage\ \d+(?:\ *(?:of|/)\ *\d+)?
      | \d+\ *(?:of|/)\ *\d+ | [-–]?\ *\d{1,4}\ *[-–]?
      | official(?:[-\ ]sensitive)? | not\ protectively\ marked
      | .*\bcookies?\b.* | ©.* | copyright\b.*
      | contact\ us | accessibility(?:\ statement)? | privacy(?:\ notice|\ policy)?
      | terms\ and\ conditions | site\ ?map | follow\ us(?:\ on\ \w+)?
      | (?:facebook|twitter|linkedin|youtube|instagram)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_RUNNING_REPEATS = 3

# --- headings -------------------------------------------------------------------------

_KNOWN_HEADINGS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(rf"(?:{pattern})", re.IGNORECASE))
    for kind, pattern in (
        (COMBINED, r"(?:key\s+)?findings\s+(?:and|&)\s+recommendations"),
        (
            RECOMMENDATIONS,
            r"(?:the\s+)?recommendations?(?:\s+(?:for|to)\s+.{1,60})?"
            r"|considerations?\s+for\s+.{1,60}",
        ),
        (
            FINDINGS,
            r"(?:key\s+|main\s+)?findings(?:\s+(?:and|&)\s+analysis)?|conclusions?"
            r"|summary\s+of\s+(?:the\s+)?(?:key\s+)?findings|analysis\s+(?:and|&)\s+findings",
        ),
        (
            LESSONS,
            r"(?:key\s+)?lessons?\s+(?:to\s+be\s+)?(?:learnt|learned)"
            r"|(?:key\s+)?learning(?:\s+points)?|learning\s+from\s+(?:this|the)\s+(?:review|case)"
            r"|(?:key\s+)?messages\s+for\s+(?:practitioners|managers|professionals|practice"
            r"|(?:the\s+)?board|(?:the\s+)?partnership|all\s+agencies|leaders)"
            r"|(?:key\s+)?practice\s+messages|key\s+messages",
        ),
        (
            OTHER,
            r"introduction|background|family\s+background|(?:the\s+)?family|methodology.*"
            r"|terms\s+of\s+reference|(?:table\s+of\s+)?contents|executive\s+summary|summary"
            r"|glossary|appendix.*|annex.*|references|bibliography|acknowledgements?"
            r"|next\s+steps|action\s+plan|(?:the\s+)?(?:partnership|board)['’]?s?\s+response"
            r"|response\s+to\s+the\s+review|agency\s+responses|good\s+practice|chronology"
            r"|case\s+summary|what\s+happened|the\s+review\s+process|about\s+this\s+review"
            r"|further\s+information|useful\s+links|related\s+\w+|analysis|notes"
            r"|views\s+of\s+the\s+family|family\s+involvement|key\s+practice\s+episodes"
            r"|purpose\s+of\s+(?:the|this)\s+review|scope\s+of\s+(?:the|this)\s+review",
        ),
    )
)
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_SECTION_NUMBER = re.compile(
    r"^(?:(?:section|part|chapter)\s+(?P<word>\d+|[ivxlc]+)\s*[-–—:.]?\s*"
    r"|(?P<number>\d{1,2}(?:\.\d{1,2})*)\.?\s+(?:[-–—:]\s*)?)",
    re.IGNORECASE,
)
_CONTENTS_ENTRY = re.compile(r"^(?P<name>.*?\S)\s*(?:(?:\.\s*){2,}|…+|_{2,}|\s)\s*\d{1,3}$")
_DOT_LEADERS = re.compile(r"(?:\.\s*){3,}|…|_{3,}")
_MODAL = re.compile(
    r"\b(?:should|must|shall|will|would|could|ensure|ensures|consider|considers|need|needs)\b",
    re.IGNORECASE,
)

# --- items ----------------------------------------------------------------------------

_LABELLED = re.compile(
    r"^(?P<label>recommendation|finding|key\s+finding|lesson|learning\s+point)\s+"
    r"(?P<number>\d{1,3})(?:\.\d{1,3})*\s*(?:[-–—:.)]\s*|(?=\s)|$)\s*(?P<text>.*)$",
    re.IGNORECASE,
)
_R_LABELLED = re.compile(r"^R\s?(?P<number>\d{1,2})\b\s*[-–—:.)]?\s*(?P<text>.*)$")
_NUMBERED = re.compile(
    r"^(?:\((?P<paren>\d{1,3})\)|(?P<plain>\d{1,3})(?:\.(?P<sub>\d{1,3}))?[.)]?)\s+(?P<text>\S.*)$"
)
_LETTERED = re.compile(r"^(?:\((?P<a>[a-z])\)|(?P<b>[a-z])[.)])\s+(?P<text>\S.*)$")
_BULLET = re.compile(r"^[•\-*–·●▪◦‣○]\s*(?P<text>\S.*)$")
_TABLE_SEPARATOR = re.compile(r"^[\s|:+\-–]+$")

_LABEL_KINDS = {
    "recommendation": RECOMMENDATIONS,
    "r": RECOMMENDATIONS,
    "finding": FINDINGS,
    "key finding": FINDINGS,
    "lesson": LESSONS,
    "learning point": LESSONS,
}

_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        [
            *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
            *("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen"),
            *("seventeen", "eighteen", "nineteen", "twenty"),
        ]
    )
}
_NUMBER_WORDS |= {"thirty": 30, "forty": 40, "fifty": 50}
_COUNT_NUMBER = r"(?P<count>\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
_STATED_COUNTS = (
    re.compile(
        r"\b(?:made|makes|make|making|contains?|includes?|identified|identifies|sets?\s+out"
        r"|resulted\s+in|produced|there\s+(?:are|were)|with|total\s+of)\s+(?:a\s+total\s+of\s+)?"
        r"(?:the\s+following\s+)?" + _COUNT_NUMBER + r"(?:\s+[a-z-]+){0,2}?\s+recommendations\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b"
        + _COUNT_NUMBER
        + r"\s+recommendations\s+(?:were|have\s+been|are|had\s+been)\s+made\b",
        re.IGNORECASE,
    ),
)


@dataclass
class _Heading:
    kind: str
    level: int | None  # Markdown/HTML heading level, None for a plain-text heading
    number: tuple[int, ...] | None
    name: str


@dataclass
class _Item:
    marker: str  # "label", "numbered", "lettered", "bullet"
    label: str | None  # the section kind a labelled item belongs to
    number: int | None
    lines: list[str]
    raw: str  # the first line as written, marker included, for use as a sub-item
    heading: _Heading | None = None  # what it would be if it is a numbered heading


@dataclass
class _Paragraph:
    lines: list[str]
    standalone: bool


@dataclass
class _Row:
    cells: list[str]


_Unit = _Heading | _Item | _Paragraph | _Row


@dataclass
class _Section:
    kind: str | None
    level: int | None = None
    number: tuple[int, ...] | None = None
    units: list[_Unit] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    number: int | None
    text: str
    addressees: tuple[str, ...] | None = None  # from a table's agency column, if any


def _squash(text: str) -> str:
    return " ".join(text.split())


def _join_wrapped(lines: list[str]) -> str:
    """Lines of one paragraph as one line; a line broken after a hyphen joins without a
    space, keeping the review's own hyphen ("be-" + "tween" stays "be-tween")."""
    joined = ""
    for line in lines:
        line = _squash(line)
        if not joined:
            joined = line
        elif re.search(r"\w-$", joined):
            joined += line
        else:
            joined += " " + line
    return joined


# --- step 1: furniture ----------------------------------------------------------------


def _tidy(line: str) -> str:
    """A line with its spacing collapsed, keeping tabs, which separate table cells."""
    return "\t".join(_squash(cell) for cell in line.split("\t")).strip("\t")


def _clean_lines(text: str) -> list[str]:
    """The review's lines without page furniture; blank lines kept as ``""``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = text.replace("\u200b", "").replace("\ufeff", "")
    lines = [_tidy(line) for line in text.replace("\f", "\n\n").split("\n")]
    repeats = Counter(line for line in lines if line)
    cleaned: list[str] = []
    for line in lines:
        if not line:
            cleaned.append("")
        elif _FURNITURE.match(line) or (
            # A short line on three or more pages is a running header or footer.
            repeats[line] >= _RUNNING_REPEATS
            and len(line) <= 100
            and not _is_marked(line)
            and _known_heading(line) is None
        ):
            continue
        else:
            cleaned.append(line)
    return cleaned


def _is_marked(line: str) -> bool:
    return any(
        pattern.match(line) for pattern in (_LABELLED, _R_LABELLED, _NUMBERED, _LETTERED, _BULLET)
    )


# --- step 2: lines into units ---------------------------------------------------------


def _known_heading(name: str) -> str | None:
    name = name.strip().rstrip(":").strip()
    for kind, pattern in _KNOWN_HEADINGS:
        if pattern.fullmatch(name):
            return kind
    return None


def _strip_section_number(line: str) -> tuple[tuple[int, ...] | None, str]:
    found = _SECTION_NUMBER.match(line)
    if found is None:
        return None, line
    rest = line[found.end() :]
    if found.group("number"):
        return tuple(int(part) for part in found.group("number").split(".")), rest
    word = found.group("word")
    return ((int(word),) if word.isdigit() else None), rest


def _heading_like(name: str) -> bool:
    """Whether a short line reads as a heading: a few words, capitalised, no sentence."""
    words = name.split()
    return (
        0 < len(words) <= 8
        and len(name) <= 80
        and name[0].isupper()
        and not re.search(r"[.;,?!]$", name)
        and _MODAL.search(name) is None
    )


def _heading_of(line: str, *, standalone: bool) -> _Heading | bool | None:
    """A heading; ``False`` for a contents entry (to skip); ``None`` for anything else."""
    markdown = _MARKDOWN_HEADING.match(line)
    if markdown is not None:
        number, name = _strip_section_number(markdown.group(2))
        name = name.strip().rstrip(":").strip()
        return _Heading(_known_heading(name) or OTHER, len(markdown.group(1)), number, name)
    number, name = _strip_section_number(line)
    contents = _CONTENTS_ENTRY.match(name)
    if contents is not None and (
        _DOT_LEADERS.search(name) or _known_heading(contents.group("name")) is not None
    ):
        return False
    kind = _known_heading(name)
    if kind is not None:
        return _Heading(kind, None, number, name.strip().rstrip(":").strip())
    return None


def _item_of(line: str) -> _Item | None:
    labelled = _LABELLED.match(line)
    if labelled is not None:
        label = _squash(labelled.group("label")).lower()
        text = labelled.group("text")
        return _Item(
            "label",
            _LABEL_KINDS[label],
            int(labelled.group("number")),
            [text] if text else [],
            line,
        )
    r_labelled = _R_LABELLED.match(line)
    if r_labelled is not None and r_labelled.group("text"):
        return _Item(
            "label",
            RECOMMENDATIONS,
            int(r_labelled.group("number")),
            [r_labelled.group("text")],
            line,
        )
    numbered = _NUMBERED.match(line)
    if numbered is not None:
        value = numbered.group("sub") or numbered.group("paren") or numbered.group("plain")
        return _Item("numbered", None, int(value), [numbered.group("text")], line)
    lettered = _LETTERED.match(line)
    if lettered is not None:
        return _Item("lettered", None, None, [lettered.group("text")], line)
    bullet = _BULLET.match(line)
    if bullet is not None:
        return _Item("bullet", None, None, [bullet.group("text")], line)
    return None


def _row_of(line: str) -> _Row | None:
    if "\t" in line.strip("\t"):
        cells = [cell.strip() for cell in line.strip("\t").split("\t")]
    elif "|" in line.strip().strip("|"):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    else:
        return None
    if sum(1 for cell in cells if cell) < 2:
        return None
    return _Row(cells)


def _units(lines: list[str]) -> list[_Unit]:
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    units: list[_Unit] = []
    for block in blocks:
        standalone = len(block) == 1
        previous: _Item | _Paragraph | None = None
        for raw_line in block:
            # Tabs separate table cells; everywhere else whitespace is only spacing.
            line = raw_line if "\t" in raw_line else _squash(raw_line)
            if not line.strip():
                continue
            heading = _heading_of(line.strip(), standalone=standalone)
            if heading is False:
                previous = None
                continue
            if isinstance(heading, _Heading):
                units.append(heading)
                previous = None
                continue
            if _TABLE_SEPARATOR.match(line) and "|" in line:
                continue
            row = _row_of(line)
            if row is not None:
                units.append(row)
                previous = None
                continue
            line = _squash(line)
            item = _item_of(line)
            if item is not None:
                if item.marker == "numbered" and standalone:
                    number, name = _strip_section_number(line)
                    if number is not None and _heading_like(name):
                        item.heading = _Heading(OTHER, None, number, name)
                units.append(item)
                previous = item
            elif previous is not None:
                previous.lines.append(line)
            else:
                previous = _Paragraph([line], standalone)
                units.append(previous)
    return units


# --- step 3: units into sections ------------------------------------------------------

_READ_KINDS = frozenset({RECOMMENDATIONS, FINDINGS, LESSONS, COMBINED})


def _ends_section(heading: _Heading, section: _Section) -> bool:
    """Whether a heading closes the section: a sub-heading (a deeper HTML/Markdown level,
    of no known kind) inside a read section does not."""
    if heading.kind != OTHER or section.kind not in _READ_KINDS:
        return True
    return not (
        heading.level is not None and section.level is not None and heading.level > section.level
    )


def _numbered_heading_in(item: _Item, section: _Section) -> bool:
    """Whether a numbered, heading-like line is the next section rather than an item.

    Outside the sections that are read, it always is ("3. Background"). Inside one, only
    when the section's own heading is numbered, the line's number follows it, and it does
    not continue the section's own numbered list.
    """
    if item.heading is None or item.heading.number is None:
        return False
    if section.kind not in _READ_KINDS:
        return True
    if section.number is None:
        return False
    numbers = [
        unit.number for unit in section.units if isinstance(unit, _Item) and unit.number is not None
    ]
    if numbers and item.number == numbers[-1] + 1:
        return False
    return (
        len(item.heading.number) <= len(section.number)
        and item.heading.number[0] > section.number[0]
    )


def _sections(units: list[_Unit]) -> list[_Section]:
    sections = [_Section(None)]
    for unit in units:
        current = sections[-1]
        if isinstance(unit, _Heading):
            if _ends_section(unit, current):
                sections.append(_Section(unit.kind, unit.level, unit.number))
            continue
        if isinstance(unit, _Item) and _numbered_heading_in(unit, current):
            assert unit.heading is not None
            sections.append(_Section(OTHER, None, unit.heading.number))
            continue
        if isinstance(unit, _Item) and unit.label is not None:
            belongs = current.kind == unit.label or (
                current.kind == COMBINED and unit.label in (RECOMMENDATIONS, FINDINGS)
            )
            if not belongs:
                sections.append(_Section(unit.label))
        sections[-1].units.append(unit)
    return sections


# --- step 4: the items of a section ---------------------------------------------------


def _item_text(item: _Item, sub_items: list[_Item]) -> str:
    lines = [_join_wrapped(item.lines)] if item.lines else []
    lines.extend(_join_wrapped([sub.raw, *sub.lines[1:]]) for sub in sub_items)
    return "\n".join(line for line in lines if line)


def _labelled_entries(section: _Section, label: str) -> list[_Entry]:
    entries: list[_Entry] = []
    units = section.units
    index = 0
    while index < len(units):
        unit = units[index]
        index += 1
        if not (isinstance(unit, _Item) and unit.marker == "label" and unit.label == label):
            continue
        if not unit.lines and index < len(units) and isinstance(units[index], _Paragraph):
            # "Recommendation 3" on a line of its own: its words are the next paragraph.
            paragraph = units[index]
            assert isinstance(paragraph, _Paragraph)
            unit.lines = list(paragraph.lines)
            index += 1
        sub_items: list[_Item] = []
        while index < len(units):
            following = units[index]
            if not isinstance(following, _Item) or following.marker == "label":
                break
            sub_items.append(following)
            index += 1
        text = _item_text(unit, sub_items)
        if text:
            entries.append(_Entry(unit.number, text))
    return entries


_SEMICOLON_LIST = re.compile(r"^(?P<lead>[^:;]{3,}):\s*(?P<rest>[^;]+(?:;[^;]+)+)$")


def _semicolon_entries(paragraph: _Paragraph) -> list[_Entry]:
    found = _SEMICOLON_LIST.match(_join_wrapped(paragraph.lines))
    if found is None:
        return []
    lead = found.group("lead").strip()
    parts = [part.strip() for part in found.group("rest").split(";")]
    entries = []
    for position, part in enumerate(parts):
        if position == len(parts) - 1:
            part = re.sub(r"^(?:and|or)\s+", "", part).rstrip(".").strip()
        if part:
            entries.append(_Entry(None, part, tuple(addressees_of(f"{lead}: {part}"))))
    return entries


_NUMBER_HEADERS = re.compile(r"^(?:no\.?|number|#|ref\.?|rec(?:ommendation)?\.?\s*no\.?)$", re.I)
_AGENCY_HEADERS = re.compile(
    r"agenc|lead|responsib|owner|addressee|organisation|who|addressed", re.IGNORECASE
)
_TEXT_HEADERS = re.compile(r"recommendation|lesson|finding|action|text|description", re.I)


def _row_number(cell: str) -> int | None:
    found = re.fullmatch(r"(?:recommendation|rec\.?|r)?\s*(\d{1,3})\.?", cell.strip(), re.I)
    return int(found.group(1)) if found else None


def _table_entries(rows: list[_Row]) -> list[_Entry]:
    """The items of a table: a header row, if any, names the number, text and agency
    columns; without one, a numeric first column is the number, the longest column the
    text and another column the addressees."""
    width = max(len(row.cells) for row in rows)
    body = rows
    number_column: int | None = None
    text_column: int | None = None
    agency_column: int | None = None
    first = rows[0].cells
    if _row_number(first[0]) is None and any(
        _TEXT_HEADERS.search(cell) or _AGENCY_HEADERS.search(cell) for cell in first
    ):
        body = rows[1:]
        for column, cell in enumerate(first):
            if number_column is None and _NUMBER_HEADERS.match(cell.strip()):
                number_column = column
            elif agency_column is None and _AGENCY_HEADERS.search(cell):
                agency_column = column
            elif text_column is None and _TEXT_HEADERS.search(cell):
                text_column = column
    if not body:
        return []
    if number_column is None and all(_row_number(row.cells[0]) is not None for row in body):
        number_column = 0
    if text_column is None:
        remaining = [c for c in range(width) if c not in (number_column, agency_column)]
        if not remaining:
            return []
        text_column = max(
            remaining,
            key=lambda c: sum(len(row.cells[c]) for row in body if c < len(row.cells)),
        )
    if agency_column is None:
        others = [c for c in range(width) if c not in (number_column, text_column)]
        agency_column = others[-1] if others else None
    entries = []
    for row in body:
        cells = row.cells + [""] * (width - len(row.cells))
        text = cells[text_column].strip()
        if not text:
            continue
        number = _row_number(cells[number_column]) if number_column is not None else None
        addressees = None
        if agency_column is not None and cells[agency_column].strip():
            addressees = tuple(addressees_of(cells[agency_column])) or None
        entries.append(_Entry(number, text, addressees))
    return entries


def _listed_entries(section: _Section) -> list[_Entry]:
    """Items given as a list (numbered or bulleted), table rows or semicolon lists."""
    entries: list[_Entry] = []
    top_marker: str | None = None
    units = section.units
    index = 0
    while index < len(units):
        unit = units[index]
        index += 1
        if isinstance(unit, _Item):
            if top_marker is None:
                top_marker = unit.marker
            if unit.marker != top_marker:
                entries.append(_Entry(unit.number, _item_text(unit, [])))
                continue
            sub_items: list[_Item] = []
            while index < len(units):
                following = units[index]
                if not isinstance(following, _Item) or following.marker == top_marker:
                    break
                sub_items.append(following)
                index += 1
            entries.append(_Entry(unit.number, _item_text(unit, sub_items)))
        elif isinstance(unit, _Row):
            rows = [unit]
            while index < len(units) and isinstance(units[index], _Row):
                row = units[index]
                assert isinstance(row, _Row)
                rows.append(row)
                index += 1
            entries.extend(_table_entries(rows))
        elif isinstance(unit, _Paragraph):
            entries.extend(_semicolon_entries(unit))
    return entries


_TALKS_ABOUT_RECOMMENDATIONS = re.compile(r"\brecommend", re.IGNORECASE)


def _paragraph_entries(section: _Section, kind: str) -> list[_Entry]:
    entries = []
    for unit in section.units:
        if not isinstance(unit, _Paragraph):
            continue
        text = _join_wrapped(unit.lines)
        if text.endswith(":"):
            continue  # a lead-in to what follows, not an item
        if kind == RECOMMENDATIONS and _TALKS_ABOUT_RECOMMENDATIONS.search(text):
            continue  # "The review made 14 recommendations." is about them, not one of them
        entries.append(_Entry(None, text))
    return entries


def _section_entries(section: _Section, kind: str) -> list[_Entry]:
    labelled = _labelled_entries(section, kind)
    if labelled or section.kind == COMBINED:
        return labelled
    listed = _listed_entries(section)
    if listed:
        return listed
    return _paragraph_entries(section, kind)


def _entries(sections: list[_Section], kind: str) -> list[_Entry]:
    entries: list[_Entry] = []
    for section in sections:
        if section.kind == kind or (
            section.kind == COMBINED and kind in (RECOMMENDATIONS, FINDINGS)
        ):
            entries.extend(_section_entries(section, kind))
    return entries


# --- steps 5 to 7 ---------------------------------------------------------------------


def _stated_count(body: str) -> int | None:
    flat = _squash(body)
    for pattern in _STATED_COUNTS:
        found = pattern.search(flat)
        if found is not None:
            count = found.group("count").lower()
            return int(count) if count.isdigit() else _NUMBER_WORDS[count]
    return None


def _title(units: list[_Unit]) -> str:
    for unit in units:
        if isinstance(unit, _Heading):
            if unit.level == 1:
                return unit.name
            return ""
        if isinstance(unit, _Paragraph):
            text = _join_wrapped(unit.lines)
            if unit.standalone and len(text) <= 150 and not text.endswith("."):
                return text
            return ""
        return ""
    return ""


def draft_from_text(text: str) -> ReviewDraft:
    """The draft register entry for a review given as text.

    Args:
        text: the review's words, as read from the published document.

    Returns:
        The draft, for a person to confirm.

    Raises:
        IngestError: the text is empty once page furniture is removed.

    Example::

        >>> draft = draft_from_text("Recommendations\\n\\n1. Schools should record X.\\n")
        >>> draft.recommendations[0].addressees
        ('education',)
    """
    lines = _clean_lines(text)
    body = "\n".join(lines)
    if not body.strip():
        raise IngestError("The review is empty: there are no words in it to read.")
    units = _units(lines)
    sections = _sections(units)
    recommendations = tuple(
        RecommendationDraft(
            number=entry.number if entry.number is not None else position,
            text=entry.text,
            addressees=(
                entry.addressees
                if entry.addressees is not None
                else tuple(addressees_of(entry.text))
            ),
        )
        for position, entry in enumerate(_entries(sections, RECOMMENDATIONS), start=1)
    )
    return ReviewDraft(
        title=_title(units),
        recommendations=recommendations,
        recommendation_count_stated=_stated_count(body),
        lessons=tuple(entry.text for entry in _entries(sections, LESSONS)),
        findings=tuple(entry.text for entry in _entries(sections, FINDINGS)),
        themes=tuple(themes_in(body)),
    )


def draft_from_bytes(data: bytes, *, filename: str) -> ReviewDraft:
    """The draft register entry for an uploaded review file (plain text, HTML or PDF).

    The type is read from the first bytes (``%PDF``, ``<html``, ``<!doctype``) and then
    the file name's extension. A review whose own text gives no title takes the file's
    name, for the person confirming the draft to correct.

    Raises:
        IngestError: the file is of an unsupported type, unreadable, empty, or a PDF with no
            text layer.
    """
    draft = draft_from_text(text_from_bytes(data, filename=filename))
    if draft.title:
        return draft
    title = re.sub(r"[-_]+", " ", Path(filename).stem).strip()
    return ReviewDraft(
        title=title,
        recommendations=draft.recommendations,
        recommendation_count_stated=draft.recommendation_count_stated,
        lessons=draft.lessons,
        findings=draft.findings,
        themes=draft.themes,
    )


def draft_from_file(path: str | Path) -> ReviewDraft:
    """The draft register entry for a review file on disk; see :func:`draft_from_bytes`.

    Raises:
        IngestError: the file does not exist or cannot be read, or as for
            :func:`draft_from_bytes`.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise IngestError(f"{path}: no such file.") from error
    except IsADirectoryError as error:
        raise IngestError(f"{path} is a folder, not a review file.") from error
    except OSError as error:
        raise IngestError(f"{path} cannot be read: {error.strerror or error}.") from error
    return draft_from_bytes(data, filename=path.name)
