import datetime as dt

import pytest

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.people.models import HouseholdMembership
from thinkfamily.people.tests.factories import (
    make_event,
    make_household,
    make_person_with_record,
    make_user,
)
from thinkfamily.prompts.models import Prompt, PromptTrigger
from thinkfamily.prompts.services import (
    concern_record,
    new_adult_prompts_raise,
    prompt_answer,
    prompts_reconcile,
    sibling_prompts_raise,
)
from thinkfamily.prompts.tests.family import TODAY, carter_family, concern, moment, years_ago

pytestmark = pytest.mark.django_db
NOW = moment(TODAY, 14)


def prompted(kind: str = Prompt.Kind.SIBLING) -> dict[str, Prompt]:
    return {p.person.given_name: p for p in Prompt.objects.filter(kind=kind)}


def test_a_concern_prompts_every_kind_of_sibling_and_not_the_child_itself():
    family = carter_family()
    result = sibling_prompts_raise(concerns=[concern(family.ava, family.school)], now=NOW)

    assert sorted(p.person.given_name for p in result.created) == [
        "Baby",
        "Ben",
        "Eve",
        "Gus",
        "Mia",
    ]
    by_name = prompted()
    assert by_name["Ben"].connection == "lives in the same household"
    assert by_name["Eve"].connection == "lives in the same household"  # at her father's
    assert by_name["Mia"].connection == "half-sibling"
    assert by_name["Gus"].connection == "child of a parent or an adult of the household"
    assert "Ava" not in by_name and "Jade" not in by_name and "Finn" not in by_name


def test_a_child_in_two_households_prompts_the_children_of_both():
    family = carter_family()
    sibling_prompts_raise(concerns=[concern(family.ava, family.school)], now=NOW)
    by_name = prompted()
    assert by_name["Ben"].household == family.home
    assert by_name["Eve"].household == family.dads


def test_a_concern_reaches_a_child_who_stays_in_two_homes_but_not_the_other_homes_children():
    family = carter_family()
    # Eve lives with Ava's father. Her concern reaches Ava, who stays there; Ben is no
    # relation of Eve's and lives only at his mother's, so it does not reach him.
    sibling_prompts_raise(concerns=[concern(family.eve, family.school)], now=NOW)
    assert set(prompted()) == {"Ava"}


def test_each_prompt_names_the_concern_and_why_the_sibling_matters():
    family = carter_family()
    make_event(family.ben, family.hv, occurred_on=dt.date(2026, 6, 1), seen_in_person=True)
    the_concern = concern(family.ava, family.school)
    sibling_prompts_raise(concerns=[the_concern], now=NOW)
    ben = prompted()["Ben"]
    assert ben.concern == the_concern
    assert ben.preschool
    assert ben.reason.startswith("2 years old (preschool); last seen in person 178 days ago")
    assert "North Health Visiting" in ben.reason and "Ava Carter" in ben.reason
    assert "Brookfield School recorded a concern on 26 Nov 2026" in ben.reason


def test_prompts_go_to_every_agency_knowing_the_sibling_and_to_csc_involved_with_the_family():
    family = carter_family()
    sibling_prompts_raise(concerns=[concern(family.ava, family.school)], now=NOW)
    by_name = prompted()

    def routed(name: str) -> dict[str, str]:
        return {r.agency.code: r.why for r in by_name[name].recipients.all()}

    assert routed("Ben") == {
        "HV-NORTH": "knows the child",
        "GP-A81001": "knows the child",
        "CSC": "children's social care is involved with the family",
    }
    assert routed("Baby") == {
        "MW-COUNTY": "knows the child",
        "CSC": "children's social care is involved with the family",
    }
    # Gus's family (his mother's home) is not known to CSC; Jade is, through Ava's home.
    assert set(routed("Gus")) == {"SCH-BROOKFIELD", "POLICE", "CSC"}


def test_the_same_concern_raised_again_prompts_nobody_twice():
    family = carter_family()
    the_concern = concern(family.ava, family.school, external_id="SCH-EV-1")
    first = sibling_prompts_raise(concerns=[the_concern], now=NOW)
    again = sibling_prompts_raise(concerns=[the_concern], now=NOW)
    assert len(first.created) == 5
    assert again.created == [] and again.added_to == []
    assert Prompt.objects.count() == 5


def test_a_second_concern_in_the_household_joins_the_open_prompt_not_a_new_one():
    family = carter_family()
    first = concern(family.ava, family.school)
    second = concern(family.ava, family.school, TODAY - dt.timedelta(days=1))
    sibling_prompts_raise(concerns=[first], now=NOW)
    result = sibling_prompts_raise(concerns=[second], now=NOW)
    assert result.created == []
    ben = prompted()["Ben"]
    assert set(ben.triggers.values_list("event_id", flat=True)) == {first.pk, second.pk}
    assert Prompt.objects.filter(person=family.ben).count() == 1


def test_two_concerns_at_once_on_two_siblings_prompt_the_third_child_once():
    family = carter_family()
    result = sibling_prompts_raise(
        concerns=[concern(family.ava, family.school), concern(family.ben, family.hv)], now=NOW
    )
    assert Prompt.objects.filter(person=family.unborn).count() == 1
    assert PromptTrigger.objects.filter(prompt__person=family.unborn).count() == 2
    # Ava and Ben prompted about each other.
    assert {"Ava", "Ben"} <= {p.person.given_name for p in result.created}


def test_an_answered_prompt_is_not_reopened_by_the_same_concern_but_a_new_concern_asks_again():
    family = carter_family()
    hv_user = make_user(family.hv)
    first = concern(family.ava, family.school)
    sibling_prompts_raise(concerns=[first], now=NOW)
    prompt_answer(
        prompt=prompted()["Ben"], by=hv_user, response=Prompt.Response.NO_CONCERN, note="Seen."
    )
    assert sibling_prompts_raise(concerns=[first], now=NOW).created == []
    later = concern(family.ava, family.school)
    again = sibling_prompts_raise(concerns=[later], now=NOW)
    assert [p.person for p in again.created] == [family.ben]


def test_a_concern_about_an_adult_is_recorded_but_prompts_no_siblings():
    family = carter_family()
    user = make_user(family.gp)
    result = concern_record(
        person=family.jade,
        by=user,
        occurred_at=NOW,
        category=Event.Category.DOMESTIC_ABUSE,
        summary="Disclosed fear of partner.",
    )
    assert Event.objects.filter(pk=result.concern.pk, person=family.jade).exists()
    assert result.prompts.created == [] and Prompt.objects.count() == 0


def test_an_old_concern_is_history_and_prompts_nobody():
    family = carter_family()
    old = concern(family.ava, family.school, TODAY - dt.timedelta(days=91))
    assert sibling_prompts_raise(concerns=[old], now=NOW).created == []


def test_recording_a_concern_on_the_form_stores_it_with_its_prompts_and_audits_it():
    family = carter_family()
    dsl = make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    result = concern_record(
        person=family.ava,
        by=dsl,
        occurred_at=NOW,
        category=Event.Category.NEGLECT,
        summary="Hungry every morning.",
        seen_in_person=True,
    )
    assert result.concern.record == family.ava.records.get(agency=family.school)
    assert len(result.prompts.created) == 5
    entry = AuditEvent.objects.get(action=AuditEvent.Action.RECORD_CONCERN)
    assert entry.actor == dsl and entry.detail["event"] == result.concern.pk
    assert sorted(entry.detail["sibling_prompts"]) == sorted(p.pk for p in result.prompts.created)


def test_a_concern_form_with_bad_values_names_each_field_and_stores_nothing():
    family = carter_family()
    dsl = make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD)
    with pytest.raises(ApplicationError) as refused:
        concern_record(
            person=family.ava,
            by=dsl,
            occurred_at=NOW + dt.timedelta(days=2),
            category="rumour",
            summary="  ",
        )
    assert set(refused.value.extra) == {"occurred_at", "category", "summary"}
    assert not Event.objects.exists() and not Prompt.objects.exists()


@pytest.mark.parametrize("role", [User.Role.REVIEWER, User.Role.AUDITOR])
def test_read_only_roles_may_not_record_a_concern(role):
    family = carter_family()
    with pytest.raises(ApplicationError):
        concern_record(
            person=family.ava,
            by=make_user(family.school, role),
            occurred_at=NOW,
            category=Event.Category.NEGLECT,
            summary="x",
        )


def test_an_agency_that_does_not_know_the_child_may_not_record_a_concern():
    family = carter_family()
    with pytest.raises(ApplicationError):
        concern_record(
            person=family.gus,
            by=make_user(family.midwifery),
            occurred_at=NOW,
            category=Event.Category.NEGLECT,
            summary="x",
        )


# --- order does not matter ------------------------------------------------------------


def test_a_child_who_joins_the_household_later_is_prompted_by_the_recent_concern():
    family = carter_family()
    sibling_prompts_raise(concerns=[concern(family.ava, family.school)], now=NOW)
    cousin = make_person_with_record(family.gp, "Kai", "Carter", years_ago(3))
    HouseholdMembership.objects.create(
        household=family.home, person=cousin, role="child", reported_by=family.gp
    )
    result = prompts_reconcile(now=NOW)
    assert result.sibling_prompts_created == 1
    assert Prompt.objects.get(person=cousin).concern.person == family.ava
    assert prompts_reconcile(now=NOW).sibling_prompts_created == 0  # idempotent


def test_a_concern_arriving_before_the_household_is_known_prompts_once_it_is():
    family = carter_family()
    stranger = make_person_with_record(family.hv, "Zac", "Moss", years_ago(1))
    concern(family.ava, family.school)
    assert prompts_reconcile(now=NOW).sibling_prompts_created == 5
    make_household([(stranger, "child")], reported_by=family.gp, address="12 Acacia Road")
    HouseholdMembership.objects.create(
        household=family.home, person=stranger, role="child", reported_by=family.hv
    )
    assert prompts_reconcile(now=NOW).sibling_prompts_created == 1


# --- new adults ------------------------------------------------------------------------


def test_an_adult_joining_a_household_with_children_raises_one_new_adult_prompt():
    family = carter_family()
    lodger = make_person_with_record(family.police, "Rory", "Vance", years_ago(40), sex="M")
    joined = HouseholdMembership.objects.create(
        household=family.home,
        person=lodger,
        role="other_adult",
        reported_by=family.police,
        start_date=TODAY,
    )
    result = new_adult_prompts_raise(memberships=[joined], now=NOW)
    assert [p.person for p in result.created] == [lodger]
    prompt = result.created[0]
    assert prompt.kind == Prompt.Kind.NEW_ADULT and prompt.household == family.home
    assert prompt.preschool  # Ben and the unborn baby live there
    assert {r.agency.code for r in prompt.recipients.all()} == {
        "SCH-BROOKFIELD",
        "GP-A81001",
        "HV-NORTH",
        "MW-COUNTY",
        "CSC",
    }
    assert "Joined a household with 3 children on 26 Nov 2026" in prompt.reason
    assert new_adult_prompts_raise(memberships=[joined], now=NOW).created == []


def test_an_adult_joining_a_household_without_children_raises_nothing():
    family = carter_family()
    adult = make_person_with_record(family.police, "Rory", "Vance", years_ago(40))
    alone = make_household([(family.leon, "parent")], reported_by=family.gp, address="Flat 2")
    joined = HouseholdMembership.objects.create(
        household=alone, person=adult, role="partner", reported_by=family.police
    )
    assert new_adult_prompts_raise(memberships=[joined], now=NOW).created == []


# --- answering -------------------------------------------------------------------------


def raised_for_ben():
    family = carter_family()
    sibling_prompts_raise(concerns=[concern(family.ava, family.school)], now=NOW)
    return family, prompted()["Ben"]


def test_a_receiving_agency_answers_a_prompt_and_it_is_audited():
    family, prompt = raised_for_ben()
    hv_user = make_user(family.hv)
    answered = prompt_answer(
        prompt=prompt,
        by=hv_user,
        response=Prompt.Response.ACTION_TAKEN,
        action_taken="Home visit booked for Monday.",
        note="Ben not seen since June.",
    )
    assert answered.status == Prompt.Status.ANSWERED
    assert answered.answered_for == family.hv and answered.answered_by == hv_user
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ANSWER_PROMPT, actor=hv_user).exists()


def test_answering_a_prompt_already_answered_is_refused_with_who_answered():
    family, prompt = raised_for_ben()
    prompt_answer(prompt=prompt, by=make_user(family.hv), response="no_concern", note="Seen.")
    with pytest.raises(ApplicationError, match="already answered by North Health Visiting"):
        prompt_answer(prompt=prompt, by=make_user(family.gp), response="no_concern", note="Ok.")


def test_an_agency_the_prompt_was_not_sent_to_may_not_answer_it():
    family, prompt = raised_for_ben()
    with pytest.raises(ApplicationError, match="agency this prompt was sent to"):
        prompt_answer(prompt=prompt, by=make_user(family.school), response="no_concern", note="x")
    prompt.refresh_from_db()
    assert prompt.status == Prompt.Status.OPEN


def test_an_answer_needs_a_response_a_note_and_for_action_taken_what_was_done():
    family, prompt = raised_for_ben()
    with pytest.raises(ApplicationError) as refused:
        prompt_answer(prompt=prompt, by=make_user(family.hv), response="action_taken", note=" ")
    assert set(refused.value.extra) == {"action_taken", "note"}
    with pytest.raises(ApplicationError) as refused:
        prompt_answer(prompt=prompt, by=make_user(family.hv), response="shrug", note="x")
    assert set(refused.value.extra) == {"response"}


# --- overdue in working days -----------------------------------------------------------


def test_a_prompt_raised_on_christmas_eve_is_due_after_five_working_days():
    family = carter_family()
    christmas_eve = moment(dt.date(2026, 12, 24), 9)
    sibling_prompts_raise(
        concerns=[concern(family.ava, family.school, dt.date(2026, 12, 24))], now=christmas_eve
    )
    ben = prompted()["Ben"]
    # 29, 30, 31 December, (1 January a bank holiday, then the weekend), 4, 5 January.
    assert ben.due_on == dt.date(2027, 1, 5)
    assert not ben.is_overdue_on(dt.date(2027, 1, 5))
    assert ben.is_overdue_on(dt.date(2027, 1, 6))
    assert list(Prompt.objects.overdue_on(dt.date(2027, 1, 6)).filter(pk=ben.pk)) == [ben]


def test_csc_involved_only_with_a_sibling_s_other_home_is_sent_that_sibling_s_prompt():
    family = carter_family()
    family.jade.records.filter(agency=family.csc).delete()
    nina = make_person_with_record(family.csc, "Nina", "Doyle", years_ago(30), sex="F")
    HouseholdMembership.objects.create(
        household=family.finns, person=nina, role="parent", reported_by=family.csc
    )
    sibling_prompts_raise(concerns=[concern(family.ava, family.school)], now=NOW)
    by_name = prompted()
    assert "CSC" in {r.agency.code for r in by_name["Gus"].recipients.all()}
    assert "CSC" not in {r.agency.code for r in by_name["Ben"].recipients.all()}


def test_referral_made_links_a_referral_the_agency_made_with_the_child_on_it():
    from thinkfamily.referrals.tests.helpers import gp_refers

    family, prompt = raised_for_ben()
    gp_user = make_user(family.gp)
    with pytest.raises(ApplicationError) as refused:
        prompt_answer(prompt=prompt, by=gp_user, response="referral_made", note="Referred.")
    assert refused.value.extra == {"referral": "Choose the referral you made for this child."}
    referral = gp_refers(family)
    answered = prompt_answer(
        prompt=prompt, by=gp_user, response="referral_made", note="Referred.", referral=referral
    )
    assert answered.referral == referral


def test_referral_made_refuses_another_agency_s_referral_or_one_without_the_child():
    from thinkfamily.referrals.tests.helpers import gp_refers

    family, prompt = raised_for_ben()
    referral = gp_refers(family)
    hv_user = make_user(family.hv)
    with pytest.raises(ApplicationError) as refused:
        prompt_answer(
            prompt=prompt, by=hv_user, response="referral_made", note="x", referral=referral
        )
    assert refused.value.extra == {
        "referral": "Choose a referral your agency made with this child kept on it."
    }
