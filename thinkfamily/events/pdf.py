"""The family chronology as a PDF, to take into a strategy meeting.

The document is an HTML template (``events/chronology_pdf.html``) with its
styles inline, laid out on A4 by WeasyPrint. Every page carries the
Government Security Classification marking OFFICIAL-SENSITIVE at its head
and foot and "Page X of Y", so a page that is printed, copied or left on a
table still says what it is and where it belongs.

Nothing is fetched while rendering: the template holds no links to
stylesheets, fonts or images, and the URL fetcher refuses every URL, so a
stray reference can neither slow the export nor reach out of the server.
"""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from thinkfamily.accounts.models import User
from thinkfamily.events.selectors import FamilyChronology
from thinkfamily.people.models import Household

#: The marking on every page (Government Security Classifications, OFFICIAL tier).
SECURITY_MARKING = "OFFICIAL-SENSITIVE"


class NoFetching(URLFetcher):
    """A URL fetcher that fetches nothing: the PDF is made from the template alone."""

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        raise ValueError(f"The chronology PDF loads nothing from outside; refused {url[:100]}")


def chronology_pdf(
    *,
    household: Household,
    chronology: FamilyChronology,
    viewer: User,
    generated_at: dt.datetime,
) -> bytes:
    """The chronology as an A4 PDF, stating who made it, when, and what it leaves out.

    Renders what ``chronology`` holds and nothing more: the caller has read it
    on the viewer's behalf (``family_chronology``), checked their access to
    the household and records the export in the audit trail.
    """
    html = render_to_string(
        "events/chronology_pdf.html",
        {
            "household": household,
            "chronology": chronology,
            "viewer": viewer,
            "generated_at": generated_at,
            "marking": SECURITY_MARKING,
        },
    )
    document = HTML(string=html, url_fetcher=NoFetching())
    pdf: bytes = document.write_pdf()
    return pdf
