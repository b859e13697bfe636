"""The synthetic county: a made-up local authority's agency extract, with the truth behind it.

Only synthetic people, so that linkage and "Think Sibling" can be built and measured on
something that behaves like a real county without holding anyone's personal data.

The model of the county:

* **Places.** A few towns, each with streets and postcodes (two postcode areas for
  the whole county, a few districts per town). Each town has its own primary and secondary
  schools, early years settings and GP practices; the county has one health visiting
  service, one maternity (midwifery) service, one hospital, one police force, one children's
  social care (CSC), one housing service, probation and youth justice.
* **Families.** The county is filled family by family until it holds the requested number of
  people. A family is one or more households and the ties between their people: a single
  adult; a couple; two parents with one to six children (twins included); separated parents,
  where the children live with one parent and the other lives elsewhere in the county, often
  with a new partner and a new baby (half-siblings in another household); and blended
  families, where a new partner has moved in, sometimes part-way through the timeline,
  sometimes bringing their own children (step-siblings) and having children with the
  resident parent (half-siblings). Some women are pregnant: an unborn child is a person with
  an expected date of birth after the extract date. A few sons share their father's first
  name, a few daughters their mother's.
* **Agencies.** Each person is known to the agencies a real person would be: preschool
  children to their GP and health visitor (some 2-4 year olds to an early years setting);
  school-age children to their school and GP; adults to GPs, and some to police, probation
  and housing; unborn children to midwifery and the GP. A few families are known to CSC, and
  most of those to the police as well; their records carry concerns, referrals, assessments
  and visits, in which the youngest children are the least often seen. Some people are known
  to no agency at all: they have no records and are counted in the summary.
* **Records.** Each agency writes the person as it knows them, with the mess of real
  systems: nicknames, typing errors, given and family names swapped, a mother's former
  surname or a stepfather's surname, day and month swapped or a mistyped digit in a date of
  birth, missing dates of birth and identifiers, an old address kept after a move, postcodes
  spaced and cased differently. A share of records (``duplicate_rate``) is written twice in
  the same agency under two record ids: the parallel systems of the serious case review.
  Identifiers, when present, are always the person's own and always valid (NHS numbers with
  their modulus-11 check digit; Unique Pupil Numbers with their check letter and a real local
  authority code), unless ``invalid_identifier_rate`` asks for broken ones.
* **Events and relationships.** Events fall between the start of the timeline (1 January,
  four years before the extract year) and the extract date. Agencies that know several
  members of a family (GP practices, health visiting, midwifery, CSC, police) record the ties
  between their records; CSC, housing and health visiting group people who live together
  under their own household reference.
* **Truth.** ``truth.csv`` names the true person behind every record and the household they
  live in at the extract date, so linkage can be measured.

Everything is drawn from one seeded ``random.Random``, and names, streets and postcodes
come from pools drawn once from a seeded Faker, so the same seed gives byte-identical files.
Nothing here imports Django: the generator runs anywhere.
"""

from __future__ import annotations

import csv
import operator
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from faker import Faker
from stdnum.gb import upn as upn_rules

__all__ = ["DEFAULT_DUPLICATE_RATE", "DEFAULT_EXTRACT_DATE", "CountySummary", "generate_county"]

T = TypeVar("T")

DEFAULT_DUPLICATE_RATE = 0.03
DEFAULT_EXTRACT_DATE = date(2026, 10, 31)

RECORDS_FILE = "records.csv"
RELATIONSHIPS_FILE = "relationships.csv"
EVENTS_FILE = "events.csv"
TRUTH_FILE = "truth.csv"

RECORD_COLUMNS = (
    "agency_code", "agency_type", "record_id", "given_name", "family_name", "other_names",
    "date_of_birth", "unborn", "sex", "nhs_number", "upn", "address", "postcode", "household_ref",
)  # fmt: skip
RELATIONSHIP_COLUMNS = (
    "agency_code", "record_id", "related_record_id", "relationship", "start_date", "end_date",
)  # fmt: skip
EVENT_COLUMNS = (
    "agency_code", "record_id", "event_id", "event_type", "occurred_at", "seen_in_person",
    "category", "summary", "restricted",
)  # fmt: skip
TRUTH_COLUMNS = ("agency_code", "record_id", "person_id", "household_id")

# fmt: off
#: Short forms people go by, which agencies record instead of the given name.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Alexander": ("Alex", "Sandy"), "Andrew": ("Andy", "Drew"), "Anthony": ("Tony", "Ant"),
    "Benjamin": ("Ben",), "Charles": ("Charlie", "Chas"), "Christopher": ("Chris",),
    "Daniel": ("Dan", "Danny"), "David": ("Dave",), "Edward": ("Ed", "Eddie", "Ted"),
    "Frederick": ("Fred", "Freddie"), "Geoffrey": ("Geoff",), "Gregory": ("Greg",),
    "Henry": ("Harry",), "Jacob": ("Jake",), "James": ("Jim", "Jamie", "Jimmy"),
    "Jonathan": ("Jon", "Jonny"), "Joseph": ("Joe", "Joey"), "Joshua": ("Josh",),
    "Kenneth": ("Ken", "Kenny"), "Matthew": ("Matt",), "Michael": ("Mike", "Mick"),
    "Nicholas": ("Nick",), "Oliver": ("Ollie",), "Patrick": ("Pat", "Paddy"),
    "Peter": ("Pete",), "Philip": ("Phil",), "Raymond": ("Ray",), "Richard": ("Rich", "Richie"),
    "Robert": ("Bob", "Rob", "Bobby"), "Ronald": ("Ron", "Ronnie"), "Samuel": ("Sam",),
    "Stephen": ("Steve",), "Steven": ("Steve",), "Thomas": ("Tom", "Tommy"),
    "Timothy": ("Tim",), "William": ("Bill", "Will", "Billy"),
    "Abigail": ("Abbie", "Abby"), "Alexandra": ("Alex", "Lexie"), "Amanda": ("Mandy",),
    "Amelia": ("Millie",), "Catherine": ("Cathy", "Kate"), "Charlotte": ("Charlie", "Lottie"),
    "Deborah": ("Debbie",), "Eleanor": ("Ellie", "Nell"), "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Jacqueline": ("Jackie",), "Jennifer": ("Jen", "Jenny"), "Jessica": ("Jess",),
    "Josephine": ("Jo", "Josie"), "Katherine": ("Kate", "Katie"), "Kathleen": ("Kath",),
    "Margaret": ("Maggie", "Peggy"), "Melanie": ("Mel",), "Natasha": ("Tash",),
    "Olivia": ("Liv",), "Patricia": ("Pat", "Trish"), "Rebecca": ("Becky", "Becca"),
    "Samantha": ("Sam",), "Stephanie": ("Steph",), "Susan": ("Sue",),
    "Victoria": ("Vicky", "Tori"),
}
# fmt: on

CONCERN_CATEGORIES = (
    "neglect", "physical", "emotional", "sexual", "domestic_abuse", "exploitation", "other",
)  # fmt: skip
#: How often each category (in the order above) is the main worry about a family CSC knows.
FAMILY_CONCERN_WEIGHTS = (45, 10, 15, 3, 22, 3, 2)
#: The categories of the occasional concern about a child in a family nobody is worried about.
BACKGROUND_CONCERNS = ("emotional", "other", "neglect", "physical")

# Local authority codes for Unique Pupil Numbers (all known to stdnum.gb.upn): the county's
# own, and a few others for children who started school elsewhere.
COUNTY_LA_CODE = 873
OTHER_LA_CODES = (330, 825, 909)

#: Letters a postcode's inward unit may use.
POSTCODE_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
UK_STREET_SUFFIXES = (
    "Road", "Street", "Lane", "Close", "Avenue", "Drive", "Way", "Crescent", "Gardens", "Grove",
    "Place", "Terrace", "Court", "Walk", "Rise", "View", "Mews", "Green",
)  # fmt: skip
UK_TOWN_ENDINGS = ("ton", "town", "bury", "borough", "burgh", "chester", "mouth", "haven", "side")
SCHOOL_STEMS = (
    "Brookfield", "Oakwood", "Riverside", "Hillcrest", "Meadowbank", "St Marys", "St Johns",
    "Parkside", "Greenfield", "Ashgrove", "Beechwood", "Elmhurst", "Fairfield", "Highfield",
    "Kingsmead", "Lakeside", "Millbrook", "Northgate", "Orchard", "Queensway", "Redhill",
    "Southfield", "Thornbury", "Westfield", "Willowbrook", "Holy Trinity",
)  # fmt: skip
EARLY_YEARS_STEMS = (
    "Little Acorns", "Busy Bees", "Rainbow", "Sunshine", "Tiny Tots", "Ladybirds", "Honeypot",
    "Treetops", "Bright Stars", "Puddle Ducks", "Teddy Bears", "Caterpillars",
)  # fmt: skip
GP_CODE_LETTERS = "ABCDEFGHJKLMNPY"

#: Children per family with children, from one to six.
CHILDREN_WEIGHTS = (34, 38, 17, 7, 3, 1)
#: The most people one family can hold; the last few people of the county are single adults
#: so that the county holds exactly the number asked for.
LARGEST_FAMILY = 24
TWIN_RATE = 0.03
SAME_NAME_AS_FATHER_RATE = 0.05
SAME_NAME_AS_MOTHER_RATE = 0.015
DAYS_PER_YEAR = 365.2425

# Per-record mess, applied independently by every agency to every record.
TYPO_IN_GIVEN_NAME = 0.02
TYPO_IN_FAMILY_NAME = 0.025
NAMES_SWAPPED = 0.008
DAY_AND_MONTH_SWAPPED = 0.012
DIGIT_MISTYPED_IN_BIRTH_DATE = 0.012
FORMER_SURNAME_RECORDED = 0.11
FORMER_SURNAME_HYPHENATED = 0.04
SEX_MISSING = 0.03
SEX_UNKNOWN = 0.005
ADDRESS_WITHOUT_TOWN = 0.3


@dataclass(frozen=True)
class CountySummary:
    """What one run of the generator wrote: counts for the command to print and tests to check.

    ``parallel_records`` counts the second records of one person in one agency (the
    parallel systems); ``people_with_no_records`` counts true people no agency knows.
    """

    people: int
    households: int
    records: int
    relationships: int
    events: int
    people_with_no_records: int
    parallel_records: int


@dataclass(frozen=True)
class AgencyHabits:
    """How one kind of agency records people: what it holds, how carefully, how busy it is.

    The rates are chances per record. ``relationships`` is the chance that a tie between two
    of its records (parent, sibling, partner ...) is recorded, 0 for agencies that record none;
    ``household_prefix`` starts its household references, "" for agencies that keep none. A
    parallel record's id starts with ``parallel_prefix``: a school's safeguarding system
    numbers its records differently from its MIS.
    """

    record_prefix: str
    parallel_prefix: str
    nhs_number: float
    upn: float
    birth_date_missing: float
    nickname: float
    stepfamily_surname: float
    stale_address: float
    address_missing: float
    other_names: float
    upper_case_family_name: float
    relationships: float
    household_prefix: str
    events_per_record: float


#: Each kind of agency's habits, as the fields of AgencyHabits in order: the prefixes of its
#: record ids and its parallel records' ids; the chances of an NHS number, a UPN (pupils only),
#: a missing date of birth, a nickname, a step-parent's surname, an old address, a missing
#: address, other names, an upper-case surname, a family tie recorded; the prefix of its
#: household references ("" for none); the mean number of routine events per record.
# fmt: off
HABITS_TABLE: dict[str, tuple[Any, ...]] = {
    #                  record par    nhs  upn  nodob nick step old  noad oth UPP ties hh     ev
    "gp":              ("GP",  "GP",  .97, 0,   .005, .05, .08, .12, .01, .6, 0,  .6,  "",    2.0),
    "health_visiting": ("HV",  "HV",  .95, 0,   .01,  .05, .1,  .1,  .01, .3, 0,  .9,  "HVF", 2.5),
    "midwifery":       ("MAT", "MAT", .95, 0,   .005, .05, .05, .05, .01, .3, 0,  .9,  "",    3.0),
    "hospital":        ("MRN", "MRN", .85, 0,   .02,  .08, .1,  .25, .03, .2, .1, 0,   "",    1.2),
    "school":          ("ADM", "SG",  .15, .92, .005, .08, .25, .2,  .02, .5, 0,  0,   "",    2.0),
    "early_years":     ("EY",  "EY",  .1,  0,   .01,  .1,  .15, .15, .03, .2, 0,  0,   "",    1.5),
    "police":          ("PER", "PER", .15, 0,   .08,  .15, .12, .3,  .1,  .4, .5, .7,  "",    1.2),
    "csc":             ("CSC", "CSC", .75, .5,  .03,  .08, .2,  .1,  .02, .5, 0,  1,   "FAM", 2.0),
    "housing":         ("HSG", "HSG", 0,   0,   .12,  .12, .15, .02, 0,   .1, .1, 0,   "TEN", 1.0),
    "probation":       ("CRN", "CRN", .3,  0,   .02,  .1,  0,   .3,  .1,  .4, .3, 0,   "",    3.0),
    "youth_justice":   ("YJ",  "YJ",  .4,  .4,  .02,  .1,  .15, .2,  .05, .3, 0,  0,   "",    3.0),
}
# fmt: on
HABITS = {agency_type: AgencyHabits(*row) for agency_type, row in HABITS_TABLE.items()}


class EventKind(NamedTuple):
    """One kind of routine event an agency records, and how often against its other kinds.

    ``seen`` is the chance a professional saw the person (None: the question does not arise
    and ``seen_in_person`` is left empty); ``restricted`` the chance only restricted roles
    may read it.
    """

    event_type: str
    weight: float
    seen: float | None
    summaries: tuple[str, ...]
    restricted: float = 0.0


#: Why a visit or appointment did not see the person, whatever it was for.
NOT_SEEN_SUMMARIES = (
    "No access: no answer at the door",
    "Parent seen; child not seen",
    "Child asleep upstairs; not seen",
    "Seen by video call only",
)

# fmt: off
ROUTINE_EVENTS: dict[str, tuple[EventKind, ...]] = {
    "gp": (
        EventKind("appointment", 5, 0.95, ("Routine appointment", "Medication review",
                  "Immunisations given", "Minor illness consultation", "Asthma review")),
        EventKind("missed_appointment", 1.2, 0.0, ("Did not attend booked appointment",
                  "Did not attend immunisation appointment")),
        EventKind("contact", 1.5, 0.0, ("Telephone consultation", "Repeat prescription request")),
        EventKind("note", 0.8, None, ("Letter received from hospital", "Registration updated")),
    ),
    "health_visiting": (
        EventKind("visit", 4, 0.85, ("New birth visit", "Home visit", "Follow-up home visit")),
        EventKind("appointment", 2, 0.9, ("6-8 week review", "One year review",
                  "Two year review", "Clinic weigh-in")),
        EventKind("missed_appointment", 1.2, 0.0, ("Did not attend developmental review",
                  "Did not attend clinic")),
        EventKind("contact", 2, 0.0, ("Telephone contact with parent", "Text message to parent")),
        EventKind("note", 0.6, None, ("Transfer-in records received", "Discussed at team meeting")),
    ),
    "midwifery": (
        EventKind("appointment", 5, 0.95, ("Antenatal booking appointment", "Antenatal check",
                  "Scan", "Postnatal check")),
        EventKind("missed_appointment", 1.5, 0.0, ("Did not attend antenatal appointment",
                  "Missed scan")),
        EventKind("visit", 1.5, 0.9, ("Community midwife home visit",)),
        EventKind("contact", 1, 0.0, ("Telephone contact",)),
        EventKind("note", 0.5, None, ("Birth plan discussed",)),
    ),
    "hospital": (
        EventKind("attendance", 5, 1.0, ("Emergency department attendance: minor injury",
                  "Emergency department attendance: fall",
                  "Emergency department attendance: illness",
                  "Emergency department attendance: ingestion")),
        EventKind("appointment", 2, 0.95, ("Outpatient appointment",)),
        EventKind("missed_appointment", 1.5, 0.0, ("Did not attend outpatient appointment",)),
    ),
    "school": (
        EventKind("attendance", 5, 1.0, ("Termly attendance 97%", "Termly attendance 93%",
                  "Termly attendance 88%", "Persistent absence: attendance 79%")),
        EventKind("contact", 2, 0.5, ("Meeting with parent", "Telephone call to parent")),
        EventKind("note", 1, None, ("Change of address notified", "Medical note received")),
    ),
    "early_years": (
        EventKind("attendance", 5, 1.0, ("Attended session", "Weekly attendance: 3 sessions")),
        EventKind("contact", 1.5, 0.0, ("Discussion with parent at collection",)),
        EventKind("note", 1, None, ("Two-year progress check completed",)),
    ),
    "police": (
        EventKind("incident", 3, 0.9, ("Anti-social behaviour report", "Theft reported",
                  "Road traffic collision")),
        EventKind("contact", 1.5, 0.5, ("Spoke with officer", "Witness statement taken")),
        EventKind("note", 1, None, ("Intelligence report", "Investigation note"), 0.35),
    ),
    "csc": (
        EventKind("contact", 3, 0.0, ("Contact received: information only",
                  "Contact closed: no further action")),
        EventKind("referral", 1, None, ("Referral received",)),
        EventKind("assessment", 0.6, 0.8, ("Child and family assessment",)),
        EventKind("note", 0.7, None, ("Case note", "Strategy discussion note"), 0.15),
    ),
    "housing": (
        EventKind("contact", 3, 0.0, ("Tenancy enquiry", "Repair reported", "Rent arrears letter")),
        EventKind("visit", 1.5, 0.8, ("Tenancy visit",)),
        EventKind("note", 1, None, ("Change of household composition reported",)),
    ),
    "probation": (
        EventKind("appointment", 4, 0.95, ("Supervision appointment",)),
        EventKind("missed_appointment", 1.5, 0.0, ("Failed to attend supervision",)),
        EventKind("note", 1, None, ("Risk assessment review", "Licence conditions reviewed"), 0.25),
    ),
    "youth_justice": (
        EventKind("appointment", 3, 0.9, ("Supervision session",)),
        EventKind("missed_appointment", 1.5, 0.0, ("Did not attend session",)),
        EventKind("assessment", 1, 0.9, ("Youth justice assessment",)),
    ),
}
# fmt: on
#: Cumulative weights of each agency's routine events, for random.choices.
ROUTINE_WEIGHTS = {
    agency_type: [sum(kind.weight for kind in kinds[: index + 1]) for index in range(len(kinds))]
    for agency_type, kinds in ROUTINE_EVENTS.items()
}
#: Kinds of event whose "seen" chance drops for a preschool child: the less visible children.
PRESCHOOL_SEEN_LESS = frozenset({"visit", "appointment"})
PRESCHOOL_SEEN_FACTOR = 0.6
PRESCHOOL_EVENTS_FACTOR = 0.6


# --- The county's places and services -------------------------------------------------------


class RowWriter(Protocol):
    """Where rows go: a csv.writer."""

    def writerow(self, row: Any, /) -> Any: ...


@dataclass(frozen=True)
class Street:
    """A street of the county: its name, its town and the postcodes its houses have."""

    name: str
    town: int
    postcodes: tuple[str, ...]


@dataclass(frozen=True)
class Pools:
    """Names, towns and streets drawn once from a seeded Faker, to be drawn from quickly."""

    male_names: list[str]
    female_names: list[str]
    family_names: list[str]
    towns: list[str]
    streets_by_town: list[list[Street]]


@dataclass(eq=False)
class Agency:
    """One agency of the county and the counters that give its records and events their ids."""

    code: str
    agency_type: str
    habits: AgencyHabits
    records_made: int = 0
    events_made: int = 0
    households_made: int = 0


@dataclass(frozen=True)
class Services:
    """The county's agencies: the local ones by town, and the county-wide ones."""

    primary_schools: list[list[Agency]]
    secondary_schools: list[list[Agency]]
    early_years: list[list[Agency]]
    gp_practices: list[list[Agency]]
    health_visiting: Agency
    midwifery: Agency
    hospital: Agency
    police: Agency
    csc: Agency
    housing: Agency
    probation: Agency
    youth_justice: Agency


# --- The county's people ---------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """Where a household lives: the first line, the town and the postcode in standard form."""

    line: str
    town: str
    postcode: str


@dataclass(eq=False, slots=True)
class Household:
    """People living together at the extract date, and the local services they use."""

    household_id: str
    address: Address
    social_housing: bool
    gp: Agency
    primary_school: Agency
    secondary_school: Agency
    early_years: Agency
    #: Where the household lived before it moved during the timeline, if it did.
    previous_address: Address | None = None


@dataclass(eq=False, slots=True)
class Person:
    """A true person of the county, as they are: every agency record is written from this."""

    person_id: str
    sex: str
    given_name: str
    middle_names: tuple[str, ...]
    family_name: str
    #: A surname the person had before (a mother's surname before marriage), or "".
    former_family_name: str
    #: A step-parent's surname some agencies give the child, or "".
    stepfamily_name: str
    #: Date of birth as a day number (date.toordinal); the expected date for the unborn.
    birth_day: int
    unborn: bool
    nhs_number: str
    upn: str
    household: Household
    #: The person's own address before they moved in (a new partner), if different.
    previous_address: Address | None = None
    #: The day a new partner moved into the household, if within memory.
    moved_in_day: int | None = None
    parents: list[Person] = field(default_factory=list)
    children: list[Person] = field(default_factory=list)


class Bond(NamedTuple):
    """A true tie between two people, read as "holder is the kind of other"."""

    holder: Person
    other: Person
    kind: str
    start_day: int | None = None
    end_day: int | None = None


@dataclass(eq=False, slots=True)
class Family:
    """One family of the county: its people, their households and the ties between them."""

    people: list[Person] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    bonds: list[Bond] = field(default_factory=list)
    #: Couples living together at the extract date: their children are step-siblings.
    couples: list[tuple[Person, Person]] = field(default_factory=list)
    known_to_csc: bool = False
    known_to_police: bool = False
    concern_category: str = ""
    #: The day CSC received the referral that opened the family's case.
    referral_day: int = 0


@dataclass(eq=False)
class Run:
    """Everything one generation shares: the random source, places, agencies and writers."""

    rng: random.Random
    pools: Pools
    services: Services
    extract_day: int
    timeline_start_day: int
    duplicate_rate: float
    invalid_identifier_rate: float
    #: ISO text of every day from ``first_day`` on: formatting dates is the hot path.
    iso_days: list[str]
    first_day: int
    records_out: RowWriter
    relationships_out: RowWriter
    events_out: RowWriter
    truth_out: RowWriter
    used_addresses: set[str] = field(default_factory=set)
    upn_serials: dict[tuple[int, int], int] = field(default_factory=dict)
    nhs_offset: int = 0
    people_made: int = 0
    households_made: int = 0
    records_written: int = 0
    relationships_written: int = 0
    events_written: int = 0
    people_with_no_records: int = 0
    parallel_records: int = 0

    def iso(self, day: int) -> str:
        """The ISO 8601 text of a day number."""
        index = day - self.first_day
        if 0 <= index < len(self.iso_days):
            return self.iso_days[index]
        return date.fromordinal(day).isoformat()

    def age(self, person: Person) -> float:
        """The person's age in years at the extract date (negative for the unborn)."""
        return (self.extract_day - person.birth_day) / DAYS_PER_YEAR


# --- The entry point --------------------------------------------------------------------------


def generate_county(
    *,
    people: int,
    seed: int,
    out_dir: Path,
    duplicate_rate: float = DEFAULT_DUPLICATE_RATE,
    extract_date: date = DEFAULT_EXTRACT_DATE,
    progress: Callable[[int], None] | None = None,
    invalid_identifier_rate: float = 0.0,
) -> CountySummary:
    """Write a synthetic county's agency extract and its truth into ``out_dir``.

    Writes ``records.csv``, ``relationships.csv`` and ``events.csv`` in the format of the
    agency extract contract, and ``truth.csv`` naming the true person and household behind
    every record. The same arguments always give byte-identical files.

    Args:
        people: how many true people the county holds (unborn children included); there
            are more records than people, as most people are known to more than one agency.
        seed: the seed of every random choice.
        out_dir: the folder to write into; created if missing, files in it overwritten.
        duplicate_rate: the chance a record is written a second time in the same agency
            under another record id (a parallel record).
        extract_date: the day the extract was taken; the timeline starts on 1 January four
            years earlier.
        progress: called now and then with the number of people generated so far.
        invalid_identifier_rate: the chance an identifier written is deliberately broken
            (wrong check digit), to test an importer's refusals; 0 for a clean county.

    Returns:
        The counts of what was written.

    Example:
        >>> summary = generate_county(people=500, seed=1, out_dir=Path("/tmp/county"))
        >>> summary.people
        500
    """
    if people < 1:
        raise ValueError("a county needs at least one person")
    if not 0.0 <= duplicate_rate <= 1.0:
        raise ValueError("duplicate_rate is a chance between 0 and 1")
    if not 0.0 <= invalid_identifier_rate <= 1.0:
        raise ValueError("invalid_identifier_rate is a chance between 0 and 1")

    rng = random.Random(seed)
    pools = build_pools(seed=seed, people=people)
    services = build_services(rng=rng, pools=pools, people=people)
    extract_day = extract_date.toordinal()
    # The oldest people are about 100; expected dates of birth run up to a year ahead.
    first_day = date(extract_date.year - 110, 1, 1).toordinal()
    iso_days = [date.fromordinal(day).isoformat() for day in range(first_day, extract_day + 400)]

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / name for name in (RECORDS_FILE, RELATIONSHIPS_FILE, EVENTS_FILE, TRUTH_FILE)]
    headers = (RECORD_COLUMNS, RELATIONSHIP_COLUMNS, EVENT_COLUMNS, TRUTH_COLUMNS)
    handles = [path.open("w", encoding="utf-8", newline="") for path in paths]
    try:
        writers = [csv.writer(handle, lineterminator="\n") for handle in handles]
        for writer, header in zip(writers, headers, strict=True):
            writer.writerow(header)
        run = Run(
            rng=rng,
            pools=pools,
            services=services,
            extract_day=extract_day,
            timeline_start_day=date(extract_date.year - 4, 1, 1).toordinal(),
            duplicate_rate=duplicate_rate,
            invalid_identifier_rate=invalid_identifier_rate,
            iso_days=iso_days,
            first_day=first_day,
            records_out=writers[0],
            relationships_out=writers[1],
            events_out=writers[2],
            truth_out=writers[3],
            nhs_offset=rng.randrange(NHS_PREFIX_RANGE),
        )
        reported = 0
        while run.people_made < people:
            family = make_family(run, people_left=people - run.people_made)
            write_family(run, family)
            if progress is not None and run.people_made - reported >= 1000:
                progress(run.people_made)
                reported = run.people_made
    finally:
        for handle in handles:
            handle.close()
    if progress is not None:
        progress(run.people_made)
    return CountySummary(
        people=run.people_made,
        households=run.households_made,
        records=run.records_written,
        relationships=run.relationships_written,
        events=run.events_written,
        people_with_no_records=run.people_with_no_records,
        parallel_records=run.parallel_records,
    )


# --- Pools and services -----------------------------------------------------------------------


def build_pools(*, seed: int, people: int) -> Pools:
    """Draw the county's names, towns, streets and postcodes from a Faker seeded with ``seed``.

    Calling Faker for every person would take most of the run; drawing from pools made once
    keeps Faker's spread of names (common surnames stay common) at a fraction of the cost.
    """
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    male_names = [fake.first_name_male() for _ in range(2000)]
    female_names = [fake.first_name_female() for _ in range(2000)]
    family_names = [fake.last_name() for _ in range(5000)]

    town_count = max(3, min(30, people // 20_000))
    towns: list[str] = []
    while len(towns) < town_count:
        name = fake.city()
        # Faker's en_GB towns include "Lake Joannaville"; keep the ones that sound British.
        if " " not in name and name.endswith(UK_TOWN_ENDINGS) and name not in towns:
            towns.append(name)

    # The county lies in two postcode areas; each town has three districts of one of them, and
    # each street one sector of its district and one to three postcodes.
    areas: list[str] = []
    while len(areas) < 2:
        area = re.match(r"[A-Z]+", fake.postcode())
        if area and area.group() not in areas:
            areas.append(area.group())
    streets_by_town: list[list[Street]] = [[] for _ in towns]
    named_streets: set[tuple[str, int]] = set()
    for index in range(max(60, people // 100)):
        town = index % town_count
        name = ""
        while not name or (name, town) in named_streets:
            stem = fake.street_name().rsplit(" ", 1)[0]
            name = f"{stem} {fake.random_element(UK_STREET_SUFFIXES)}"
        named_streets.add((name, town))
        outward = f"{areas[town % 2]}{town // 2 * 3 + fake.random_int(1, 3)}"
        sector = fake.random_int(0, 9)
        postcodes = tuple(
            f"{outward} {sector}{fake.random_element(POSTCODE_UNIT_LETTERS)}"
            f"{fake.random_element(POSTCODE_UNIT_LETTERS)}"
            for _ in range(fake.random_int(1, 3))
        )
        streets_by_town[town].append(Street(name=name, town=town, postcodes=postcodes))
    return Pools(male_names, female_names, family_names, towns, streets_by_town)


def build_services(*, rng: random.Random, pools: Pools, people: int) -> Services:
    """Create the county's agencies, sized to its population and spread across its towns."""
    towns = pools.towns
    used_codes: list[str] = []

    def named(prefix: str, stems: tuple[str, ...], suffix: str, count: int) -> list[str]:
        """Codes like SCH-BROOKFIELD; a large county adds its town names: SCH-ASHTON-ORCHARD."""
        codes: list[str] = []
        candidates = [f"{stem}{suffix}" for stem in stems]
        candidates += [f"{town} {stem}{suffix}" for town in towns for stem in stems]
        for candidate in candidates:
            code = prefix + re.sub(r"[^A-Z0-9]+", "-", candidate.upper()).strip("-")
            if code not in used_codes:
                used_codes.append(code)
                codes.append(code)
            if len(codes) == count:
                break
        return codes

    def spread(agencies: list[Agency]) -> list[list[Agency]]:
        """Give every town its share of the agencies, and at least one."""
        by_town: list[list[Agency]] = [[] for _ in towns]
        for index, agency in enumerate(agencies):
            by_town[index % len(towns)].append(agency)
        for index, local in enumerate(by_town):
            if not local:
                local.append(agencies[index % len(agencies)])
        return by_town

    def agencies(codes: list[str], agency_type: str) -> list[Agency]:
        return [Agency(code, agency_type, HABITS[agency_type]) for code in codes]

    primary_codes = named("SCH-", SCHOOL_STEMS, "", max(3, people // 3000))
    secondary_codes = named("SCH-", SCHOOL_STEMS, " Academy", max(2, people // 12_000))
    early_years_codes = named("EY-", EARLY_YEARS_STEMS, "", max(2, people // 5000))
    gp_codes: list[str] = []
    while len(gp_codes) < max(3, people // 8000):
        code = f"GP-{rng.choice(GP_CODE_LETTERS)}{rng.randrange(100_000):05d}"
        if code not in gp_codes:
            gp_codes.append(code)

    def single(code: str, agency_type: str) -> Agency:
        return Agency(code, agency_type, HABITS[agency_type])

    return Services(
        primary_schools=spread(agencies(primary_codes, "school")),
        secondary_schools=spread(agencies(secondary_codes, "school")),
        early_years=spread(agencies(early_years_codes, "early_years")),
        gp_practices=spread(agencies(gp_codes, "gp")),
        health_visiting=single("HEALTH-VISITING", "health_visiting"),
        midwifery=single("MIDWIFERY", "midwifery"),
        hospital=single("HOSPITAL", "hospital"),
        police=single("POLICE", "police"),
        csc=single("CSC", "csc"),
        housing=single("HOUSING", "housing"),
        probation=single("PROBATION", "probation"),
        youth_justice=single("YOUTH-JUSTICE", "youth_justice"),
    )


# --- Families ---------------------------------------------------------------------------------


def make_family(run: Run, *, people_left: int) -> Family:
    """Build the county's next family, choosing its shape at the county's rates."""
    if people_left < LARGEST_FAMILY:
        return single_adult_family(run, may_be_pregnant=False)
    roll = run.rng.random()
    if roll < 0.32:
        return single_adult_family(run, may_be_pregnant=True)
    if roll < 0.62:
        return couple_family(run)
    if roll < 0.83:
        return family_with_children(run, shape="intact")
    if roll < 0.93:
        return family_with_children(run, shape="separated")
    return family_with_children(run, shape="blended")


def single_adult_family(run: Run, *, may_be_pregnant: bool) -> Family:
    """One adult living alone: young, middle-aged or old; now and then a pregnant woman."""
    rng = run.rng
    family = Family()
    home = new_household(run, family, social_housing_chance=0.15)
    roll = rng.random()
    if roll < 0.3:
        age = rng.uniform(18, 30)
    elif roll < 0.6:
        age = rng.uniform(30, 60)
    else:
        age = rng.uniform(60, 92)
    sex = "F" if rng.random() < 0.52 else "M"
    adult = add_person(run, family, sex=sex, birth_day=birth_day_at_age(run, age), household=home)
    if may_be_pregnant and sex == "F" and age < 40 and rng.random() < 0.03:
        add_unborn(run, family, mother=adult, father=None)
    mark_agency_interest(run, family, known_to_csc=False, police_chance=0.03)
    return family


def couple_family(run: Run) -> Family:
    """Two adults living together without children: young, settled or retired."""
    rng = run.rng
    family = Family()
    home = new_household(run, family, social_housing_chance=0.1)
    roll = rng.random()
    if roll < 0.25:
        age = rng.uniform(20, 35)
    elif roll < 0.5:
        age = rng.uniform(35, 60)
    else:
        age = rng.uniform(60, 90)
    if rng.random() < 0.04:
        first_sex = second_sex = rng.choice("FM")
    else:
        first_sex, second_sex = "M", "F"
    first = add_person(
        run,
        family,
        sex=first_sex,
        birth_day=birth_day_at_age(run, min(100, max(18.5, age + rng.gauss(2, 3)))),
        household=home,
    )
    # A woman who married a man has mostly taken his surname; agencies may still hold hers.
    birth_surname = random_surname(run)
    married = first_sex != second_sex and rng.random() < 0.6
    second = add_person(
        run,
        family,
        sex=second_sex,
        birth_day=birth_day_at_age(run, age),
        household=home,
        family_name=first.family_name if married else birth_surname,
        former_family_name=birth_surname if married else "",
    )
    add_partners(family, first, second, start_day=None)
    if second_sex == "F" and first_sex == "M" and age < 40 and rng.random() < 0.06:
        add_unborn(run, family, mother=second, father=first)
    mark_agency_interest(run, family, known_to_csc=False, police_chance=0.03)
    return family


#: Chance that CSC knows a family with children, by the family's shape.
CSC_CHANCE = {"intact": 0.015, "separated": 0.05, "blended": 0.07}
#: Chance that the police know a family CSC does not, by the family's shape.
POLICE_CHANCE = {"intact": 0.02, "separated": 0.05, "blended": 0.07}
SOCIAL_HOUSING_CHANCE = {"intact": 0.12, "separated": 0.35, "blended": 0.25}


def family_with_children(run: Run, *, shape: str) -> Family:
    """Parents and one to six children, in one of three shapes.

    ``intact``: both parents live with all their children. ``separated``: the children live
    with one parent; the other parent lives elsewhere in the county (often with a new
    partner and a new baby: half-siblings in another household) or is not in the county at
    all; some of the younger children have another father. ``blended``: a separated family
    whose resident parent has a new partner, who moved in before or during the timeline,
    sometimes bringing their own children and sometimes having children with the resident
    parent.
    """
    rng = run.rng
    family = Family()
    known_to_csc = rng.random() < CSC_CHANCE[shape]
    home = new_household(
        run,
        family,
        social_housing_chance=SOCIAL_HOUSING_CHANCE[shape] + (0.3 if known_to_csc else 0.0),
    )
    mother_age = rng.triangular(19, 52, 37)
    father_age = max(18.5, mother_age + rng.gauss(2.5, 3.5))
    mother_birth_surname = random_surname(run)
    father_surname = random_surname(run)
    married = rng.random() < (0.6 if shape == "intact" else 0.4)
    if married or rng.random() < 0.7:
        children_surname = father_surname
    elif rng.random() < 0.7:
        children_surname = mother_birth_surname
    else:
        children_surname = f"{mother_birth_surname}-{father_surname}"

    # The children live with the resident parent. After a separation the other parent lives
    # elsewhere in the county, or is not in it at all (a father only: a mother who left is
    # always in the county here).
    resident_is_mother = shape == "intact" or rng.random() < 0.88
    other_home = None
    if shape != "intact" and (not resident_is_mother or rng.random() < 0.65):
        other_home = new_household(run, family, social_housing_chance=0.2)
    mother_home = home if resident_is_mother else other_home
    father_home = home if shape == "intact" or not resident_is_mother else other_home
    mother = father = None
    if mother_home is not None:
        mother = add_person(
            run,
            family,
            sex="F",
            birth_day=birth_day_at_age(run, mother_age),
            household=mother_home,
            family_name=father_surname if married else mother_birth_surname,
            former_family_name=mother_birth_surname if married else "",
        )
    if father_home is not None:
        father = add_person(
            run,
            family,
            sex="M",
            birth_day=birth_day_at_age(run, father_age),
            household=father_home,
            family_name=father_surname,
        )
    resident = mother if resident_is_mother else father
    assert resident is not None  # the resident parent always has a home

    count = rng.choices(range(1, 7), weights=CHILDREN_WEIGHTS)[0]
    another_father = (
        shape == "separated" and resident_is_mother and count >= 2 and rng.random() < 0.25
    )
    children = add_children(
        run,
        family,
        mother=mother,
        father=father,
        household=home,
        count=count // 2 if another_father else count,
        eldest_age=eldest_child_age(run, mother_age),
        surname=children_surname,
    )
    youngest_together = max(child.birth_day for child in children)
    half_siblings: list[Person] = []
    if another_father:
        # The younger children's father is not in the county: half-siblings at home.
        assert mother is not None
        half_siblings = add_children(
            run,
            family,
            mother=mother,
            father=None,
            household=home,
            count=count - count // 2,
            eldest_age=run.age(children[-1]) - rng.uniform(1.0, 5.0),
            surname=mother.family_name if rng.random() < 0.5 else random_surname(run),
        )
        children += half_siblings

    if shape == "intact":
        assert mother is not None and father is not None
        add_partners(family, mother, father, start_day=None)
        if mother_age < 43 and rng.random() < (0.15 if known_to_csc else 0.04):
            add_unborn(run, family, mother=mother, father=father)
    else:
        # The parents separated after their youngest child was born, and before the mother
        # was expecting by another father.
        apart_by = min([child.birth_day - 280 for child in half_siblings] + [run.extract_day - 60])
        separated_day = day_between(run, min(youngest_together + 90, apart_by), apart_by)
        if mother is not None and father is not None:
            family.bonds.append(Bond(mother, father, "partner", None, separated_day))
        other = father if resident is mother else mother
        if other is not None:
            # The parent who left often stays on agency systems at the family home.
            other.previous_address = home.address
            if rng.random() < 0.45:
                joined_day = None
                if rng.random() < 0.5:
                    joined_day = day_between(run, separated_day + 30, run.extract_day - 30)
                add_new_partner(run, family, other, joined_day=joined_day, child_chance=0.35)
        if shape == "separated" and resident is mother and rng.random() < 0.03:
            add_unborn(run, family, mother=mother, father=None)
        if shape == "blended":
            # Most new partners of the county moved in during the timeline: the review's
            # "new partner changed the family".
            if rng.random() < 0.6 or separated_day > run.timeline_start_day:
                low = max(separated_day + 30, run.timeline_start_day)
                joined_day = day_between(run, low, run.extract_day - 30)
            else:
                joined_day = day_between(run, separated_day + 30, run.timeline_start_day)
            add_new_partner(
                run,
                family,
                resident,
                joined_day=joined_day,
                child_chance=0.45,
                stepchildren=children,
                known_to_csc=known_to_csc,
            )
    police_chance = 0.6 if known_to_csc else POLICE_CHANCE[shape]
    mark_agency_interest(run, family, known_to_csc=known_to_csc, police_chance=police_chance)
    return family


def add_new_partner(
    run: Run,
    family: Family,
    parent: Person,
    *,
    joined_day: int | None,
    child_chance: float,
    stepchildren: list[Person] | None = None,
    known_to_csc: bool = False,
) -> Person:
    """Move a new partner in with ``parent``; sometimes with their own children, or a new baby.

    ``joined_day`` is when they moved in (None: long enough ago that nobody records it). The
    partner becomes the carer of ``stepchildren``; their own children are step-siblings of
    the stepchildren, and their children with ``parent`` half-siblings of both.
    """
    rng = run.rng
    home = parent.household
    parent_age = run.age(parent)
    sex = "M" if parent.sex == "F" else "F"
    partner_age = max(18.5, parent_age + rng.gauss(2 if sex == "M" else -2, 4))
    partner = add_person(
        run, family, sex=sex, birth_day=birth_day_at_age(run, partner_age), household=home
    )
    partner.moved_in_day = joined_day
    partner.previous_address = new_address(run)
    add_partners(family, parent, partner, start_day=joined_day)
    mother, father = (parent, partner) if parent.sex == "F" else (partner, parent)
    if stepchildren and not mother.former_family_name and rng.random() < 0.25:
        # The mother marries the new partner and takes his surname.
        mother.former_family_name = mother.family_name
        mother.family_name = father.family_name
    for child in stepchildren or ():
        family.bonds.append(Bond(partner, child, "carer", joined_day))
        if sex == "M":
            child.stepfamily_name = partner.family_name
    if stepchildren and partner_age > 22 and rng.random() < 0.3:
        # The partner brings children of their own, whose other parent is not in the county.
        own_children = add_children(
            run,
            family,
            mother=partner if sex == "F" else None,
            father=partner if sex == "M" else None,
            household=home,
            count=rng.choice((1, 1, 2)),
            eldest_age=rng.uniform(0, min(16, partner_age - 18)),
            surname=partner.family_name,
        )
        for child in own_children:
            child.previous_address = partner.previous_address
            family.bonds.append(Bond(parent, child, "carer", joined_day))
    together_since = joined_day if joined_day is not None else run.extract_day - 3 * 365
    mother_age = run.age(mother)
    if mother_age < 44 and run.extract_day - together_since > 400 and rng.random() < child_chance:
        born = day_between(run, together_since + 280, run.extract_day)
        add_children(
            run,
            family,
            mother=mother,
            father=father,
            household=home,
            count=1,
            eldest_age=(run.extract_day - born) / DAYS_PER_YEAR,
            surname=father.family_name,
        )
    if mother_age < 43 and rng.random() < (0.2 if known_to_csc else 0.06):
        add_unborn(run, family, mother=mother, father=father)
    return partner


def eldest_child_age(run: Run, mother_age: float) -> float:
    """The age of the eldest child still at home, for a mother of ``mother_age``.

    Mothers have their first child between 18 and 36; children of 18 and over have left
    home (they are not modelled), so an older mother's eldest at home is a teenager.
    """
    first_birth_at = run.rng.uniform(18, min(36, mother_age))
    return min(mother_age - first_birth_at, run.rng.uniform(8, 17.9))


def add_children(
    run: Run,
    family: Family,
    *,
    mother: Person | None,
    father: Person | None,
    household: Household,
    count: int,
    eldest_age: float,
    surname: str,
) -> list[Person]:
    """Add up to ``count`` children of these parents, eldest first, one to five years apart.

    Children who would not yet be born are left out. A birth is twins at ``TWIN_RATE``; a
    son sometimes has his father's first name, a daughter her mother's.
    """
    rng = run.rng
    children: list[Person] = []
    age = eldest_age
    twin_of: Person | None = None
    while len(children) < count and age >= 0:
        sex = "F" if rng.random() < 0.49 else "M"
        given_name = None
        if sex == "M" and father is not None and rng.random() < SAME_NAME_AS_FATHER_RATE:
            given_name = father.given_name
        elif sex == "F" and mother is not None and rng.random() < SAME_NAME_AS_MOTHER_RATE:
            given_name = mother.given_name
        child = add_person(
            run,
            family,
            sex=sex,
            birth_day=twin_of.birth_day if twin_of else birth_day_at_age(run, age),
            household=household,
            family_name=surname,
            given_name=given_name,
        )
        for parent in (mother, father):
            if parent is not None:
                child.parents.append(parent)
                parent.children.append(child)
                family.bonds.append(Bond(parent, child, "parent"))
        children.append(child)
        if twin_of is None and rng.random() < TWIN_RATE:
            twin_of = child
        else:
            twin_of = None
            age -= rng.uniform(1.0, 5.0)
    return children


def add_unborn(run: Run, family: Family, *, mother: Person, father: Person | None) -> Person:
    """Add a child expected in the coming months: known to midwifery and the GP, unnamed."""
    rng = run.rng
    unborn = add_person(
        run,
        family,
        sex="U",
        birth_day=run.extract_day + rng.randint(7, 200),
        household=mother.household,
        family_name=father.family_name if father is not None else mother.family_name,
        unborn=True,
    )
    for parent in (mother, father):
        if parent is not None:
            unborn.parents.append(parent)
            parent.children.append(unborn)
            family.bonds.append(Bond(parent, unborn, "parent"))
    return unborn


def add_partners(family: Family, first: Person, second: Person, *, start_day: int | None) -> None:
    """Record two adults as a couple living together now, together since ``start_day``."""
    family.bonds.append(Bond(first, second, "partner", start_day))
    family.couples.append((first, second))


def add_sibling_bonds(family: Family) -> None:
    """Tie every two children of the family as siblings, half-siblings or step-siblings.

    Full siblings share both parents; half-siblings one; step-siblings none, but live with
    parents who are a couple.
    """
    children = [person for person in family.people if person.parents]
    for index, first in enumerate(children):
        for second in children[index + 1 :]:
            shared = sum(1 for parent in first.parents if parent in second.parents)
            if shared and shared == len(first.parents) == len(second.parents):
                kind = "sibling"
            elif shared:
                kind = "half_sibling"
            elif first.household is second.household and any(
                (a in first.parents and b in second.parents)
                or (b in first.parents and a in second.parents)
                for a, b in family.couples
            ):
                kind = "step_sibling"
            else:
                continue
            family.bonds.append(Bond(first, second, kind))


def mark_agency_interest(
    run: Run, family: Family, *, known_to_csc: bool, police_chance: float
) -> None:
    """Record whether CSC and the police know this family, and what worries CSC about it."""
    rng = run.rng
    family.known_to_csc = known_to_csc
    family.known_to_police = rng.random() < police_chance
    if known_to_csc:
        family.concern_category = rng.choices(CONCERN_CATEGORIES, FAMILY_CONCERN_WEIGHTS)[0]
        family.referral_day = day_between(run, run.timeline_start_day + 60, run.extract_day - 60)


# --- People, households and addresses ----------------------------------------------------------


def add_person(
    run: Run,
    family: Family,
    *,
    sex: str,
    birth_day: int,
    household: Household,
    family_name: str | None = None,
    former_family_name: str = "",
    given_name: str | None = None,
    unborn: bool = False,
) -> Person:
    """Create a true person in the family's household, with their names and identifiers."""
    rng = run.rng
    run.people_made += 1
    names = run.pools.female_names if sex == "F" else run.pools.male_names
    middle: tuple[str, ...] = ()
    if not unborn and rng.random() < 0.45:
        middle = (pick(rng, names),)
        if rng.random() < 0.15:
            middle += (pick(rng, names),)
    # Almost everybody born or registered in England has an NHS number; recent arrivals and
    # the unborn do not yet.
    nhs_number = "" if unborn or rng.random() < 0.02 else new_nhs_number(run)
    upn = ""
    if not unborn and run.extract_day - birth_day < 19 * 365:
        upn = new_upn(run, birth_day)  # "" for a child not yet at school
    person = Person(
        person_id=f"P{run.people_made:08d}",
        sex=sex,
        given_name=given_name or ("" if unborn else pick(rng, names)),
        middle_names=middle,
        family_name=family_name or random_surname(run),
        former_family_name=former_family_name,
        stepfamily_name="",
        birth_day=birth_day,
        unborn=unborn,
        nhs_number=nhs_number,
        upn=upn,
        household=household,
    )
    family.people.append(person)
    return person


def new_household(run: Run, family: Family, *, social_housing_chance: float) -> Household:
    """A new household at a new address, using the local services of its town."""
    rng = run.rng
    run.households_made += 1
    town = int(rng.random() * len(run.pools.towns))
    services = run.services
    household = Household(
        household_id=f"H{run.households_made:07d}",
        address=new_address(run, town=town),
        social_housing=rng.random() < social_housing_chance,
        gp=pick(rng, services.gp_practices[town]),
        primary_school=pick(rng, services.primary_schools[town]),
        secondary_school=pick(rng, services.secondary_schools[town]),
        early_years=pick(rng, services.early_years[town]),
    )
    if rng.random() < 0.1:
        # The household moved during the timeline; some agencies still have the old address.
        household.previous_address = new_address(run, town=town)
    family.households.append(household)
    return household


def new_address(run: Run, *, town: int | None = None) -> Address:
    """An address in the town (any town if None) that no other household has been given."""
    rng = run.rng
    pools = run.pools
    if town is None:
        town = int(rng.random() * len(pools.towns))
    streets = pools.streets_by_town[town]
    while True:
        street = pick(rng, streets)
        number = rng.randint(1, 220)
        line = f"{number} {street.name}"
        if rng.random() < 0.12:
            line = f"Flat {rng.randint(1, 24)}, {line}"
        key = f"{line}, {pools.towns[town]}"
        if key not in run.used_addresses:
            run.used_addresses.add(key)
            postcode = street.postcodes[number % len(street.postcodes)]
            return Address(line=line, town=pools.towns[town], postcode=postcode)


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """One of the options at random: random.choice at a third of its cost, for the hot path."""
    return options[int(rng.random() * len(options))]


def random_surname(run: Run) -> str:
    """A surname from the county's pool (common surnames come up often)."""
    return pick(run.rng, run.pools.family_names)


def birth_day_at_age(run: Run, age: float) -> int:
    """The day number of a birthday that makes someone ``age`` years old at the extract date."""
    return run.extract_day - int(age * DAYS_PER_YEAR)


def day_between(run: Run, first: int, last: int) -> int:
    """A day chosen evenly from ``first`` to ``last`` (``first`` if the span is empty)."""
    return first + int(run.rng.random() * max(0, last - first + 1))


# --- Identifiers --------------------------------------------------------------------------------

#: NHS numbers are made from a counter, scrambled by multiplying by a number coprime with the
#: range, so every person's is different; the leading digits 4-6 are those England issues.
NHS_PREFIX_RANGE = 30_000_000
NHS_PREFIX_SCRAMBLE = 7_777_777
NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3)


def new_nhs_number(run: Run) -> str:
    """A new, unique NHS number: nine digits and a modulus-11 check digit.

    The ninth digit is chosen from the nine that do not make the check digit 10, which no
    NHS number has.
    """
    counter = run.people_made
    prefix = str(40_000_000 + (counter * NHS_PREFIX_SCRAMBLE + run.nhs_offset) % NHS_PREFIX_RANGE)
    total = sum(map(operator.mul, NHS_WEIGHTS, map(int, prefix)))
    # The ninth digit weighs 2, and 6 is its inverse modulo 11: this is the ninth digit that
    # would need a check digit of 10. Draw again if it comes up.
    unusable = (1 - total) * 6 % 11
    ninth = unusable
    while ninth == unusable:
        ninth = int(run.rng.random() * 10)
    check = (11 - (total + 2 * ninth) % 11) % 11
    return f"{prefix}{ninth}{check}"


def new_upn(run: Run, birth_day: int) -> str:
    """A new, unique Unique Pupil Number, issued the September a child starts school.

    Returns "" for a child who has not started school by the extract date.

    A UPN is a check letter, the issuing local authority's code, the school's four-digit
    establishment number, the two-digit year of issue and a three-digit serial.
    """
    born = date.fromordinal(birth_day)
    issued_year = born.year + (4 if born.month < 9 else 5)
    if date(issued_year, 9, 1).toordinal() > run.extract_day:
        return ""
    la_code = COUNTY_LA_CODE if run.rng.random() < 0.85 else pick(run.rng, OTHER_LA_CODES)
    key = (la_code, issued_year % 100)
    serial = run.upn_serials.get(key, 0)
    run.upn_serials[key] = serial + 1
    establishment = 2000 + serial // 1000
    body = f"{la_code:03d}{establishment:04d}{issued_year % 100:02d}{serial % 1000:03d}"
    return upn_rules.calc_check_digit(body) + body


def broken_identifier(identifier: str) -> str:
    """The identifier with its check character changed, so that it no longer validates."""
    if identifier[0].isdigit():
        return identifier[:-1] + str((int(identifier[-1]) + 1) % 10)
    return ("B" if identifier[0] == "A" else "A") + identifier[1:]


# --- Which agencies know whom -------------------------------------------------------------------


def agencies_knowing(run: Run, person: Person, family: Family) -> list[Agency]:
    """The agencies that hold a record of this person, as they would in life."""
    rng = run.rng
    services = run.services
    home = person.household
    known: list[Agency] = []
    if person.unborn:
        if rng.random() < 0.8:
            known.append(home.gp)
        if rng.random() < 0.95:
            known.append(services.midwifery)
        if family.known_to_csc and rng.random() < 0.9:
            known.append(services.csc)
        return known

    age = run.age(person)
    is_child = age < 18
    # Young men are the least often registered with a GP.
    registered_with_gp = 0.97 if is_child else 0.93 if person.sex == "F" else 0.85
    if rng.random() < registered_with_gp:
        known.append(
            home.gp if rng.random() < 0.93 else pick(rng, random_town(run, services.gp_practices))
        )

    if age < 5:
        if rng.random() < 0.92:
            known.append(services.health_visiting)
        if age >= 2 and rng.random() < 0.45:
            known.append(home.early_years)
        if age < 1 and rng.random() < 0.5:
            known.append(services.midwifery)
    elif age < 17:
        if rng.random() < 0.97:
            local = home.primary_school if age < 11 else home.secondary_school
            if rng.random() < 0.12:
                # A school in another town: chosen by the parents, or the family has moved.
                schools = services.primary_schools if age < 11 else services.secondary_schools
                local = pick(rng, random_town(run, schools))
            known.append(local)
        if age >= 10 and rng.random() < (0.1 if family.known_to_csc else 0.004):
            known.append(services.youth_justice)
    else:
        lives_with_young_child = any(
            child.household is home and not child.unborn and run.age(child) < 5
            for child in person.children
        )
        if lives_with_young_child and rng.random() < (0.7 if person.sex == "F" else 0.2):
            known.append(services.health_visiting)
        expecting_or_new_baby = any(child.unborn or run.age(child) < 1 for child in person.children)
        if expecting_or_new_baby and rng.random() < (0.95 if person.sex == "F" else 0.25):
            known.append(services.midwifery)
        young_man = person.sex == "M" and age < 45
        police_chance = 0.85 if family.known_to_police else 0.05 if young_man else 0.015
        if rng.random() < police_chance:
            known.append(services.police)
        if family.known_to_csc:
            probation_chance = 0.12
        else:
            probation_chance = 0.015 if person.sex == "M" and age < 50 else 0.004
        if rng.random() < probation_chance:
            known.append(services.probation)

    if is_child and family.known_to_police and rng.random() < 0.35:
        known.append(services.police)
    if home.social_housing:
        # A partner who moved in is often not declared on the tenancy: a hidden adult.
        declared = 0.5 if person.moved_in_day is not None else 0.95
        if rng.random() < declared:
            known.append(services.housing)
    hospital_chance = 0.2 if family.known_to_csc else 0.1 if age < 5 else 0.06
    if rng.random() < hospital_chance:
        known.append(services.hospital)
    if family.known_to_csc:
        with_the_children = any(
            other.household is home and other.parents for other in family.people
        )
        if rng.random() < (0.98 if is_child else 0.9 if with_the_children else 0.5):
            known.append(services.csc)
    elif is_child and rng.random() < 0.012:
        # A single contact about one child, closed with no further action: CSC knows nobody
        # else in the family.
        known.append(services.csc)
    return known


def random_town(run: Run, by_town: list[list[Agency]]) -> list[Agency]:
    """The agencies of a town chosen at random: someone registered away from home."""
    return pick(run.rng, by_town)


# --- Writing a family ---------------------------------------------------------------------------


def write_family(run: Run, family: Family) -> None:
    """Write every record, event and relationship the county's agencies hold on the family."""
    rng = run.rng
    add_sibling_bonds(family)
    # agency code -> person id -> the person's (first) record id in that agency
    record_ids: dict[str, dict[str, str]] = {}
    agencies: dict[str, Agency] = {}
    # (agency code, household id) -> the agency's own reference for the household
    household_refs: dict[tuple[str, str], str] = {}
    for person in family.people:
        known = agencies_knowing(run, person, family)
        if not known:
            run.people_with_no_records += 1
            continue
        for agency in known:
            held = record_ids.setdefault(agency.code, {})
            if person.person_id in held:
                continue
            agencies[agency.code] = agency
            household_ref = ""
            if agency.habits.household_prefix:
                key = (agency.code, person.household.household_id)
                if key not in household_refs:
                    agency.households_made += 1
                    household_refs[key] = (
                        f"{agency.habits.household_prefix}{agency.households_made:07d}"
                    )
                household_ref = household_refs[key]
            ids = [write_record(run, agency, person, household_ref, parallel=False)]
            if run.duplicate_rate and rng.random() < run.duplicate_rate:
                # The parallel system seldom shares the main system's household grouping.
                parallel_ref = household_ref if rng.random() < 0.3 else ""
                ids.append(write_record(run, agency, person, parallel_ref, parallel=True))
                run.parallel_records += 1
            held[person.person_id] = ids[0]
            write_events(run, agency, person, family, ids)
    write_relationships(run, family, record_ids, agencies)


def write_record(
    run: Run, agency: Agency, person: Person, household_ref: str, *, parallel: bool
) -> str:
    """Write one agency's record of a person, with that agency's mess, and its truth row."""
    rng = run.rng
    habits = agency.habits
    agency.records_made += 1
    prefix = habits.parallel_prefix if parallel else habits.record_prefix
    record_id = f"{prefix}{agency.records_made:07d}"
    # A parallel record is kept with less care: identifiers are more often left out.
    identifier_care = 0.5 if parallel else 1.0

    given, family, other_names = recorded_names(run, agency, person)
    nhs_number = ""
    if person.nhs_number and rng.random() < habits.nhs_number * identifier_care:
        nhs_number = person.nhs_number
        if run.invalid_identifier_rate and rng.random() < run.invalid_identifier_rate:
            nhs_number = broken_identifier(nhs_number)
    upn = ""
    if person.upn and 4 <= run.age(person) < 19 and rng.random() < habits.upn * identifier_care:
        upn = person.upn
        if run.invalid_identifier_rate and rng.random() < run.invalid_identifier_rate:
            upn = broken_identifier(upn)
    address, postcode = recorded_address(run, habits, person)
    if person.unborn:
        sex = "" if rng.random() < 0.5 else "U"
    else:
        roll = rng.random()
        sex = "" if roll < SEX_MISSING else "U" if roll < SEX_MISSING + SEX_UNKNOWN else person.sex
    run.records_out.writerow(
        (
            agency.code,
            agency.agency_type,
            record_id,
            given,
            family,
            other_names,
            recorded_birth_date(run, habits, person),
            "yes" if person.unborn else "",
            sex,
            nhs_number,
            upn,
            address,
            postcode,
            household_ref,
        )
    )
    run.truth_out.writerow(
        (agency.code, record_id, person.person_id, person.household.household_id)
    )
    run.records_written += 1
    return record_id


# --- The mess of real records ---------------------------------------------------------------------


def recorded_names(run: Run, agency: Agency, person: Person) -> tuple[str, str, str]:
    """The given name, family name and other names as this agency recorded them."""
    rng = run.rng
    habits = agency.habits
    if person.unborn:
        # Before birth a child has no name: maternity writes "Unborn", others "Baby".
        return ("Unborn" if agency.agency_type == "midwifery" else "Baby"), person.family_name, ""

    given = person.given_name
    short_forms = NICKNAMES.get(given)
    if short_forms and rng.random() < habits.nickname:
        given = pick(rng, short_forms)

    family = person.family_name
    other_names = list(person.middle_names) if rng.random() < habits.other_names else []
    if person.former_family_name:
        roll = rng.random()
        if roll < FORMER_SURNAME_RECORDED:
            family = person.former_family_name
        elif roll < FORMER_SURNAME_RECORDED + FORMER_SURNAME_HYPHENATED:
            family = f"{person.former_family_name}-{family}"
        elif roll < 0.45:
            other_names.append(person.former_family_name)
    elif person.stepfamily_name and rng.random() < habits.stepfamily_surname:
        # The child is known by the new partner's surname, or both joined.
        if rng.random() < 0.75:
            family = person.stepfamily_name
        else:
            family = f"{family}-{person.stepfamily_name}"

    if rng.random() < TYPO_IN_GIVEN_NAME:
        given = typo(rng, given)
    if rng.random() < TYPO_IN_FAMILY_NAME:
        family = typo(rng, family)
    if rng.random() < NAMES_SWAPPED:
        given, family = family, given
    if habits.upper_case_family_name and rng.random() < habits.upper_case_family_name:
        family = family.upper()
    return given, family, ";".join(other_names)


def typo(rng: random.Random, name: str) -> str:
    """The name with one slip of the keyboard: a letter changed, dropped or two swapped.

    The first letter is kept: people seldom mistype the start of a name.
    """
    if len(name) < 3:
        return name
    position = rng.randrange(1, len(name) - 1)
    roll = rng.random()
    if roll < 0.4:
        letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
        return name[:position] + letter + name[position + 1 :]
    if roll < 0.7:
        return name[:position] + name[position + 1 :]
    return name[:position] + name[position + 1] + name[position] + name[position + 2 :]


def recorded_birth_date(run: Run, habits: AgencyHabits, person: Person) -> str:
    """The date of birth as this agency holds it: right, missing, or with a slip in it.

    A mistyped date is never after the extract date, as no system accepts a birth in the
    future for a child already born.
    """
    rng = run.rng
    if rng.random() < habits.birth_date_missing:
        return ""
    text = run.iso(person.birth_day)
    if person.unborn:
        return text
    roll = rng.random()
    if roll < DAY_AND_MONTH_SWAPPED:
        year, month, day = text[:4], text[5:7], text[8:]
        if int(day) <= 12 and day != month:
            swapped = f"{year}-{day}-{month}"
            if date.fromisoformat(swapped).toordinal() <= run.extract_day:
                return swapped
    elif roll < DAY_AND_MONTH_SWAPPED + DIGIT_MISTYPED_IN_BIRTH_DATE:
        for _ in range(3):
            position = rng.choice((3, 5, 6, 8, 9))
            mistyped = text[:position] + rng.choice("0123456789") + text[position + 1 :]
            try:
                wrong_day = date.fromisoformat(mistyped).toordinal()
            except ValueError:
                continue
            if mistyped != text and wrong_day <= run.extract_day:
                return mistyped
    return text


def recorded_address(run: Run, habits: AgencyHabits, person: Person) -> tuple[str, str]:
    """The address and postcode as this agency holds them: current, out of date or missing."""
    rng = run.rng
    if rng.random() < habits.address_missing:
        return "", ""
    address = person.household.address
    previous = person.previous_address or person.household.previous_address
    if previous is not None and rng.random() < habits.stale_address:
        address = previous
    line = (
        address.line if rng.random() < ADDRESS_WITHOUT_TOWN else f"{address.line}, {address.town}"
    )
    postcode = address.postcode
    roll = rng.random()
    if roll < 0.07:
        postcode = postcode.replace(" ", "")
    elif roll < 0.11:
        postcode = postcode.lower()
    elif roll < 0.13:
        postcode = postcode.replace(" ", "  ")
    return line, postcode


# --- Events ---------------------------------------------------------------------------------------


class PlannedEvent(NamedTuple):
    """An event before it has its id: ids are given in date order, as a real system would."""

    day: int
    record_id: str
    event_type: str
    seen: str
    category: str
    summary: str
    restricted: str
    with_time: bool


def write_events(
    run: Run, agency: Agency, person: Person, family: Family, record_ids: list[str]
) -> None:
    """Write the events one agency holds on a person, across the person's records there.

    Routine events come at the agency's usual rate (fewer for preschool children, and fewer
    of them seen); a family known to CSC or the police adds its concerns, referrals,
    assessments, visits and incidents.
    """
    rng = run.rng
    habits = agency.habits
    age = run.age(person)
    preschool = 0 <= age < 5
    first_day = run.timeline_start_day
    if person.unborn:
        first_day = max(first_day, person.birth_day - 200)
    else:
        first_day = max(first_day, person.birth_day)
    if person.moved_in_day is not None and agency.agency_type in ("housing", "csc"):
        first_day = max(first_day, person.moved_in_day)
    days = max(1, run.extract_day - first_day)

    planned: list[PlannedEvent] = []
    kinds = ROUTINE_EVENTS[agency.agency_type]
    cumulative = ROUTINE_WEIGHTS[agency.agency_type]
    for index, record_id in enumerate(record_ids):
        mean = habits.events_per_record * (PRESCHOOL_EVENTS_FACTOR if preschool else 1.0)
        if agency.agency_type == "police" and age < 10:
            mean = 0  # young children come to police notice only through their family's incidents
        if person.unborn and agency.agency_type != "midwifery":
            mean = 0  # before birth only maternity sees the mother about the child
        if index:
            mean /= 2  # the parallel record gets what was typed into the other system
        count = int(rng.random() * (2 * mean + 1))
        for kind in rng.choices(kinds, cum_weights=cumulative, k=count):
            seen = ""
            summary = pick(rng, kind.summaries)
            if kind.seen is not None and not person.unborn:
                chance = kind.seen
                if preschool and kind.event_type in PRESCHOOL_SEEN_LESS:
                    chance *= PRESCHOOL_SEEN_FACTOR
                if rng.random() < chance:
                    seen = "yes"
                else:
                    seen = "no"
                    if kind.event_type in PRESCHOOL_SEEN_LESS:
                        summary = pick(rng, NOT_SEEN_SUMMARIES)
            restricted = "yes" if kind.restricted and rng.random() < kind.restricted else ""
            planned.append(
                PlannedEvent(
                    first_day + int(rng.random() * days),
                    record_id,
                    kind.event_type,
                    seen,
                    "",
                    summary,
                    restricted,
                    kind.event_type in ("incident", "visit"),
                )
            )
    planned.extend(family_events(run, agency, person, family, record_ids, first_day))
    planned.sort()
    for event in planned:
        agency.events_made += 1
        occurred_at = run.iso(event.day)
        if event.with_time:
            hour, minute = 8 + int(rng.random() * 15), int(rng.random() * 60)
            occurred_at += f"T{hour:02d}:{minute:02d}:00Z"
        run.events_out.writerow(
            (
                agency.code,
                event.record_id,
                f"E{agency.events_made:08d}",
                event.event_type,
                occurred_at,
                event.seen,
                event.category,
                event.summary,
                event.restricted,
            )
        )
    run.events_written += len(planned)


def family_events(
    run: Run,
    agency: Agency,
    person: Person,
    family: Family,
    record_ids: list[str],
    first_day: int,
) -> list[PlannedEvent]:
    """The events that come from worry about a family: CSC's case, concerns, incidents.

    In a family CSC knows, every child has a referral and an assessment, but visits see
    preschool children less often; schools record concerns about the older children (in
    their safeguarding system when they keep a parallel one); police record domestic
    incidents. Elsewhere, a few concerns about children in families nobody is worried about.
    """
    rng = run.rng
    agency_type = agency.agency_type
    events: list[PlannedEvent] = []
    end = run.extract_day
    preschool = run.age(person) < 5 and not person.unborn
    is_child = bool(person.parents) or run.age(person) < 18

    def on(
        day: int,
        event_type: str,
        summary: str,
        *,
        seen: str = "",
        category: str = "",
        restricted: str = "",
        record_id: str | None = None,
    ) -> None:
        day = min(max(day, first_day), end)
        events.append(
            PlannedEvent(
                day,
                record_id or record_ids[0],
                event_type,
                seen,
                category,
                summary,
                restricted,
                event_type in ("incident", "visit"),
            )
        )

    def some_day(after: int) -> int:
        after = max(after, first_day)
        return after + int(rng.random() * max(1, end - after))

    category = family.concern_category
    if family.known_to_csc and agency_type == "csc":
        referral = family.referral_day
        if is_child:
            on(referral, "referral", "Referral received")
            assessment = "Pre-birth assessment" if person.unborn else "Child and family assessment"
            on(
                referral + rng.randint(5, 45),
                "assessment",
                assessment,
                seen="" if person.unborn else "yes",
            )
            for _ in range(rng.randint(1, 3)):
                on(some_day(referral), "concern", "Concern recorded", category=category)
            if not person.unborn:
                seen_chance = 0.45 if preschool else 0.8
                for _ in range(rng.randint(2, 6)):
                    if rng.random() < seen_chance:
                        on(some_day(referral), "visit", "Home visit; child seen alone", seen="yes")
                    else:
                        summary = pick(rng, NOT_SEEN_SUMMARIES)
                        on(some_day(referral), "visit", summary, seen="no")
        else:
            on(some_day(referral), "visit", "Home visit; parent seen", seen="yes")
            on(some_day(referral), "contact", "Telephone call with parent", seen="no")
        if rng.random() < 0.5:
            restricted = "yes" if rng.random() < 0.3 else ""
            on(some_day(referral), "note", "Strategy discussion note", restricted=restricted)
    elif family.known_to_csc and agency_type == "school":
        # Concerns go in the school's safeguarding system when it keeps one.
        for _ in range(rng.randint(1, 4)):
            on(
                some_day(family.referral_day - 180),
                "concern",
                "Safeguarding concern logged",
                category=category,
                record_id=record_ids[-1],
            )
        if rng.random() < 0.4:
            on(
                family.referral_day - rng.randint(0, 20),
                "referral",
                "Referral to children's social care",
            )
    elif family.known_to_csc and agency_type == "health_visiting" and rng.random() < 0.5:
        on(
            some_day(family.referral_day - 180),
            "concern",
            "Concern discussed with safeguarding lead",
            category=category,
        )
    elif family.known_to_police and agency_type == "police":
        if is_child:
            for _ in range(rng.randint(0, 2)):
                on(
                    some_day(first_day),
                    "incident",
                    "Child present at domestic incident",
                    seen="yes" if rng.random() < 0.5 else "no",
                )
            if rng.random() < 0.4:
                on(some_day(first_day), "referral", "Referral to children's social care")
        else:
            for _ in range(rng.randint(1, 3)):
                on(some_day(first_day), "incident", "Domestic incident attended", seen="yes")
            if rng.random() < 0.4:
                on(
                    some_day(first_day),
                    "concern",
                    "Domestic abuse risk assessment completed",
                    category="domestic_abuse",
                )
            if rng.random() < 0.35:
                on(some_day(first_day), "note", "Investigation note", restricted="yes")
    elif is_child and agency_type in ("school", "early_years", "health_visiting", "gp"):
        chance = {"school": 0.03, "early_years": 0.02, "health_visiting": 0.015, "gp": 0.005}
        if rng.random() < chance[agency_type]:
            on(
                some_day(first_day),
                "concern",
                "Concern noted",
                category=pick(rng, BACKGROUND_CONCERNS),
                record_id=record_ids[-1],
            )
    return events


# --- Relationships -------------------------------------------------------------------------------


def write_relationships(
    run: Run, family: Family, record_ids: dict[str, dict[str, str]], agencies: dict[str, Agency]
) -> None:
    """Write the family ties each agency records between its own records of the family.

    Only agencies that keep relationships write them, each tie at the agency's rate, and only
    between people it knows. The police see a step-parent as a household member, not a carer.
    """
    rng = run.rng
    for code, held in record_ids.items():
        agency = agencies[code]
        rate = agency.habits.relationships
        if not rate or len(held) < 2:
            continue
        for bond in family.bonds:
            record_id = held.get(bond.holder.person_id)
            related_record_id = held.get(bond.other.person_id)
            if record_id is None or related_record_id is None or rng.random() >= rate:
                continue
            kind = bond.kind
            if kind == "carer" and agency.agency_type == "police":
                kind = "household_member"
            run.relationships_out.writerow(
                (
                    code,
                    record_id,
                    related_record_id,
                    kind,
                    "" if bond.start_day is None else run.iso(bond.start_day),
                    "" if bond.end_day is None else run.iso(bond.end_day),
                )
            )
            run.relationships_written += 1
