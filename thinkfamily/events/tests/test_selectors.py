"""The family chronology: one list of a household's events, as far as the viewer may read it.

The family (see ``conftest``): Alpha (school pupil, GP patient), her
preschool brother Bravo (GP only), their mother Charlie (GP and police), and
Echo, the mother's former partner, who has left.
"""

from __future__ import annotations

import datetime as dt

import pytest

from thinkfamily.accounts.models import User
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.events.selectors import ChronologyFilters, family_chronology
from thinkfamily.events.tests.conftest import Family, many_events
from thinkfamily.people.models import HouseholdMembership

pytestmark = pytest.mark.django_db
Type = Event.EventType


def summaries(chronology) -> list[str]:
    return [event.summary for event in chronology.entries]


def csc_manager(family: Family) -> User:
    return family.user(family.csc, User.Role.CSC_MANAGER)


# Merging


def test_the_chronology_merges_every_members_events_across_agencies_newest_first(family):
    chronology = family_chronology(household=family.household, viewer=csc_manager(family))

    assert summaries(chronology) == [
        "Arrived at school hungry",
        "Neighbour reported shouting",
        "Refuge address recorded",
        "Missed two-year health review",
        "Asthma review",
        "Restricted health note about Alpha",
        "Home visit, Bravo seen asleep",
    ]
    assert chronology.hidden == 0
    assert not chronology.truncated


def test_events_at_the_same_moment_are_ordered_newest_recorded_first(family):
    same_moment = family.pupil.events.get(summary="Asthma review").occurred_at
    later = Event.objects.create(
        person=family.preschool_sibling,
        agency=family.gp,
        event_type=Type.CONTACT,
        occurred_at=same_moment,
        summary="Recorded second",
    )

    entries = family_chronology(household=family.household, viewer=csc_manager(family)).entries

    at_that_moment = [event.pk for event in entries if event.occurred_at == same_moment]
    assert at_that_moment[0] == later.pk


def test_entries_carry_their_person_and_agency_without_further_queries(
    family, django_assert_num_queries
):
    chronology = family_chronology(household=family.household, viewer=csc_manager(family))

    with django_assert_num_queries(0):
        names = {(str(event.person), event.agency.name) for event in chronology.entries}
    assert ("Bravo Testfamily", "Testwood Medical Practice") in names


def test_someone_who_has_left_the_household_is_not_in_the_chronology(family):
    chronology = family_chronology(household=family.household, viewer=csc_manager(family))

    assert "Former partner arrested" not in summaries(chronology)
    assert family.former_partner.pk not in dict(chronology.people)


def test_someone_who_left_but_is_reported_living_there_again_is_in_the_chronology(family):
    HouseholdMembership.objects.create(
        household=family.household,
        person=family.former_partner,
        role=HouseholdMembership.Role.PARTNER,
        start_date=dt.date(2024, 6, 1),
        reported_by=family.police,
    )

    chronology = family_chronology(household=family.household, viewer=csc_manager(family))

    assert "Former partner arrested" in summaries(chronology)


def test_people_living_elsewhere_are_not_in_the_chronology(family):
    chronology = family_chronology(household=family.household, viewer=csc_manager(family))

    assert "Unrelated contact about Delta" not in summaries(chronology)


# Filters


def test_the_person_filter_lists_one_members_events(family):
    chronology = family_chronology(
        household=family.household,
        viewer=csc_manager(family),
        person_id=family.preschool_sibling.pk,
    )

    assert summaries(chronology) == [
        "Missed two-year health review",
        "Home visit, Bravo seen asleep",
    ]
    assert chronology.applied_filters == [("Person", "Bravo Testfamily")]


def test_the_agency_filter_lists_one_agencys_events(family):
    chronology = family_chronology(
        household=family.household, viewer=csc_manager(family), agency_id=family.police.pk
    )

    assert summaries(chronology) == ["Neighbour reported shouting", "Refuge address recorded"]
    assert chronology.applied_filters == [("Agency", "Testshire Police")]


def test_the_type_filter_lists_one_kind_of_event(family):
    chronology = family_chronology(
        household=family.household, viewer=csc_manager(family), event_type=Type.VISIT
    )

    assert summaries(chronology) == ["Home visit, Bravo seen asleep"]
    assert chronology.applied_filters == [("Type", "Visit")]


def test_filters_combine(family):
    chronology = family_chronology(
        household=family.household,
        viewer=csc_manager(family),
        person_id=family.pupil.pk,
        agency_id=family.gp.pk,
        event_type=Type.APPOINTMENT,
    )

    assert summaries(chronology) == ["Asthma review"]


@pytest.mark.parametrize("outsider", ["former_partner", "stranger"])
def test_a_person_filter_for_someone_outside_the_household_gives_nothing(family, outsider):
    chronology = family_chronology(
        household=family.household,
        viewer=csc_manager(family),
        person_id=getattr(family, outsider).pk,
    )

    assert chronology.entries == []
    assert chronology.hidden == 0
    assert chronology.applied_filters == [("Person", "Not a member of this household")]


def test_the_filter_choices_are_the_members_and_what_appears_in_their_readable_events(family):
    chronology = family_chronology(household=family.household, viewer=csc_manager(family))

    assert chronology.people == [
        (family.mother.pk, "Charlie Testfamily"),
        (family.pupil.pk, "Alpha Testfamily"),
        (family.preschool_sibling.pk, "Bravo Testfamily"),
    ]
    assert chronology.agencies == [
        (family.police.pk, "Testshire Police"),
        (family.gp.pk, "Testwood Medical Practice"),
        (family.school.pk, "Testwood Primary School"),
    ]
    assert chronology.event_types == [
        ("concern", "Concern"),
        ("visit", "Visit"),
        ("appointment", "Appointment"),
        ("missed_appointment", "Missed appointment"),
        ("incident", "Incident"),
        ("note", "Note"),
    ]


def test_the_filter_choices_do_not_change_with_the_filters(family):
    viewer = csc_manager(family)
    unfiltered = family_chronology(household=family.household, viewer=viewer)
    filtered = family_chronology(
        household=family.household, viewer=viewer, agency_id=family.school.pk
    )

    assert filtered.agencies == unfiltered.agencies
    assert filtered.event_types == unfiltered.event_types


# What each viewer may read


def test_a_school_reads_its_pupils_events_but_not_other_agencies_events_about_her_family(
    family,
):
    chronology = family_chronology(household=family.household, viewer=family.user(family.school))

    assert summaries(chronology) == ["Arrived at school hungry", "Asthma review"]
    # Alpha's restricted GP note, Bravo's two GP entries and Charlie's two police entries.
    assert chronology.hidden == 5


def test_a_school_is_not_offered_agencies_or_types_it_may_not_read(family):
    chronology = family_chronology(household=family.household, viewer=family.user(family.school))

    assert [name for _, name in chronology.agencies] == [
        "Testwood Medical Practice",
        "Testwood Primary School",
    ]
    assert "incident" not in dict(chronology.event_types)
    # The household's people are still choices: the school may know they live there.
    assert len(chronology.people) == 3


def test_the_hidden_count_follows_the_person_filter_but_not_the_agency_or_type(family):
    school_user = family.user(family.school)

    for_bravo = family_chronology(
        household=family.household, viewer=school_user, person_id=family.preschool_sibling.pk
    )
    for_school_concerns = family_chronology(
        household=family.household,
        viewer=school_user,
        agency_id=family.school.pk,
        event_type=Type.CONCERN,
    )

    assert (for_bravo.entries, for_bravo.hidden) == ([], 2)
    assert for_school_concerns.hidden == 5


def test_restricted_events_are_hidden_from_other_agencies_even_family_wide_roles(family):
    chronology = family_chronology(
        household=family.household, viewer=family.user(family.csc, User.Role.CSC_WORKER)
    )

    assert "Refuge address recorded" not in summaries(chronology)
    assert "Restricted health note about Alpha" not in summaries(chronology)
    assert chronology.hidden == 2


def test_restricted_events_are_read_by_the_named_roles_of_the_agency_that_recorded_them(family):
    sergeant = family.user(family.police, User.Role.MANAGER)
    constable = family.user(family.police)

    chronology = family_chronology(household=family.household, viewer=sergeant)

    assert summaries(chronology) == ["Neighbour reported shouting", "Refuge address recorded"]
    # A practitioner is not one of the named roles (accounts.policy): the entry is hidden.
    unrestricted = family_chronology(household=family.household, viewer=constable)
    assert summaries(unrestricted) == ["Neighbour reported shouting"]


def test_restricted_events_are_shown_to_childrens_social_care_managers(family):
    chronology = family_chronology(household=family.household, viewer=csc_manager(family))

    assert "Refuge address recorded" in summaries(chronology)
    assert "Restricted health note about Alpha" in summaries(chronology)


def test_a_system_administrator_reads_nothing(family):
    admin = User.objects.create(username="admin-test", role=User.Role.SYSTEM_ADMINISTRATOR)

    chronology = family_chronology(household=family.household, viewer=admin)

    assert chronology.entries == []
    assert chronology.agencies == []


# Size


def test_a_long_chronology_is_cut_at_the_limit_and_says_so(family):
    many_events(family.preschool_sibling, family.gp, 30, first=dt.date(2025, 1, 1))
    viewer = csc_manager(family)

    cut = family_chronology(household=family.household, viewer=viewer, limit=10)
    whole = family_chronology(household=family.household, viewer=viewer, limit=None)

    assert len(cut.entries) == 10
    assert cut.truncated
    assert cut.entries == whole.entries[:10]
    assert len(whole.entries) == 37
    assert not whole.truncated


def test_a_chronology_exactly_at_the_limit_is_not_truncated(family):
    chronology = family_chronology(household=family.household, viewer=csc_manager(family), limit=7)

    assert len(chronology.entries) == 7
    assert not chronology.truncated


@pytest.mark.parametrize("role", [User.Role.CSC_MANAGER, User.Role.PRACTITIONER])
@pytest.mark.parametrize("extra_events", [0, 300])
def test_the_number_of_queries_does_not_grow_with_the_record(
    family, django_assert_max_num_queries, role, extra_events
):
    many_events(family.preschool_sibling, family.gp, extra_events, first=dt.date(2025, 1, 1))
    many_events(family.pupil, family.school, extra_events, first=dt.date(2025, 1, 1))
    viewer = family.user(family.csc if role == User.Role.CSC_MANAGER else family.school, role)

    with django_assert_max_num_queries(4):
        chronology = family_chronology(household=family.household, viewer=viewer)
        for event in chronology.entries:
            str(event.person), event.agency.name


# Reading filters from a query string


def test_filters_are_read_from_the_query_string():
    filters = ChronologyFilters.from_query({"person": "12", "agency": " 3 ", "type": "visit"})

    assert filters == ChronologyFilters(person_id=12, agency_id=3, event_type="visit")
    assert filters.query_string == "?person=12&agency=3&type=visit"


def test_empty_filters_mean_everything():
    filters = ChronologyFilters.from_query({"person": "", "agency": "", "type": ""})

    assert filters == ChronologyFilters()
    assert not filters.any
    assert filters.query_string == ""


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"person": "abc"}, "The person filter must be the number of a person, not “abc”."),
        ({"agency": "1.5"}, "The agency filter must be the number of an agency"),
        ({"agency": "-2"}, "The agency filter must be the number"),
        ({"person": "١٢"}, "The person filter must be the number"),
        ({"type": "burglary"}, "The event type filter must be one of: contact, concern"),
    ],
)
def test_a_filter_that_is_not_a_number_or_a_known_type_is_refused_with_a_clear_message(
    query, message
):
    with pytest.raises(ApplicationError) as refused:
        ChronologyFilters.from_query(query)

    assert refused.value.message.startswith(message)
