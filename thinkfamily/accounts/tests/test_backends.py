"""``user.has_perm(perm, obj)`` is the one answer to "may this user see this?"."""

import pytest
from django.utils import timezone

from thinkfamily.accounts.backends import (
    REVIEW_CANDIDATE,
    UNDO_MERGE,
    VIEW_HOUSEHOLD,
    VIEW_PARALLEL_RECORDS,
    VIEW_PERSON,
)
from thinkfamily.accounts.models import Agency, User
from thinkfamily.extracts.services import extract_import
from thinkfamily.extracts.tests.builders import record, write_extract
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.people.models import AgencyRecord, Household, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_families(tmp_path):
    home = {"address": "3 Yew Row", "postcode": "ZZ7 7ZZ"}
    extract_import(
        path=write_extract(
            tmp_path,
            [
                record(agency_code="SCH-YEW", agency_type="school", record_id="S1",
                       given_name="Jo", date_of_birth="2015-01-01", **home),
                record(record_id="G1", given_name="Kit", date_of_birth="2024-01-01", **home),
                record(record_id="G2", given_name="Lou", address="5 Other St",
                       postcode="ZZ8 8ZZ"),
            ],
        )
    )  # fmt: skip


def make_user(code, role=User.Role.PRACTITIONER, **extra):
    return User.objects.create(
        username=f"{code}-{role}", agency=Agency.objects.get(code=code), role=role, **extra
    )


def test_permission_granted_through_the_agency_and_the_household(two_families):
    school = make_user("SCH-YEW")
    assert school.has_perm(VIEW_PERSON, Person.objects.get(given_name="Jo"))
    assert school.has_perm(VIEW_PERSON, Person.objects.get(given_name="Kit"))
    assert school.has_perm(VIEW_HOUSEHOLD, Household.objects.get(postcode="ZZ7 7ZZ"))


def test_permission_refused_without_a_relationship(two_families):
    school = make_user("SCH-YEW")
    assert not school.has_perm(VIEW_PERSON, Person.objects.get(given_name="Lou"))
    assert not school.has_perm(VIEW_HOUSEHOLD, Household.objects.get(postcode="ZZ8 8ZZ"))


def test_permission_refused_to_inactive_users_and_unknown_permissions(two_families):
    inactive = make_user("GP-Y00001", is_active=False)
    assert not inactive.has_perm(VIEW_PERSON, Person.objects.get(given_name="Lou"))
    active = make_user("GP-Y00001", role=User.Role.MANAGER)
    assert not active.has_perm("people.delete_person", Person.objects.get(given_name="Lou"))


def test_family_wide_roles_are_granted_every_person(two_families):
    csc = Agency.objects.create(code="CSC", name="CSC", agency_type="csc")
    partnership = User.objects.create(username="pm", agency=csc, role=User.Role.PARTNERSHIP_MANAGER)
    assert all(partnership.has_perm(VIEW_PERSON, p) for p in Person.objects.all())


# Deciding whether two records are one person, and undoing a merge, belong to
# children's social care and partnership managers only.

LINKAGE_PERMISSIONS = [REVIEW_CANDIDATE, UNDO_MERGE]
REFUSED_ROLES = [
    User.Role.PRACTITIONER,
    User.Role.DESIGNATED_SAFEGUARDING_LEAD,
    User.Role.CSC_WORKER,
    User.Role.MANAGER,
    User.Role.REVIEWER,
    User.Role.AUDITOR,
]


@pytest.fixture
def merge_and_pair():
    gp = Agency.objects.create(code="GP-1", name="GP", agency_type="gp")
    now = timezone.now()
    people = [Person.objects.create(given_name=n, family_name="Testfamily") for n in "AB"]
    records = [
        AgencyRecord.objects.create(
            agency=gp, record_id=p.given_name, person=p, given_name=p.given_name,
            family_name="Testfamily", content_hash=p.given_name, first_imported_at=now,
            updated_at=now,
        )
        for p in people
    ]  # fmt: skip
    pair = CandidatePair.objects.create(record=records[0], other_record=records[1])
    merge = Merge.objects.create(
        survivor=people[0], absorbed_person_id=999, snapshot={}, rule="manual"
    )
    return {REVIEW_CANDIDATE: pair, UNDO_MERGE: merge}


@pytest.mark.parametrize("perm", LINKAGE_PERMISSIONS)
@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_linkage_decisions_are_refused_to_other_roles(merge_and_pair, perm, role):
    csc = Agency.objects.create(code="CSC", name="CSC", agency_type="csc")
    user = User.objects.create(username="someone", agency=csc, role=role)
    assert not user.has_perm(perm)
    assert not user.has_perm(perm, merge_and_pair[perm])


@pytest.mark.parametrize("perm", LINKAGE_PERMISSIONS)
def test_linkage_decisions_are_refused_to_a_system_administrator(merge_and_pair, perm):
    admin = User.objects.create(username="admin", role=User.Role.SYSTEM_ADMINISTRATOR)
    assert not admin.has_perm(perm)
    assert not admin.has_perm(perm, merge_and_pair[perm])


@pytest.mark.parametrize("perm", LINKAGE_PERMISSIONS)
@pytest.mark.parametrize("role", [User.Role.CSC_MANAGER, User.Role.PARTNERSHIP_MANAGER])
def test_linkage_decisions_are_granted_to_csc_and_partnership_managers(merge_and_pair, perm, role):
    csc = Agency.objects.create(code="CSC", name="CSC", agency_type="csc")
    manager = User.objects.create(username="manager", agency=csc, role=role)
    assert manager.has_perm(perm)
    assert manager.has_perm(perm, merge_and_pair[perm])
    inactive = User.objects.create(username="left", agency=csc, role=role, is_active=False)
    assert not inactive.has_perm(perm, merge_and_pair[perm])


def test_linkage_permissions_are_not_granted_on_the_wrong_kind_of_object(merge_and_pair):
    csc = Agency.objects.create(code="CSC", name="CSC", agency_type="csc")
    manager = User.objects.create(username="manager", agency=csc, role=User.Role.CSC_MANAGER)
    assert not manager.has_perm(REVIEW_CANDIDATE, merge_and_pair[UNDO_MERGE])
    assert not manager.has_perm(UNDO_MERGE, merge_and_pair[REVIEW_CANDIDATE])


def test_every_user_of_an_agency_sees_its_parallel_records_and_a_sysadmin_does_not():
    school = Agency.objects.create(code="SCH", name="School", agency_type="school")
    for role in (*REFUSED_ROLES, User.Role.CSC_MANAGER, User.Role.PARTNERSHIP_MANAGER):
        user = User.objects.create(username=f"u-{role}", agency=school, role=role)
        assert user.has_perm(VIEW_PARALLEL_RECORDS)
    admin = User.objects.create(username="admin", role=User.Role.SYSTEM_ADMINISTRATOR)
    assert not admin.has_perm(VIEW_PARALLEL_RECORDS)
