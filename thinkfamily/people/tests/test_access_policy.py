"""The access knobs a partnership sets, and break-glass: sealed people, the household level,
restricted roles, and opening a record outside one's relationship for a reason and a while."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from thinkfamily.accounts.backends import access_reason, reads_chronology_of
from thinkfamily.accounts.break_glass import (
    break_glass_open,
    break_glass_review,
    break_glass_reviews_for,
    person_for_break_glass,
)
from thinkfamily.accounts.models import BreakGlassAccess, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.people.models import Person, people_visible_among
from thinkfamily.people.tests.factories import make_event, make_user
from thinkfamily.prompts.tests.family import carter_family

pytestmark = pytest.mark.django_db

REASON = "Brought to the emergency department with an injury; mother gave this name."


@pytest.fixture
def family():
    return carter_family()


def sees(user: User, person: Person) -> bool:
    """Every form of the rule agrees: the queryset, the per-page check and the backend."""
    answers = {
        Person.objects.visible_to(user).filter(pk=person.pk).exists(),
        person.pk in people_visible_among(user, [person.pk]),
        access_reason(user, person) is not None,
    }
    assert len(answers) == 1, f"the forms of the access rule disagree for {user.role}"
    return answers.pop()


# ---------------------------------------------------------------------------
# Sealed people


def test_a_sealed_person_is_invisible_except_to_the_sealed_record_roles(family):
    Person.objects.filter(pk=family.ben.pk).update(sealed=True)
    ben = Person.objects.get(pk=family.ben.pk)
    make_event(ben, family.hv, summary="Adoption placement visit.")

    hv = make_user(family.hv, User.Role.PRACTITIONER)  # holds Ben's record
    worker = make_user(family.csc, User.Role.CSC_WORKER)  # sees whole families
    partnership = make_user(family.csc, User.Role.PARTNERSHIP_MANAGER)
    manager = make_user(family.csc, User.Role.CSC_MANAGER)  # the default sealed-record role

    for nobody in (hv, worker, partnership):
        assert not sees(nobody, ben)
        assert not reads_chronology_of(nobody, ben)
        assert not Event.objects.filter(person=ben).visible_to(nobody).exists()
    assert sees(manager, ben)
    assert Event.objects.filter(person=ben).visible_to(manager).count() == 1


def test_the_partnership_chooses_the_sealed_record_roles(family, settings):
    Person.objects.filter(pk=family.ben.pk).update(sealed=True)
    ben = Person.objects.get(pk=family.ben.pk)
    settings.THINKFAMILY_SEALED_PERSON_ROLES = ["partnership_manager"]
    assert sees(make_user(family.csc, User.Role.PARTNERSHIP_MANAGER), ben)
    assert not sees(make_user(family.csc, User.Role.CSC_MANAGER), ben)


def test_a_sealed_person_is_a_404_on_their_page(client, family):
    Person.objects.filter(pk=family.ben.pk).update(sealed=True)
    client.force_login(make_user(family.hv))
    assert client.get(reverse("people:person", args=[family.ben.pk])).status_code == 404


# ---------------------------------------------------------------------------
# The household level


def test_an_agency_sees_the_other_members_of_households_it_knows_unless_turned_off(
    family, settings
):
    school = make_user(family.school)  # knows Ava, not her brother Ben
    assert sees(school, family.ben)
    assert not reads_chronology_of(school, family.ben)  # that he exists, not his entries
    settings.THINKFAMILY_HOUSEHOLD_MEMBERS = "none"
    assert not sees(school, family.ben)
    assert sees(school, family.ava)


def test_an_unknown_household_level_is_a_clear_error(family, settings):
    settings.THINKFAMILY_HOUSEHOLD_MEMBERS = "everything"
    with pytest.raises(ValueError, match="THINKFAMILY_HOUSEHOLD_MEMBERS"):
        sees(make_user(family.school), family.ben)


# ---------------------------------------------------------------------------
# Break-glass


def test_break_glass_opens_a_person_for_a_while_and_flags_every_look(client, family):
    police = make_user(family.police)  # the police know Finn and Gus, not Mia
    mia = family.mia
    make_event(mia, family.school, summary="Attendance meeting.")
    assert not sees(police, mia)

    opening = break_glass_open(user=police, person=mia, reason=REASON)

    assert sees(police, mia) and reads_chronology_of(police, mia)
    assert access_reason(police, mia) == f"break-glass: {REASON}"
    assert Event.objects.filter(person=mia).visible_to(police).count() == 1
    granted = AuditEvent.objects.get(action=AuditEvent.Action.BREAK_GLASS)
    assert granted.object_id == str(mia.pk) and granted.detail["break_glass"] is True
    client.force_login(police)
    page = client.get(mia.get_absolute_url())
    assert page.status_code == 200 and "by break-glass" in page.content.decode()
    look = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSON).latest("id")
    assert look.reason.startswith("break-glass: ")
    assert opening.expires_at - opening.opened_at == dt.timedelta(hours=4)


def test_break_glass_expires(family, settings):
    settings.THINKFAMILY_BREAK_GLASS_HOURS = 2
    police = make_user(family.police)
    five_hours_ago = timezone.now() - dt.timedelta(hours=5)
    break_glass_open(user=police, person=family.mia, reason=REASON, now=five_hours_ago)
    assert not sees(police, family.mia)
    assert not reads_chronology_of(police, family.mia)


@pytest.mark.parametrize("role", [User.Role.AUDITOR, User.Role.SYSTEM_ADMINISTRATOR])
def test_break_glass_is_refused_to_roles_without_case_access(family, role):
    someone = make_user(family.police if role != "sysadmin" else None, role)
    with pytest.raises(ApplicationError):
        break_glass_open(user=someone, person=family.mia, reason=REASON)
    assert not BreakGlassAccess.objects.exists()


def test_break_glass_needs_a_real_reason_and_never_opens_a_sealed_person(family):
    police = make_user(family.police)
    with pytest.raises(ApplicationError) as short:
        break_glass_open(user=police, person=family.mia, reason="urgent")
    assert "reason" in short.value.extra
    Person.objects.filter(pk=family.mia.pk).update(sealed=True)
    mia = Person.objects.get(pk=family.mia.pk)
    with pytest.raises(ApplicationError):
        break_glass_open(user=police, person=mia, reason=REASON)
    assert person_for_break_glass(identifier=str(mia.pk)) is None
    assert not BreakGlassAccess.objects.exists()


def test_the_break_glass_page_says_nothing_about_who_exists_before_a_reason_is_given(
    client, family
):
    client.force_login(make_user(family.police))
    url = reverse("people:break_glass")
    thin = client.post(url, {"identifier": str(family.mia.pk), "reason": "now"})
    nobody = client.post(url, {"identifier": "987654", "reason": "now"})
    assert thin.status_code == nobody.status_code == 400
    assert "Nobody you may open" not in thin.content.decode()
    assert "Nobody you may open" not in nobody.content.decode()
    opened = client.post(url, {"identifier": str(family.mia.pk), "reason": REASON})
    assert opened.status_code == 302 and opened["Location"] == family.mia.get_absolute_url()


def test_openings_land_on_the_review_list_of_the_users_agency_managers(client, family):
    constable = make_user(family.police)
    sergeant = make_user(family.police, User.Role.MANAGER)
    other_manager = make_user(family.gp, User.Role.MANAGER)
    opening = break_glass_open(user=constable, person=family.mia, reason=REASON)

    assert list(break_glass_reviews_for(viewer=sergeant)) == [opening]
    assert list(break_glass_reviews_for(viewer=other_manager)) == []
    assert list(break_glass_reviews_for(viewer=constable)) == []
    client.force_login(sergeant)
    assert REASON in client.get(reverse("people:break_glass_reviews")).content.decode()
    client.force_login(constable)
    assert client.get(reverse("people:break_glass_reviews")).status_code == 404

    with pytest.raises(ApplicationError) as no_note:
        break_glass_review(opening=opening, by=sergeant, outcome="not_justified", note="")
    assert "note" in no_note.value.extra
    with pytest.raises(ApplicationError):
        break_glass_review(opening=opening, by=other_manager, outcome="justified", note="")
    reviewed = break_glass_review(opening=opening, by=sergeant, outcome="justified", note="")
    assert reviewed.reviewed_by == sergeant
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_BREAK_GLASS).count() == 1
    with pytest.raises(ApplicationError):
        break_glass_review(opening=opening, by=sergeant, outcome="justified", note="")


def test_a_manager_does_not_review_their_own_opening(family):
    sergeant = make_user(family.police, User.Role.MANAGER)
    opening = break_glass_open(user=sergeant, person=family.mia, reason=REASON)
    assert list(break_glass_reviews_for(viewer=sergeant)) == []
    with pytest.raises(ApplicationError):
        break_glass_review(opening=opening, by=sergeant, outcome="justified", note="")


def test_the_demo_break_glass_opening_waits_for_the_sergeants_review(family):
    from thinkfamily.core.demo import DemoFamily
    from thinkfamily.people.demo import demo_break_glass

    make_user(family.police, username="police")
    sergeant = make_user(family.police, User.Role.MANAGER, username="police.sergeant")
    demo = DemoFamily(family.ava, family.ben, family.school, family.hv, family.gp)

    opening = demo_break_glass(family=demo)

    assert opening is not None and opening.person == family.ben  # the police do not know Ben
    assert list(break_glass_reviews_for(viewer=sergeant)) == [opening]
    assert demo_break_glass(family=demo) == opening  # safe to run again
