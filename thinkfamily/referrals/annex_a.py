"""Ofsted's Annex A lists of contacts and referrals, for a local authority to hand to an inspector.

Before an inspection of local authority children's services (ILACS) Ofsted
asks for child-level lists in its own layout (Annex A). Think Family fills
two of them from the referrals made to children's social care:

* **List 1, contacts**: one row for each child *kept* on a referral that
  children's social care received (``Referral.received_at``) in the period;
  the Date of Contact is the day it was received. A child the referrer
  removed from the referral (a sibling considered and left off, with a
  reason) was not referred, so is not a contact. A referral still waiting for
  a manager in the referring agency to confirm why the family was not told
  has not reached children's social care, so is not yet a contact either.
* **List 3, referrals**: the same rows once children's social care has
  recorded its decision on the referral (``Referral.decided_at``): a contact
  becomes a referral when it is decided upon, as the Children in Need census
  counts it. The Date of referral is still the day it was received, so a
  child's List 1 and List 3 rows carry the same date. "Referral NFA?" is
  "a) Yes" when the decision for that child was no further action; the other
  decisions (early help, assessment, strategy discussion) are "b) No".
  Whether a referral is decided is judged when the list is made, so a list
  for a past period includes referrals decided since.

The columns are the lists' own, in their order, with Ofsted's value codes
("a) Male", "g) 3A: Health services") and dates as dd/mm/yyyy:

* **Child Unique ID** is "TF" and the person's id in Think Family: stable
  across exports and the same for a child on every list, as Annex A asks of
  the authority's own child identifier. Names and NHS numbers never leave in
  an inspection list; the authority looks a child up by this id.
* **Gender** comes from the person's recorded sex (M, F; anything else is
  "c) Not stated/recorded").
* **Ethnicity** is always "s) NOBT" (information not yet obtained): Think
  Family does not record ethnicity, and the lists must not guess it.
* **Date of Birth** is blank for an unborn child (the date held is the
  expected date of birth, not a date of birth) and **Age of Child (Years)**
  is the whole years of age on the contact or referral date, blank when
  unborn or unknown.
* **Contact Source** / **Referral Source** follows the referring agency's
  type (``SOURCE_BY_AGENCY_TYPE``).
* **Number of Referrals in Last 12 Months** counts the referrals of that
  child (received by children's social care, the child kept on them) from the
  day after the same date a year earlier up to and including the referral's
  date, this one included.
* **Allocated Team** is the receiving agency's name; **Allocated Worker** the
  full name of the children's social care user who took the referral's
  latest step (blank if none has yet).

Building a list reads no names and writes nothing: the caller checks the
``EXPORT_ANNEX_A`` permission and records the export on the audit trail.

Example::

    rows = annex_a_list_3(start=dt.date(2026, 4, 1), end=dt.date(2026, 9, 30))
    text = annex_a_csv(rows, LIST_3_COLUMNS)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import IO

from django.db.models import F
from django.utils import timezone

from thinkfamily.accounts.models import Agency
from thinkfamily.core.errors import ApplicationError
from thinkfamily.people.models import Person, Sex
from thinkfamily.referrals.models import ReferralChild, ReferralStep

__all__ = [
    "ETHNICITY_NOT_OBTAINED",
    "LIST_1_COLUMNS",
    "LIST_3_COLUMNS",
    "SOURCE_BY_AGENCY_TYPE",
    "annex_a_csv",
    "annex_a_list_1",
    "annex_a_list_3",
    "annex_a_write_csv",
    "child_unique_id",
]

LIST_1_COLUMNS: tuple[str, ...] = (
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Date of Contact",
    "Contact Source",
)
LIST_3_COLUMNS: tuple[str, ...] = (
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Date of referral",
    "Referral Source",
    "Referral NFA?",
    "Number of Referrals in Last 12 Months",
    "Allocated Team",
    "Allocated Worker",
)

GENDER_BY_SEX: dict[str, str] = {Sex.MALE: "a) Male", Sex.FEMALE: "b) Female"}
GENDER_NOT_RECORDED = "c) Not stated/recorded"
#: Think Family records no ethnicity: "information not yet obtained", never a guess.
ETHNICITY_NOT_OBTAINED = "s) NOBT"

_Type = Agency.AgencyType
#: Annex A's source codes (the Children in Need census's referral sources) by agency type.
SOURCE_BY_AGENCY_TYPE: dict[str, str] = {
    _Type.SCHOOL: "e) 2A: Schools",
    _Type.EARLY_YEARS: "f) 2B: Education services",
    _Type.GP: "g) 3A: Health services",
    _Type.HEALTH_VISITING: "h) 3B: Health services",
    _Type.MIDWIFERY: "j) 3D: Health services",
    _Type.HOSPITAL: "l) 3F: Health services",
    _Type.HOUSING: "m) 4: Housing",
    _Type.CSC: "n) 5A: LA services",
    _Type.YOUTH_JUSTICE: "o) 5B: LA services",
    _Type.POLICE: "q) 6: Police",
    _Type.PROBATION: "r) 7: Other legal agency",
    _Type.CAFCASS: "r) 7: Other legal agency",
    _Type.OTHER: "s) 8: Other",
}
SOURCE_UNKNOWN = "u) 10: Unknown"

NO_FURTHER_ACTION = ReferralChild.Decision.NO_FURTHER_ACTION
NFA_YES = "a) Yes"
NFA_NO = "b) No"

#: Characters that make a spreadsheet read a cell as a formula; a free-text cell
#: (a team or worker name) starting with one is prefixed with an apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def child_unique_id(person_id: int) -> str:
    """The child's id in an Annex A list: "TF" and the Think Family person id ("TF1234")."""
    return f"TF{person_id}"


def annex_a_list_1(*, start: dt.date, end: dt.date) -> list[dict[str, str]]:
    """List 1 (contacts): each child kept on a referral received from ``start`` to ``end``.

    Both dates are included and are days in the local (UK) calendar. Rows are
    in order of the Date of Contact, then the child's id.
    """
    contacts = _children_received(start=start, end=end, decided_only=False)
    return [
        _child_columns(child, received_on)
        | {
            "Date of Contact": _dmy(received_on),
            "Contact Source": _source(child.referral.referring_agency),
        }
        for child, received_on in contacts
    ]


def annex_a_list_3(*, start: dt.date, end: dt.date) -> list[dict[str, str]]:
    """List 3 (referrals): the contacts from ``start`` to ``end`` that have been decided upon.

    Both dates are included. Rows are in order of the Date of referral, then
    the child's id.
    """
    referred = _children_received(start=start, end=end, decided_only=True)
    counts = _referral_dates_by_child(start=_year_before(start), end=end)
    workers = _latest_csc_worker(start=start, end=end)
    rows = []
    for child, received_on in referred:
        referral = child.referral
        rows.append(
            _child_columns(child, received_on)
            | {
                "Date of referral": _dmy(received_on),
                "Referral Source": _source(referral.referring_agency),
                "Referral NFA?": NFA_YES if child.decision == NO_FURTHER_ACTION else NFA_NO,
                "Number of Referrals in Last 12 Months": str(
                    _referrals_in_year_to(counts[child.person_id], received_on)
                ),
                "Allocated Team": _cell_text(referral.to_agency.name),
                "Allocated Worker": _cell_text(workers.get(referral.pk, "")),
            }
        )
    return rows


def annex_a_write_csv(rows: Iterable[dict[str, str]], columns: Sequence[str], out: IO[str]) -> int:
    """Write ``rows`` under the list's ``columns`` as CSV to ``out``; returns the rows written.

    Every cell is quoted only where CSV needs it; lines end in CRLF, as
    spreadsheets expect.
    """
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="raise")
    writer.writeheader()
    written = 0
    for row in rows:
        writer.writerow(row)
        written += 1
    return written


def annex_a_csv(rows: Iterable[dict[str, str]], columns: Sequence[str]) -> str:
    """The list as CSV text: the header row of ``columns``, then one line per row."""
    buffer = io.StringIO()
    annex_a_write_csv(rows, columns, buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Reading the referrals


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The moments at which local day ``start`` begins and the day after ``end`` begins."""
    if start > end:
        raise ApplicationError(
            f"The period starts ({start:%d/%m/%Y}) after it ends ({end:%d/%m/%Y}).",
            extra={"end": "The end date must be the same as or after the start date"},
        )
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return since, until


def _received_in(start: dt.date, end: dt.date) -> dict[str, object]:
    """Filters for children kept on referrals children's social care received in the period."""
    since, until = _day_bounds(start, end)
    return {
        "included": True,
        "referral__to_agency__agency_type": Agency.AgencyType.CSC,
        "referral__received_at__gte": since,
        "referral__received_at__lt": until,
    }


def _children_received(
    *, start: dt.date, end: dt.date, decided_only: bool
) -> list[tuple[ReferralChild, dt.date]]:
    children = ReferralChild.objects.filter(**_received_in(start, end))
    if decided_only:
        children = children.filter(referral__decided_at__isnull=False)
    found = []
    for child in children.select_related(
        "person", "referral__referring_agency", "referral__to_agency"
    ).iterator(chunk_size=2000):
        assert child.referral.received_at is not None  # filtered on it
        found.append((child, timezone.localdate(child.referral.received_at)))
    found.sort(key=lambda pair: (pair[1], pair[0].person_id, pair[0].referral_id))
    return found


def _referral_dates_by_child(*, start: dt.date, end: dt.date) -> dict[int, list[dt.date]]:
    """The local dates on which each child was received on a referral, from start to end."""
    dates: dict[int, list[dt.date]] = defaultdict(list)
    rows = ReferralChild.objects.filter(**_received_in(start, end)).values_list(
        "person_id", "referral__received_at"
    )
    for person_id, received_at in rows.iterator(chunk_size=5000):
        dates[person_id].append(timezone.localdate(received_at))
    return dates


def _referrals_in_year_to(dates: Sequence[dt.date], day: dt.date) -> int:
    """How many of ``dates`` fall in the 12 months up to and including ``day``."""
    year_before = _year_before(day)
    return sum(1 for received_on in dates if year_before < received_on <= day)


def _year_before(day: dt.date) -> dt.date:
    """The same date a year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _latest_csc_worker(*, start: dt.date, end: dt.date) -> dict[int, str]:
    """Who in the receiving agency took the latest step of each referral received in the period."""
    since, until = _day_bounds(start, end)
    steps = (
        ReferralStep.objects.filter(
            referral__received_at__gte=since,
            referral__received_at__lt=until,
            actor__agency_id=F("referral__to_agency_id"),
        )
        .order_by("referral_id", "at", "id")
        .values_list("referral_id", "actor__first_name", "actor__last_name", "actor__username")
    )
    latest: dict[int, str] = {}
    for referral_id, first_name, last_name, username in steps.iterator(chunk_size=5000):
        latest[referral_id] = f"{first_name} {last_name}".strip() or username
    return latest


# ---------------------------------------------------------------------------
# Cells


def _child_columns(child: ReferralChild, on: dt.date) -> dict[str, str]:
    """The five columns every Annex A list opens with, for the child as on ``on``."""
    person: Person = child.person
    age = person.age_on(on)
    return {
        "Child Unique ID": child_unique_id(person.pk),
        "Gender": GENDER_BY_SEX.get(person.sex, GENDER_NOT_RECORDED),
        "Ethnicity": ETHNICITY_NOT_OBTAINED,
        "Date of Birth": "" if person.unborn else _dmy(person.date_of_birth),
        # A child born after the contact (a pre-birth referral) had no age on that day.
        "Age of Child (Years)": "" if age is None or age < 0 else str(age),
    }


def _source(agency: Agency) -> str:
    return SOURCE_BY_AGENCY_TYPE.get(agency.agency_type, SOURCE_UNKNOWN)


def _dmy(day: dt.date | None) -> str:
    return "" if day is None else f"{day:%d/%m/%Y}"


def _cell_text(text: str) -> str:
    """Free text as a spreadsheet will show it, never run as a formula."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text
