"""``user.has_perm(perm, obj)`` is the one answer to "may this user see this?"."""

import pytest

from thinkfamily.accounts.backends import VIEW_HOUSEHOLD, VIEW_PERSON
from thinkfamily.accounts.models import Agency, User
from thinkfamily.extracts.services import extract_import
from thinkfamily.extracts.tests.builders import record, write_extract
from thinkfamily.people.models import Household, Person

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
