"""Reads for linkage decisions: the review list, one pair in detail, parallel records, merges."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.matching.selectors import (
    candidate_detail,
    candidates_for_review,
    merge_undo_preview,
    merges_recent,
    parallel_records_for,
)
from thinkfamily.matching.services import merge_undo, people_merge
from thinkfamily.matching.tests.factories import make_candidate
from thinkfamily.people.models import HouseholdMembership, Person, Relationship
from thinkfamily.people.tests.factories import (
    NHS_NUMBERS,
    make_agency,
    make_event,
    make_household,
    make_person_with_record,
    make_record,
    make_relationship,
    make_user,
)

pytestmark = pytest.mark.django_db

Role = HouseholdMembership.Role


@dataclass
class County:
    gp: Agency
    school: Agency
    csc: Agency
    manager: User
    tom: Person
    thomas: Person
    mother: Person
    twin: Person


@pytest.fixture
def county() -> County:
    gp = make_agency("GP-T00001", Agency.AgencyType.GP, "Testwood Medical Practice")
    school = make_agency("SCH-TESTWOOD", Agency.AgencyType.SCHOOL, "Testwood Primary School")
    csc = make_agency("CSC-TEST", Agency.AgencyType.CSC, "Testshire Children's Services")
    thomas = make_person_with_record(
        gp, "Thomas", "Testfamily", dt.date(2019, 4, 3), nhs=NHS_NUMBERS[0]
    )
    tom = make_person_with_record(school, "Tom", "Testfamily", dt.date(2019, 4, 3))
    mother = make_person_with_record(gp, "Charlie", "Testfamily", dt.date(1990, 1, 20))
    twin = make_person_with_record(school, "Tim", "Testfamily", dt.date(2019, 4, 3))
    make_household([(mother, Role.PARENT), (thomas, Role.CHILD)], reported_by=gp)
    make_relationship(mother.records.get(), thomas.records.get(), Relationship.Kind.PARENT)
    event = make_event(tom, school)
    event.record = tom.records.get()
    event.save()
    return County(gp, school, csc, make_user(csc, User.Role.CSC_MANAGER), tom, thomas, mother, twin)


def test_the_review_list_puts_pending_pairs_before_deferred_ones_most_probable_first(
    county: County,
):
    tom, thomas, twin = (p.records.get() for p in (county.tom, county.thomas, county.twin))
    likely = make_candidate(tom, thomas, probability=0.9)
    less_likely = make_candidate(twin, thomas, probability=0.6)
    deferred = make_candidate(tom, twin, probability=0.95, status=CandidatePair.Status.DEFERRED)
    mother = county.mother.records.get()
    make_candidate(mother, twin, probability=0.99, status=CandidatePair.Status.REJECTED)
    make_candidate(mother, tom, probability=0.99, status=CandidatePair.Status.CONFIRMED)

    assert candidates_for_review(viewer=county.manager) == [likely, less_likely, deferred]
    entry = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_WORKLIST)
    assert entry.detail == {"worklist": "candidates_for_review", "shown": 3}


@pytest.mark.parametrize("role", [User.Role.DESIGNATED_SAFEGUARDING_LEAD, User.Role.CSC_WORKER])
def test_the_review_list_is_empty_for_those_who_may_not_review(county: County, role: str):
    make_candidate(county.tom.records.get(), county.thomas.records.get())
    assert candidates_for_review(viewer=make_user(county.csc, role)) == []


def test_a_pair_in_detail_shows_both_records_the_evidence_and_the_people_around_them(
    county: County,
):
    candidate = make_candidate(county.tom.records.get(), county.thomas.records.get())

    detail = candidate_detail(candidate=candidate, viewer=county.manager)

    left_is_tom = detail.left.record.pk == county.tom.records.get().pk
    tom_side, thomas_side = (
        (detail.left, detail.right) if left_is_tom else (detail.right, detail.left)
    )
    given = next(row for row in detail.fields if row.label == "Given name")
    assert {given.left, given.right} == {"Tom", "Thomas"}
    assert given.differs
    agency = next(row for row in detail.fields if row.label == "Agency")
    assert not agency.differs  # who holds a record is not evidence about the person
    born = next(row for row in detail.fields if row.label == "Date of birth")
    assert (born.left, born.differs) == ("3 April 2019", False)
    assert [(c.name, c.direction) for c in detail.comparisons] == [
        ("given name", "for"),
        ("date of birth", "for"),
        ("postcode", "against"),
    ]
    assert detail.comparisons[2].signed_weight == "\u22122.40"
    assert tom_side.residences == []
    assert tom_side.event_count == 1
    (residence,) = thomas_side.residences
    assert residence.others == [county.mother]
    (line,) = thomas_side.relationships
    assert (line.other.given_name, line.outgoing, line.relationship.kind) == (
        "Charlie",
        False,
        "parent",
    )
    assert not detail.already_one_person
    viewed = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSON)
    assert {entry.object_id for entry in viewed} == {str(county.tom.pk), str(county.thomas.pk)}


def test_malformed_comparisons_are_shown_not_dropped(county: County):
    candidate = make_candidate(
        county.tom.records.get(),
        county.thomas.records.get(),
        comparisons=[{"name": "sex", "match_weight": "not a number"}, "junk"],
    )
    detail = candidate_detail(candidate=candidate, viewer=county.manager)
    assert [(c.name, c.match_weight) for c in detail.comparisons] == [("sex", 0.0), ("", 0.0)]


@pytest.mark.parametrize("role", [User.Role.PRACTITIONER, User.Role.CSC_WORKER])
def test_a_pair_in_detail_is_not_there_for_those_who_may_not_review(county: County, role: str):
    candidate = make_candidate(county.tom.records.get(), county.thomas.records.get())
    with pytest.raises(CandidatePair.DoesNotExist):
        candidate_detail(candidate=candidate, viewer=make_user(county.csc, role))
    assert not AuditEvent.objects.exists()


def test_parallel_records_are_listed_to_their_own_agency_only(county: County):
    make_record(county.school, county.tom, given="Thom", record_id="CPOMS-7")
    make_record(county.gp, county.mother, record_id="GP-OLD-1")
    make_record(county.school, county.mother, record_id="SCH-PARENT-1")  # one school record

    school_user = make_user(county.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    (entry,) = parallel_records_for(viewer=school_user)
    assert entry.person == county.tom
    assert [record.record_id for record in entry.records] == [
        "CPOMS-7",
        *county.tom.records.filter(agency=county.school)
        .exclude(record_id="CPOMS-7")
        .values_list("record_id", flat=True),
    ]
    gp_user = make_user(county.gp)
    assert [entry.person for entry in parallel_records_for(viewer=gp_user)] == [county.mother]
    assert parallel_records_for(viewer=make_user(county.csc, User.Role.CSC_MANAGER)) == []
    admin = make_user(None, User.Role.SYSTEM_ADMINISTRATOR)
    assert parallel_records_for(viewer=admin) == []


def test_recent_merges_newest_first_for_those_who_may_undo_them(county: County):
    first = people_merge(survivor=county.thomas, absorbed=county.tom, rule=Merge.Rule.MANUAL)
    second = people_merge(survivor=county.mother, absorbed=county.twin, rule=Merge.Rule.MANUAL)

    assert merges_recent(viewer=county.manager) == [second, first]
    assert merges_recent(viewer=make_user(county.csc, User.Role.CSC_WORKER)) == []


def test_the_undo_preview_shows_who_comes_back_and_whether_it_can_be_done_now(county: County):
    merge = people_merge(survivor=county.thomas, absorbed=county.tom, rule=Merge.Rule.MANUAL)

    preview = merge_undo_preview(merge=merge, viewer=county.manager)
    assert (preview.absorbed.pk, preview.absorbed.given_name) == (county.tom.pk, "Tom")
    assert preview.absorbed.date_of_birth == dt.date(2019, 4, 3)
    assert [record.record_id for record in preview.records] == [
        r.record_id for r in county.thomas.records.filter(agency=county.school)
    ]
    assert (preview.events, preview.memberships, preview.refusal) == (1, 0, None)

    merge_undo(merge=merge, by=county.manager, reason="Two children")
    merge.refresh_from_db()
    assert merge_undo_preview(merge=merge, viewer=county.manager).refusal == (
        "This merge has already been undone."
    )
    with pytest.raises(Merge.DoesNotExist):
        merge_undo_preview(merge=merge, viewer=make_user(county.school))
