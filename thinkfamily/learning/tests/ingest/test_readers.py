# ruff: noqa: RUF001 - reviews' own typography (curly quotes, en dashes) is part of what is read.
"""Reading reviews from bytes: typing by content and name, encodings, PDFs, and refusals."""

import pytest
import weasyprint

from thinkfamily.learning.ingest import IngestError, draft_from_bytes, draft_from_file

REVIEW_HTML = """<!doctype html><html><body>
<h1>Child CC: Rapid Review</h1>
<p>Child CC, aged 3, was neglected. Her older brother was a young carer for their mother,
whose alcohol use was known to her GP.</p>
<h2>Recommendations</h2>
<ol>
<li>Schools should ask young carers about the care they give at home, and record it.</li>
<li>The GP practice should share information about a parent's alcohol use with the health
visiting service when there is a child under five in the household.</li>
</ol>
<h2>Lessons learnt</h2>
<ul><li>Young carers are children in need.</li><li>Ask about the whole family.</li></ul>
</body></html>"""


def test_a_pdf_made_from_a_web_page_reads_like_the_page() -> None:
    pdf = weasyprint.HTML(string=REVIEW_HTML).write_pdf()

    draft = draft_from_bytes(pdf, filename="child-cc.pdf").as_dict()

    assert draft == {
        "title": "Child CC: Rapid Review",
        "recommendations": [
            {
                "number": 1,
                "text": "Schools should ask young carers about the care they give at home, "
                "and record it.",
                "addressees": ["education"],
            },
            {
                "number": 2,
                "text": "The GP practice should share information about a parent's alcohol "
                "use with the health visiting service when there is a child under five in "
                "the household.",
                "addressees": ["health"],
            },
        ],
        "recommendation_count_stated": None,
        "lessons": ["Young carers are children in need.", "Ask about the whole family."],
        "findings": [],
        "themes": [
            "neglect",
            "sibling",
            "information_sharing",
            "substance_misuse",
            "working_with_families",
        ],
    }


def test_html_is_recognised_by_its_first_bytes_whatever_the_name() -> None:
    draft = draft_from_bytes(REVIEW_HTML.encode(), filename="upload.bin")

    assert [item.number for item in draft.recommendations] == [1, 2]


def test_windows_1252_text_is_read() -> None:
    text = "Recommendations\n\n1. Cafcass should review the father’s role.\n"

    draft = draft_from_bytes(text.encode("cp1252"), filename="review.txt")

    assert draft.recommendations[0].text == "Cafcass should review the father’s role."
    assert draft.recommendations[0].addressees == ("cafcass",)


def test_a_utf8_byte_order_mark_is_not_part_of_the_title() -> None:
    draft = draft_from_bytes(
        "Child DD: Review\n\nSome text.\n".encode("utf-8-sig"), filename="r.txt"
    )

    assert draft.title == "Child DD: Review"


def test_a_missing_file_is_refused_clearly(tmp_path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        draft_from_file(tmp_path / "absent.txt")


def test_an_unsupported_type_is_refused_clearly() -> None:
    with pytest.raises(IngestError, match=r"a \.docx file is not a type the review ingest reads"):
        draft_from_bytes(b"PK\x03\x04 word document", filename="review.docx")


def test_an_empty_document_is_refused_clearly() -> None:
    with pytest.raises(IngestError, match="empty"):
        draft_from_bytes(b"  \n\n", filename="review.txt")


def test_a_document_of_only_page_furniture_is_empty() -> None:
    with pytest.raises(IngestError, match="empty"):
        draft_from_bytes(b"Skip to main content\nBack to top\n", filename="review.txt")


def test_a_pdf_with_no_text_layer_is_refused_as_a_scan() -> None:
    pdf = weasyprint.HTML(string="<html><body><div style='height:5cm'></div></body></html>")
    with pytest.raises(IngestError, match="no text layer"):
        draft_from_bytes(pdf.write_pdf(), filename="scan.pdf")


def test_a_file_named_pdf_that_is_not_one_is_refused() -> None:
    with pytest.raises(IngestError, match="not one"):
        draft_from_bytes(b"just words", filename="review.pdf")
