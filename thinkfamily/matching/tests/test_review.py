"""Clerical review: confirm merges the two records' people, reject labels them different for
good, defer leaves the pair waiting; each decision is audited and only managers decide."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.core.errors import ApplicationError
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.matching.services import (
    candidate_confirm,
    candidate_defer,
    candidate_reject,
    people_merge,
)
from thinkfamily.matching.tests.factories import make_candidate
from thinkfamily.people.models import Person
from thinkfamily.people.tests.factories import (
    NHS_NUMBERS,
    make_agency,
    make_person_with_record,
    make_record,
    make_user,
)

pytestmark = pytest.mark.django_db


@dataclass
class Pair:
    candidate: CandidatePair
    thomas: Person  # the GP's patient, with an NHS number and two records
    tom: Person  # the school's pupil
    manager: User
    csc: Agency


@pytest.fixture
def pair() -> Pair:
    gp = make_agency("GP-T00001", Agency.AgencyType.GP, "Testwood Medical Practice")
    school = make_agency("SCH-TESTWOOD", Agency.AgencyType.SCHOOL, "Testwood Primary School")
    csc = make_agency("CSC-TEST", Agency.AgencyType.CSC, "Testshire Children's Services")
    thomas = make_person_with_record(
        gp, "Thomas", "Testfamily", dt.date(2019, 4, 3), nhs=NHS_NUMBERS[0]
    )
    make_record(make_agency("HV-T", Agency.AgencyType.HEALTH_VISITING), thomas)
    tom = make_person_with_record(school, "Tom", "Testfamily", dt.date(2019, 4, 3))
    candidate = make_candidate(tom.records.get(), thomas.records.first(), probability=0.83)
    return Pair(candidate, thomas, tom, make_user(csc, User.Role.CSC_MANAGER), csc)


def test_confirming_a_pair_merges_the_two_people_into_the_one_with_more_records(pair: Pair):
    merge = candidate_confirm(candidate=pair.candidate, by=pair.manager, note="Same address")

    assert merge.survivor == pair.thomas
    assert merge.absorbed_person_id == pair.tom.pk
    assert (merge.rule, merge.match_probability, merge.candidate) == (
        Merge.Rule.REVIEW,
        0.83,
        pair.candidate,
    )
    assert not Person.objects.filter(pk=pair.tom.pk).exists()
    assert pair.thomas.records.count() == 3
    pair.candidate.refresh_from_db()
    assert pair.candidate.status == CandidatePair.Status.CONFIRMED
    assert (pair.candidate.reviewed_by, pair.candidate.note) == (pair.manager, "Same address")
    assert pair.candidate.reviewed_at is not None


def test_a_confirmation_is_audited_as_a_review_and_a_merge(pair: Pair):
    merge = candidate_confirm(candidate=pair.candidate, by=pair.manager)

    review = AuditEvent.objects.get(action=AuditEvent.Action.REVIEW)
    assert review.actor == pair.manager
    assert (review.object_type, review.object_id) == ("candidate_pair", str(pair.candidate.pk))
    assert review.detail["decision"] == "confirmed"
    assert review.detail["merge"] == merge.pk
    assert AuditEvent.objects.get(action=AuditEvent.Action.MERGE).detail["candidate"] == (
        pair.candidate.pk
    )


def test_rejecting_a_pair_needs_a_note_and_labels_them_different_people_for_good(pair: Pair):
    with pytest.raises(ApplicationError, match="Enter how you know"):
        candidate_reject(candidate=pair.candidate, by=pair.manager, note=" ")

    candidate_reject(candidate=pair.candidate, by=pair.manager, note="Cousins; different mothers")

    pair.candidate.refresh_from_db()
    assert pair.candidate.status == CandidatePair.Status.REJECTED
    assert pair.candidate.note == "Cousins; different mothers"
    entry = AuditEvent.objects.get(action=AuditEvent.Action.REVIEW)
    assert entry.detail["decision"] == "rejected"
    with pytest.raises(ApplicationError, match="different people"):
        people_merge(survivor=pair.thomas, absorbed=pair.tom, rule=Merge.Rule.MODEL)


def test_a_deferred_pair_stays_open_and_can_be_decided_later(pair: Pair):
    candidate_defer(candidate=pair.candidate, by=pair.manager, note="Asking the school")

    pair.candidate.refresh_from_db()
    assert pair.candidate.status == CandidatePair.Status.DEFERRED
    assert AuditEvent.objects.get(action=AuditEvent.Action.REVIEW).detail["decision"] == (
        "deferred"
    )
    candidate_confirm(candidate=pair.candidate, by=pair.manager)
    pair.candidate.refresh_from_db()
    assert pair.candidate.status == CandidatePair.Status.CONFIRMED


@pytest.mark.parametrize("status", [CandidatePair.Status.CONFIRMED, CandidatePair.Status.REJECTED])
def test_a_decided_pair_cannot_be_decided_again(pair: Pair, status: str):
    CandidatePair.objects.filter(pk=pair.candidate.pk).update(status=status, note="Decided")

    for decide in (candidate_confirm, candidate_defer):
        with pytest.raises(ApplicationError, match="already been decided"):
            decide(candidate=pair.candidate, by=pair.manager)
    with pytest.raises(ApplicationError, match="already been decided"):
        candidate_reject(candidate=pair.candidate, by=pair.manager, note="Twins")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW).exists()


def test_a_pair_already_linked_as_one_person_is_not_merged_again(pair: Pair):
    pair.tom.records.update(person=pair.thomas)

    with pytest.raises(ApplicationError, match="already one person"):
        candidate_confirm(candidate=pair.candidate, by=pair.manager)


def test_a_refused_merge_leaves_the_pair_waiting(pair: Pair):
    pair.tom.records.update(nhs_number=NHS_NUMBERS[1])

    with pytest.raises(ApplicationError, match="different NHS numbers"):
        candidate_confirm(candidate=pair.candidate, by=pair.manager)

    pair.candidate.refresh_from_db()
    assert pair.candidate.status == CandidatePair.Status.PENDING
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "role",
    [
        User.Role.PRACTITIONER,
        User.Role.DESIGNATED_SAFEGUARDING_LEAD,
        User.Role.CSC_WORKER,
        User.Role.MANAGER,
    ],
)
def test_only_managers_may_decide_a_pair(pair: Pair, role: str):
    someone = make_user(pair.csc, role)

    with pytest.raises(ApplicationError, match="Only children's social care and partnership"):
        candidate_confirm(candidate=pair.candidate, by=someone)
    with pytest.raises(ApplicationError, match="Only children's social care and partnership"):
        candidate_reject(candidate=pair.candidate, by=someone, note="Twins")
    with pytest.raises(ApplicationError, match="Only children's social care and partnership"):
        candidate_defer(candidate=pair.candidate, by=someone)
    pair.candidate.refresh_from_db()
    assert pair.candidate.status == CandidatePair.Status.PENDING


def test_a_partnership_manager_may_decide_a_pair(pair: Pair):
    manager = make_user(pair.csc, User.Role.PARTNERSHIP_MANAGER)
    candidate_defer(candidate=pair.candidate, by=manager)
    pair.candidate.refresh_from_db()
    assert pair.candidate.reviewed_by == manager
