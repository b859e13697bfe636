"""Who has looked at this record: the selector, the page, the CSV and the link, and who may not."""

import csv
import datetime as dt
import io

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from thinkfamily.accounts.models import User
from thinkfamily.audit.context import audit_context
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.selectors import access_log_for, entries_about
from thinkfamily.audit.services import audit_chain_verify, audit_record
from thinkfamily.people.models import HouseholdMembership, Person
from thinkfamily.people.tests.factories import (
    make_agency,
    make_household,
    make_person_with_record,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    school = make_agency("SCH-OAK", "school")
    gp = make_agency("GP-Y00002", "gp")
    csc = make_agency("CSC-1", "csc")
    jo = make_person_with_record(school, "Jo", "Testcase", dt.date(2015, 1, 1))
    kit = make_person_with_record(gp, "Kit", "Testcase", dt.date(2022, 1, 1))
    stranger = make_person_with_record(gp, "Lou", "Elsewhere", dt.date(1990, 1, 1))
    home = make_household(
        [(jo, HouseholdMembership.Role.CHILD), (kit, HouseholdMembership.Role.CHILD)],
        reported_by=school,
    )
    teacher = make_user(school)
    teacher.first_name, teacher.last_name = "Ann", "Teacher"
    teacher.save()
    return {
        "jo": jo,
        "kit": kit,
        "stranger": stranger,
        "home": home,
        "teacher": teacher,
        "school_manager": make_user(school, User.Role.MANAGER),
        "gp_practitioner": make_user(gp),
        "csc_manager": make_user(csc, User.Role.CSC_MANAGER),
        "partnership_manager": make_user(csc, User.Role.PARTNERSHIP_MANAGER),
        "auditor": make_user(gp, User.Role.AUDITOR),
    }


def _viewed(actor, object_type, object_id, action=AuditEvent.Action.VIEW_PERSON, **extra):
    return audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason="agency holds a record of this person",
        **extra,
    )


def test_the_log_holds_views_of_the_person_and_of_their_household_newest_first(family):
    jo, teacher = family["jo"], family["teacher"]
    with audit_context(request_id="req-jo"):
        own = _viewed(teacher, "person", jo.pk)
    household = _viewed(teacher, "household", family["home"].pk, AuditEvent.Action.VIEW_HOUSEHOLD)
    _viewed(teacher, "person", family["kit"].pk)  # Kit's page, not Jo's
    _viewed(teacher, "person", family["stranger"].pk)
    _viewed(teacher, "referral", 12345)  # a referral that does not name Jo
    audit_record(actor=teacher, action=AuditEvent.Action.SEARCH, detail={"query": "Jo"})
    assert list(entries_about(person=jo)) == [household, own]
    assert own.request_id == "req-jo"


def test_reading_the_log_is_itself_recorded_and_appears_in_it(family):
    jo, manager = family["jo"], family["csc_manager"]
    _viewed(family["teacher"], "person", jo.pk)
    entries = list(access_log_for(person=jo, viewer=manager))
    reading = entries[0]
    assert (reading.actor, reading.action) == (manager, AuditEvent.Action.VIEW_ACCESS_LOG)
    assert reading.reason == "role: Children's social care manager"
    assert len(entries) == 2 and audit_chain_verify().intact


@pytest.mark.parametrize("role", ["auditor", "csc_manager", "partnership_manager"])
def test_auditors_and_children_s_social_care_and_partnership_managers_may_read_it(family, role):
    assert access_log_for(person=family["stranger"], viewer=family[role]).exists()


@pytest.mark.parametrize("role", ["teacher", "school_manager", "gp_practitioner"])
def test_practitioners_and_other_managers_may_not_read_it_even_of_people_they_see(family, role):
    with pytest.raises(Person.DoesNotExist):
        access_log_for(person=family["jo"], viewer=family[role])
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_ACCESS_LOG).exists()


def test_the_page_lists_who_looked_when_and_why(client, family):
    jo = family["jo"]
    with audit_context(request_id="req-page-1"):
        _viewed(family["teacher"], "person", jo.pk)
    client.force_login(family["auditor"])
    response = client.get(reverse("audit:access_log", args=[jo.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ann Teacher" in page and "Practitioner, Sch Oak" in page
    assert "agency holds a record of this person" in page and "req-page-1" in page
    assert "Viewed who has looked at a record" in page  # the auditor's own reading
    assert response["X-Request-ID"]


@pytest.mark.parametrize("role", ["teacher", "school_manager", "gp_practitioner"])
def test_the_page_and_download_are_not_found_for_those_who_may_not_read_the_log(
    client, family, role
):
    client.force_login(family[role])
    for name in ("audit:access_log", "audit:access_log_csv"):
        assert client.get(reverse(name, args=[family["jo"].pk])).status_code == 404
    assert client.get(reverse("audit:access_log", args=[999999])).status_code == 404


def test_the_csv_download_for_a_subject_access_request_is_recorded_as_an_export(client, family):
    jo = family["jo"]
    _viewed(family["teacher"], "person", jo.pk)
    client.force_login(family["csc_manager"])
    response = client.get(reverse("audit:access_log_csv", args=[jo.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert header[:3] == ["When", "Who", "Agency"]
    assert [row[1] for row in rows] == [family["csc_manager"].get_full_name(), "Ann Teacher"]
    export = AuditEvent.objects.order_by("-id").first()
    assert (export.action, export.object_id) == (AuditEvent.Action.EXPORT, str(jo.pk))


def _link(user, person) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load audit %}{% access_log_link person %}")
    return template.render(Context({"request": request, "person": person}))


def test_the_link_is_shown_only_to_those_who_may_read_the_log(family):
    jo = family["jo"]
    assert reverse("audit:access_log", args=[jo.pk]) in _link(family["auditor"], jo)
    assert _link(family["teacher"], jo) == ""
