# ruff: noqa: RUF001 - reviews' own typography (curly quotes, en dashes) is part of what is read.
"""The theme and addressee vocabulary: its order, its synonyms and the addressee rule."""

from thinkfamily.accounts.models import Agency
from thinkfamily.learning.vocabulary import ADDRESSEES, THEMES, addressees_of, themes_in

#: The agency types the database knows: an addressee may only name these.
AGENCY_TYPES = set(Agency.AgencyType.values)


def test_themes_are_in_the_documented_order() -> None:
    assert list(THEMES)[:23] == [
        "neglect",
        "domestic_abuse",
        "new_partner",
        "sibling",
        "preschool_children",
        "recording",
        "information_sharing",
        "disguised_compliance",
        "mental_health",
        "substance_misuse",
        "exploitation",
        "physical_abuse",
        "sexual_abuse",
        "emotional_abuse",
        "working_with_families",
        "professional_curiosity",
        "escalation",
        "voice_of_the_child",
        "professional_conversations",
        "verbal_agreements",
        "multi_agency_working",
        "housing",
        "education_attendance",
    ]


def test_addressees_use_only_existing_agency_types() -> None:
    assert list(ADDRESSEES) == [
        "partnership",
        "childrens_social_care",
        "police",
        "health",
        "education",
        "cafcass",
        "housing",
        "probation",
        "youth_justice",
        "adult_social_care",
        "all_agencies",
    ]
    for addressee in ADDRESSEES.values():
        assert addressee.agency_types <= AGENCY_TYPES


def test_themes_match_synonyms_across_case_curly_quotes_and_hyphens() -> None:
    assert themes_in("The Mother’s Boyfriend was known; “What If” conversations happened.") == [
        "new_partner",
        "professional_conversations",
    ]
    assert themes_in("There was no multi agency or MULTI-AGENCY plan.") == ["multi_agency_working"]


def test_themes_need_a_whole_word() -> None:
    # A synonym inside a longer word is not a mention of the theme.
    assert themes_in("neglectx siblingly") == []


def test_bare_violence_or_attendance_name_no_theme() -> None:
    assert themes_in("The violence was unexpected. Attendance at the meeting was good.") == []


def test_leading_agencies_are_the_addressees() -> None:
    assert addressees_of("The LSCB’s expectations are reinforced and agencies comply.") == [
        "partnership"
    ]
    assert addressees_of("That Health, CSC & the Police / Probation agree a protocol.") == [
        "health",
        "childrens_social_care",
        "police",
        "probation",
    ]


def test_without_a_leading_agency_every_agency_mentioned_is_an_addressee() -> None:
    assert addressees_of("Training should be offered to schools and the police.") == [
        "education",
        "police",
    ]


def test_no_agency_means_no_addressee_rather_than_a_guess() -> None:
    assert addressees_of("Practitioners should consider the father’s role.") == []


def test_phrases_that_only_contain_an_agency_word_do_not_address_it() -> None:
    assert addressees_of("Practitioners should ask about the mental health of parents.") == []
    assert addressees_of("Practitioners should work in partnership with families.") == []


def test_a_place_name_before_an_agency_name_does_not_hide_it() -> None:
    assert addressees_of("Northshire Safeguarding Children Partnership should ask schools.") == [
        "partnership"
    ]
