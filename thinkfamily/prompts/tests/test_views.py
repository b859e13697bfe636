import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.events.models import Event
from thinkfamily.people.models import Person
from thinkfamily.people.tests.factories import make_agency, make_event, make_user
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.services import sibling_prompts_raise
from thinkfamily.prompts.tests.family import carter_family, concern

pytestmark = pytest.mark.django_db

SUMMARY = "Arrived hungry and in the same clothes all week."


@pytest.fixture
def family():
    family = carter_family()
    # Yesterday, not today: a concern "today at 10:00" lies in the future before 10:00,
    # and a concern in the future raises nothing and is in no report.
    yesterday = dt.date.today() - dt.timedelta(days=1)
    sibling_prompts_raise(concerns=[concern(family.ava, family.school, yesterday)])
    return family


def ben_prompt(family) -> Prompt:
    return Prompt.objects.get(person=family.ben)


def signed_in(client, user):
    client.force_login(user)
    return client


def test_an_agency_sees_the_prompts_routed_to_it_on_its_worklist(client, family):
    page = signed_in(client, make_user(family.hv)).get(reverse("prompts:worklist"))
    assert page.status_code == 200
    assert "Ben Carter" in page.text and "Preschool" in page.text
    assert "Gus Doyle" not in page.text  # routed to the school and police, not health visiting
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_WORKLIST).exists()


def test_an_agency_the_prompt_was_not_sent_to_gets_a_404(client, family):
    page = signed_in(client, make_user(family.midwifery)).get(ben_prompt(family).get_absolute_url())
    assert page.status_code == 404


def test_the_prompt_names_the_concern_but_not_its_details_to_an_agency_that_may_not_read_it(
    client, family
):
    page = signed_in(client, make_user(family.hv)).get(ben_prompt(family).get_absolute_url())
    assert page.status_code == 200
    assert "Brookfield School" in page.text and "Ava Carter" in page.text
    assert SUMMARY not in page.text
    assert "Not shown to you" in page.text


def test_children_s_social_care_reads_the_concern_behind_the_prompt(client, family):
    worker = make_user(family.csc, User.Role.CSC_WORKER)
    page = signed_in(client, worker).get(ben_prompt(family).get_absolute_url())
    assert SUMMARY in page.text


def test_answering_a_prompt_on_the_page_then_again_is_refused_with_a_message(client, family):
    prompt = ben_prompt(family)
    hv = signed_in(client, make_user(family.hv))
    answer = {"response": "action_taken", "action_taken": "Home visit booked.", "note": "Ok."}
    response = hv.post(prompt.get_absolute_url(), answer)
    assert response.status_code == 302
    prompt.refresh_from_db()
    assert prompt.status == Prompt.Status.ANSWERED
    again = hv.post(prompt.get_absolute_url(), answer)
    assert again.status_code == 400
    assert "already answered by North Health Visiting" in again.text


def test_an_answer_without_what_was_done_shows_the_error_against_the_field(client, family):
    prompt = ben_prompt(family)
    page = signed_in(client, make_user(family.hv)).post(
        prompt.get_absolute_url(), {"response": "action_taken", "note": "x"}
    )
    assert page.status_code == 400
    assert "Enter what action was taken" in page.text
    assert Prompt.objects.get(pk=prompt.pk).status == Prompt.Status.OPEN


def test_a_school_records_a_concern_on_the_form_and_the_siblings_are_prompted(client):
    family = carter_family()
    dsl = make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    url = reverse("prompts:concern_new", args=[family.ava.pk])
    form = signed_in(client, dsl).get(url)
    assert form.status_code == 200 and "Record a concern" in form.text
    response = client.post(
        url,
        {
            "occurred_on": dt.date.today().isoformat(),
            "category": "neglect",
            "summary": "Hungry again.",
            "seen_in_person": "yes",
            "restricted": "no",
        },
    )
    assert response.status_code == 302
    assert Event.objects.filter(
        person=family.ava, event_type="concern", seen_in_person=True
    ).exists()
    assert Prompt.objects.filter(concern__person=family.ava).count() == 5


def test_a_concern_form_with_errors_names_each_field(client):
    family = carter_family()
    dsl = make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    page = signed_in(client, dsl).post(
        reverse("prompts:concern_new", args=[family.ava.pk]), {"occurred_on": tomorrow}
    )
    assert page.status_code == 400
    for message in (
        "The date of the concern must be today or in the past",
        "Select what the concern is about",
        "Describe the concern",
        "Select whether you saw the child in person",
    ):
        assert message in page.text
    assert not Event.objects.exists()


def test_the_concern_form_is_refused_to_an_auditor_and_hidden_from_strangers(client):
    family = carter_family()
    url = reverse("prompts:concern_new", args=[family.ava.pk])
    assert (
        signed_in(client, make_user(family.school, User.Role.AUDITOR)).get(url).status_code == 403
    )
    stranger = make_agency("HOUSING-EAST", "housing")
    assert signed_in(client, make_user(stranger)).get(url).status_code == 404


def test_the_person_page_shows_visibility_and_open_prompts(client, family):
    make_event(family.ben, family.hv, occurred_on=dt.date(2026, 6, 1), seen_in_person=True)
    page = signed_in(client, make_user(family.hv)).get(family.ben.get_absolute_url())
    assert "Last seen in person 1 June 2026" in page.text
    assert "known to 2 agencies" in page.text
    assert "Open prompts about this person" in page.text


def test_response_rates_are_for_partnership_managers_only(client, family):
    manager = make_user(family.csc, User.Role.PARTNERSHIP_MANAGER)
    page = signed_in(client, manager).get(reverse("prompts:response_rates"))
    assert page.status_code == 200 and "North Health Visiting" in page.text
    for role in (User.Role.CSC_MANAGER, User.Role.PRACTITIONER, User.Role.AUDITOR):
        other = make_user(family.csc, role)
        assert signed_in(client, other).get(reverse("prompts:response_rates")).status_code == 404


def test_invisible_children_lists_unseen_children_of_a_family_with_a_concern(client, family):
    yesterday = dt.date.today() - dt.timedelta(days=1)
    make_event(family.ava, family.school, occurred_on=yesterday, seen_in_person=True)
    worker = make_user(family.csc, User.Role.CSC_WORKER)
    page = signed_in(client, worker).get(reverse("prompts:invisible_children"))
    assert page.status_code == 200
    text = page.text
    assert "Ben Carter" in text and "Eve Ward" in text
    assert "Ava Carter" not in text  # seen yesterday
    assert "Gus Doyle" not in text  # not in a household with the concern
    assert text.index("Ben Carter") < text.index("Eve Ward")  # preschool first


def test_prompts_command_prints_the_open_prompts_as_json(family, capsys):
    call_command("prompts", "--agency", "HV-NORTH", "--json")
    listed = json.loads(capsys.readouterr().out)
    assert [p["person"]["given_name"] for p in listed] == ["Ben"]
    ben = listed[0]
    assert ben["kind"] == "sibling"
    assert ben["routed_to"] == ["CSC", "GP-A81001", "HV-NORTH"]
    assert {r["agency"] for r in ben["person"]["records"]} == {"GP-A81001", "HV-NORTH"}
    assert ben["priority"] == {"preschool": True, "days_since_seen_in_person": None}
    assert ben["raised_by"]["type"] == "concern"
    assert ben["raised_by"]["agency"] == "SCH-BROOKFIELD"
    assert ben["person"]["date_of_birth"] == family.ben.date_of_birth.isoformat()


def test_prompts_command_orders_preschool_first_and_refuses_an_unknown_agency(family, capsys):
    call_command("prompts", "--json")
    listed = json.loads(capsys.readouterr().out)
    preschool = [p["priority"]["preschool"] for p in listed]
    assert preschool == sorted(preschool, reverse=True) and preschool[0]
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no agency has the code"):
        call_command("prompts", "--agency", "NOPE")


def test_the_per_page_access_check_agrees_with_the_set_rule_for_every_agency(family):
    """people_visible_among (a few people, walked out from them) and visible_to (everyone an
    agency may see) are one rule asked two ways: they must give the same answer."""
    from thinkfamily.accounts.models import Agency
    from thinkfamily.people.models import Person, people_visible_among

    everyone = list(Person.objects.values_list("pk", flat=True))
    for agency in Agency.objects.all():
        for role in (User.Role.PRACTITIONER, User.Role.CSC_WORKER):
            user = make_user(agency, role)
            expected = set(Person.objects.visible_to(user).values_list("pk", flat=True))
            assert people_visible_among(user, everyone) == expected, (agency.code, role)
    sysadmin = make_user(None, User.Role.SYSTEM_ADMINISTRATOR)
    assert people_visible_among(sysadmin, everyone) == set()


def test_answering_referral_made_on_the_page_offers_and_links_the_agency_s_referral(client, family):
    from thinkfamily.referrals.tests.helpers import gp_refers

    prompt = ben_prompt(family)
    gp = signed_in(client, make_user(family.gp))
    missing = gp.post(prompt.get_absolute_url(), {"response": "referral_made", "note": "Done."})
    assert missing.status_code == 400
    assert "Choose the referral you made for this child" in missing.text
    referral = gp_refers(family)
    page = gp.get(prompt.get_absolute_url())
    assert f"Referral {referral.pk}, made" in page.text
    answered = gp.post(
        prompt.get_absolute_url(),
        {"response": "referral_made", "note": "Done.", "referral": str(referral.pk)},
    )
    assert answered.status_code == 302
    prompt.refresh_from_db()
    assert prompt.referral == referral


# ---------------------------------------------------------------------------
# A sealed child


def test_a_prompt_about_a_sealed_child_is_a_404_to_the_health_visitor_and_shown_to_the_csc_manager(
    client, family
):
    prompt = ben_prompt(family)
    Person.objects.filter(pk=family.ben.pk).update(sealed=True)
    hv = signed_in(client, make_user(family.hv))
    assert hv.get(prompt.get_absolute_url()).status_code == 404
    worklist = hv.get(reverse("prompts:worklist"))
    assert worklist.status_code == 200 and "Ben Carter" not in worklist.text
    answered = hv.post(
        prompt.get_absolute_url(), {"response": "no_concern", "note": "Seen at clinic."}
    )
    assert answered.status_code == 404
    assert Prompt.objects.get(pk=prompt.pk).status == Prompt.Status.OPEN
    manager = signed_in(client, make_user(family.csc, User.Role.CSC_MANAGER))
    page = manager.get(prompt.get_absolute_url())
    assert page.status_code == 200 and "Ben Carter" in page.text
