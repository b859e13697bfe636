# ruff: noqa: RUF001 - reviews are typeset: en dashes, curly quotes and bullets are
# the very characters this module reads, so they appear in its patterns and docstrings.
"""The words the learning register uses for what a case review is about and whom it addresses.

A published review names its themes and its addressees in many ways: one says "domestic
abuse", another "coercive and controlling behaviour", a third "situational couple
violence"; one addresses "the LSCB", another "Northshire Safeguarding Children
Partnership", a third "the Board". This module is the single vocabulary that turns those
phrasings into the register's keys, so that a theme can be counted across reviews and a
recommendation routed to the agencies that must act on it.

Themes (``THEMES``, in this order; each covers the synonyms listed in its ``Theme``):
neglect, domestic_abuse, new_partner, sibling, preschool_children, recording,
information_sharing, disguised_compliance, mental_health, substance_misuse, exploitation,
physical_abuse, sexual_abuse, emotional_abuse, working_with_families,
professional_curiosity, escalation, voice_of_the_child, professional_conversations,
verbal_agreements, multi_agency_working, housing, education_attendance.

Addressees (``ADDRESSEES``, in this order): partnership, childrens_social_care, police,
health, education, cafcass, housing, probation, youth_justice, adult_social_care,
all_agencies. Each names the ``Agency.AgencyType`` values (copied as strings, so this module
needs no Django) whose agencies answer for a recommendation addressed to it.

Matching is case-insensitive and on word boundaries; curly apostrophes and quotation marks
count as straight ones, a space in a synonym also matches a hyphen or quotation marks
(``what if conversation`` matches "“What If” conversations"), an apostrophe in a synonym
is optional ("childrens social care"), and a final plural "s" is allowed. Synonyms are
deliberately specific: a bare "violence" or "attendance" says too little to name a theme,
and a bare "partnership" is too often "working in partnership with families" to name the
safeguarding partnership. ``docs/learning-ingest.md`` tabulates every synonym.

Example::

    >>> themes_in("Professionals were unaware of the mother's new partner.")
    ['new_partner']
    >>> addressees_of("The LSCB's expectations are reinforced and agencies comply.")
    ['partnership']
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from thinkfamily.extracts.reader import AGENCY_TYPES

__all__ = [
    "ADDRESSEES",
    "THEMES",
    "Addressee",
    "Theme",
    "addressees_of",
    "themes_in",
]


@dataclass(frozen=True)
class Theme:
    """A theme of safeguarding practice that reviews return to, such as neglect or
    information sharing, with the phrases by which a review shows it is about it."""

    key: str
    label: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class Addressee:
    """Whom a recommendation asks to act: the safeguarding partnership itself, or a kind of
    agency, with the phrases reviews use for it and the agency types that answer for it."""

    key: str
    label: str
    synonyms: tuple[str, ...]
    agency_types: frozenset[str]


def _themes(*themes: Theme) -> Mapping[str, Theme]:
    return {theme.key: theme for theme in themes}


THEMES: Mapping[str, Theme] = _themes(
    Theme(
        "neglect",
        "Neglect",
        (
            "neglect",
            "neglectful",
            "neglected",
            "graded care profile",
            "home conditions",
            "failure to thrive",
            "poor hygiene",
        ),
    ),
    Theme(
        "domestic_abuse",
        "Domestic abuse",
        (
            "domestic abuse",
            "domestic violence",
            "domestic incident",
            "coercive control",
            "coercive and controlling",
            "controlling behaviour",
            "couple violence",
            "intimate partner violence",
            "partner violence",
            "MARAC",
            "IDVA",
        ),
    ),
    Theme(
        "new_partner",
        "A new partner or adult in the household",
        (
            "new partner",
            "new boyfriend",
            "new girlfriend",
            "new adult",
            "mother's boyfriend",
            "mother's partner",
            "mother's new partner",
            "father's girlfriend",
            "father's partner",
            "stepfather",
            "step-father",
            "stepmother",
            "step-mother",
            "unknown male",
            "men in the household",
            "man in the household",
        ),
    ),
    Theme(
        "sibling",
        "Siblings (Think Sibling)",
        (
            "sibling",
            "think sibling",
            "half-sibling",
            "step-sibling",
            "brothers and sisters",
            "older brother",
            "younger brother",
            "older sister",
            "younger sister",
            "half-brother",
            "half-sister",
        ),
    ),
    Theme(
        "preschool_children",
        "Babies and pre-school children",
        (
            "preschool",
            "pre-school",
            "under fives",
            "under-fives",
            "baby",
            "babies",
            "infant",
            "toddler",
        ),
    ),
    Theme(
        "recording",
        "Recording and record keeping",
        (
            "recording",
            "record keeping",
            "record-keeping",
            "case records",
            "case notes",
            "parallel records",
        ),
    ),
    Theme(
        "information_sharing",
        "Information sharing",
        (
            "information sharing",
            "sharing information",
            "share information",
            "shared information",
            "sharing of information",
            "information was not shared",
            "information was shared",
            "exchange of information",
            "information exchange",
        ),
    ),
    Theme(
        "disguised_compliance",
        "Disguised compliance",
        (
            "disguised compliance",
            "false compliance",
            "apparent compliance",
            "superficial compliance",
            "superficial engagement",
        ),
    ),
    Theme(
        "mental_health",
        "Mental health",
        (
            "mental health",
            "mental ill health",
            "mental illness",
            "depression",
            "postnatal depression",
            "anxiety",
            "psychosis",
            "self-harm",
            "suicide",
            "suicidal",
            "personality disorder",
            "CAMHS",
        ),
    ),
    Theme(
        "substance_misuse",
        "Substance misuse",
        (
            "substance misuse",
            "substance use",
            "drug use",
            "drug misuse",
            "drugs",
            "alcohol",
            "cannabis",
            "heroin",
            "cocaine",
            "methadone",
        ),
    ),
    Theme(
        "exploitation",
        "Exploitation",
        (
            "exploitation",
            "child sexual exploitation",
            "criminal exploitation",
            "CSE",
            "CCE",
            "county lines",
            "grooming",
            "trafficking",
            "modern slavery",
        ),
    ),
    Theme(
        "physical_abuse",
        "Physical abuse and injury",
        (
            "physical abuse",
            "non-accidental injury",
            "NAI",
            "bruising",
            "bruise",
            "fracture",
            "head injury",
            "abusive head trauma",
            "shaken baby",
            "physical chastisement",
        ),
    ),
    Theme(
        "sexual_abuse",
        "Sexual abuse",
        (
            "sexual abuse",
            "sexually abused",
            "child sexual abuse",
            "sexual assault",
            "harmful sexual behaviour",
        ),
    ),
    Theme(
        "emotional_abuse",
        "Emotional abuse",
        ("emotional abuse", "emotional harm", "emotionally abusive", "psychological abuse"),
    ),
    Theme(
        "working_with_families",
        "Working with families",
        (
            "working in partnership with families",
            "partnership with families",
            "partnership with parents",
            "working with families",
            "working with parents",
            "engagement with the family",
            "family engagement",
            "parental engagement",
            "whole family",
            "think family",
        ),
    ),
    Theme(
        "professional_curiosity",
        "Professional curiosity",
        (
            "professional curiosity",
            "professionally curious",
            "respectful uncertainty",
            "healthy scepticism",
        ),
    ),
    Theme(
        "escalation",
        "Escalation and professional challenge",
        (
            "escalation",
            "escalate",
            "escalated",
            "escalating",
            "professional disagreement",
            "professional challenge",
            "resolution of professional differences",
        ),
    ),
    Theme(
        "voice_of_the_child",
        "The voice and lived experience of the child",
        (
            "voice of the child",
            "child's voice",
            "children's voices",
            "lived experience",
            "wishes and feelings",
            "seen and heard",
            "day in the life",
        ),
    ),
    Theme(
        "professional_conversations",
        "Professional conversations ('What If' discussions)",
        (
            "professional conversation",
            "professional discussion",
            "what if conversation",
            "what if discussion",
            "conversations between professionals",
        ),
    ),
    Theme(
        "verbal_agreements",
        "Verbal and working agreements",
        ("verbal agreement", "written agreement", "working agreement", "safety agreement"),
    ),
    Theme(
        "multi_agency_working",
        "Multi-agency working",
        (
            "multi-agency",
            "multiagency",
            "inter-agency",
            "interagency",
            "multidisciplinary",
            "multi-disciplinary",
            "partnership working",
            "joint working",
            "strategy meeting",
            "strategy discussion",
            "core group",
            "MASH",
        ),
    ),
    Theme(
        "housing",
        "Housing and homelessness",
        (
            "housing",
            "homeless",
            "homelessness",
            "temporary accommodation",
            "eviction",
            "overcrowding",
            "overcrowded",
            "tenancy",
        ),
    ),
    Theme(
        "education_attendance",
        "School attendance and missing education",
        (
            "school attendance",
            "poor attendance",
            "attendance at school",
            "attendance at nursery",
            "persistent absence",
            "unauthorised absence",
            "absent from school",
            "missing education",
            "children missing education",
            "elective home education",
            "home educated",
            "excluded from school",
            "school exclusion",
        ),
    ),
)


def _addressees(*addressees: Addressee) -> Mapping[str, Addressee]:
    return {addressee.key: addressee for addressee in addressees}


ADDRESSEES: Mapping[str, Addressee] = _addressees(
    Addressee(
        "partnership",
        "The safeguarding partnership (LSCB/LSCP)",
        (
            "LSCB",
            "LSCP",
            "SCB",
            "SCP",
            "local safeguarding children board",
            "local safeguarding children partnership",
            "safeguarding children board",
            "safeguarding children partnership",
            "safeguarding partnership",
            "safeguarding board",
            "safeguarding partners",
            "the board",
            "the partnership",
        ),
        # The partnership is not an agency: its actions are owned by the board itself.
        frozenset({"other"}),
    ),
    Addressee(
        "childrens_social_care",
        "Children's social care",
        (
            "CSC",
            "children's social care",
            "children's services",
            "local authority children's services",
            "children's social work",
        ),
        frozenset({"csc"}),
    ),
    Addressee(
        "police",
        "Police",
        ("police", "constabulary", "police force", "police service"),
        frozenset({"police"}),
    ),
    Addressee(
        "health",
        "Health",
        (
            "health",
            "health services",
            "health agencies",
            "health partners",
            "NHS",
            "NHS trust",
            "GP",
            "GPs",
            "general practice",
            "general practitioner",
            "health visiting",
            "health visitor",
            "midwifery",
            "midwives",
            "midwife",
            "hospital",
            "CCG",
            "clinical commissioning group",
            "ICB",
            "integrated care board",
            "school nursing",
            "school nurse",
            "CAMHS",
            "mental health services",
            "mental health trust",
            "ambulance",
            "ambulance service",
        ),
        frozenset({"gp", "health_visiting", "midwifery", "hospital"}),
    ),
    Addressee(
        "education",
        "Education",
        (
            "education",
            "education settings",
            "education setting",
            "school",
            "schools",
            "early years",
            "early years settings",
            "nursery",
            "nurseries",
            "academy",
            "academies",
        ),
        frozenset({"school", "early_years"}),
    ),
    Addressee("cafcass", "Cafcass", ("cafcass",), frozenset({"cafcass"})),
    Addressee(
        "housing",
        "Housing",
        ("housing", "housing providers", "housing association", "housing services"),
        frozenset({"housing"}),
    ),
    Addressee(
        "probation",
        "Probation",
        ("probation", "probation service", "national probation service"),
        frozenset({"probation"}),
    ),
    Addressee(
        "youth_justice",
        "Youth justice",
        (
            "youth offending service",
            "youth offending team",
            "youth justice service",
            "youth justice",
            "YOS",
            "YOT",
        ),
        frozenset({"youth_justice"}),
    ),
    Addressee(
        "adult_social_care",
        "Adult social care",
        ("adult social care", "adult services", "adults' services"),
        frozenset({"other"}),
    ),
    Addressee(
        "all_agencies",
        "All agencies",
        (
            "all agencies",
            "all partner agencies",
            "partner agencies",
            "relevant agencies",
            "agencies",
            "all partners",
            "each agency",
        ),
        AGENCY_TYPES,
    ),
)

# Phrases that contain an agency word but do not name an agency; matched first so that
# "the mental health of the mother" does not address health, "elective home education"
# does not address schools and "in partnership with families" does not address the board.
_NOT_AN_AGENCY: tuple[str, ...] = (
    "mental health",
    "physical health",
    "emotional health",
    "health needs",
    "health and wellbeing",
    "elective home education",
    "home education",
    "missing education",
    "in partnership with",
    "housing needs",
)

_QUOTES = str.maketrans({"‘": "'", "’": "'", "ʼ": "'", "“": '"', "”": '"'})


def _normalised(text: str) -> str:
    """The text with curly quotes made straight, one character for one, so offsets hold."""
    return text.translate(_QUOTES)


def _pattern(synonym: str) -> str:
    """A regular expression for one synonym, tolerant of the ways reviews write it."""
    words = re.split(r"[\s]+", synonym.strip())
    parts = []
    for word in words:
        pieces = [re.escape(piece) for piece in re.split(r"-", word)]
        part = r"[-\s]?".join(pieces)
        part = part.replace("'", "'?")
        parts.append(part)
    between = r"[\s\"'\-]+"
    return between.join(parts) + r"(?:s|es)?"


# A phrase and the key it stands for (None for a phrase that is not an agency).
_Phrases = tuple[tuple[str, str | None], ...]


@cache
def _matcher(phrases: _Phrases) -> re.Pattern[str]:
    ordered = sorted(phrases, key=lambda pair: len(pair[0]), reverse=True)
    alternatives = "|".join(f"(?:{_pattern(phrase)})" for phrase, _ in ordered)
    return re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])", re.IGNORECASE)


@cache
def _phrase_keys(
    phrases: _Phrases,
) -> list[tuple[re.Pattern[str], str | None]]:
    ordered = sorted(phrases, key=lambda pair: len(pair[0]), reverse=True)
    return [(re.compile(rf"(?:{_pattern(p)})\Z", re.IGNORECASE), key) for p, key in ordered]


def _key_of(found: str, phrases: _Phrases) -> str | None:
    for pattern, key in _phrase_keys(phrases):
        if pattern.match(found):
            return key
    return None


def _addressee_phrases() -> _Phrases:
    phrases: list[tuple[str, str | None]] = [(phrase, None) for phrase in _NOT_AN_AGENCY]
    for addressee in ADDRESSEES.values():
        phrases.extend((synonym, addressee.key) for synonym in addressee.synonyms)
    return tuple(phrases)


def _first_unique(keys: Iterable[str | None]) -> list[str]:
    seen: list[str] = []
    for key in keys:
        if key is not None and key not in seen:
            seen.append(key)
    return seen


def themes_in(text: str) -> list[str]:
    """The keys of the themes a text shows, in vocabulary order.

    Args:
        text: the body of a review (or any part of it), page furniture already removed.

    Returns:
        Theme keys from ``THEMES`` with at least one synonym in the text.

    Example::

        >>> themes_in("Think Sibling: the baby was less visible than her brother.")
        ['sibling', 'preschool_children']
    """
    normalised = _normalised(text)
    found = []
    for theme in THEMES.values():
        phrases = tuple((synonym, theme.key) for synonym in theme.synonyms)
        if _matcher(phrases).search(normalised):
            found.append(theme.key)
    return found


_LEAD_IN = re.compile(r"\s*(?:that\s+)?", re.IGNORECASE)
_ARTICLE = re.compile(r"the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:'s|s'|')(?![\w])", re.IGNORECASE)
_JOINER = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+|\s*&\s*|\s*/\s*)", re.IGNORECASE)


_PLACES = (
    re.compile(r"(?:the\s+)?[A-Z][\w'-]*\s+"),
    re.compile(r"(?:the\s+)?[A-Z][\w'-]*\s+[A-Z][\w'-]*\s+"),
)


def _proper_name_after_place(
    text: str, position: int, matcher: re.Pattern[str]
) -> re.Match[str] | None:
    """An agency's proper name after a place name ("Northshire Safeguarding Children
    Partnership", "Northshire Police"): the agency leads though the place comes first.
    Only a capitalised name counts, so "Ensure schools…" is not read as led by schools."""
    for place_name in _PLACES:
        place = place_name.match(text, position)
        if place is None:
            continue
        found = matcher.match(text, place.end())
        if found is not None and found.group(0)[0].isupper():
            return found
    return None


def addressees_of(recommendation_text: str) -> list[str]:
    """The addressee keys of a recommendation, never guessed.

    The addressees are the agencies that lead the recommendation ("The LSCB's
    expectations…", "Health and CSC should…", skipping "That", "The", a possessive and a
    place name before an agency's proper name, as in "Northshire Police");
    if no agency leads it, every agency mentioned in it, in order of mention; if none is
    mentioned, an empty list, for a person to fill in.

    Example::

        >>> addressees_of("That the Police and CSC review the strategy meeting protocol.")
        ['police', 'childrens_social_care']
        >>> addressees_of("Practitioners should consider the father's role.")
        []
    """
    text = _normalised(recommendation_text)
    phrases = _addressee_phrases()
    matcher = _matcher(phrases)
    leading: list[str | None] = []
    position = _LEAD_IN.match(text).end()  # type: ignore[union-attr]
    while True:
        found = matcher.match(text, position)
        if found is None:
            article = _ARTICLE.match(text, position)
            if article is not None:
                found = matcher.match(text, article.end())
        if found is None:
            found = _proper_name_after_place(text, position, matcher)
        if found is None:
            break
        key = _key_of(found.group(0), phrases)
        if key is None:
            break
        leading.append(key)
        position = found.end()
        possessive = _POSSESSIVE.match(text, position)
        if possessive is not None:
            position = possessive.end()
        joiner = _JOINER.match(text, position)
        if joiner is None:
            break
        position = joiner.end()
    if leading:
        return _first_unique(leading)
    return _first_unique(_key_of(found.group(0), phrases) for found in matcher.finditer(text))
