"""The referral pages: making a referral, each step on the referral page, and the worklist.

Every refusal is shown against its question (400), or in the error summary
when the step itself is refused: 403 for someone who may not take it, 409
for a page overtaken by someone else's step. A referral the viewer may not
see is a 404.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from thinkfamily.accounts.backends import ACT_ON_REFERRAL
from thinkfamily.accounts.models import User
from thinkfamily.people.models import Person
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import carter_family
from thinkfamily.referrals.models import Referral, ReferralChild
from thinkfamily.referrals.services import (
    referral_acknowledge,
    referral_close,
    referral_confirm_family_awareness,
    referral_decide,
)
from thinkfamily.referrals.tests.helpers import (
    NOT_TOLD_RISK,
    decided,
    gp_refers,
    referral_record_visit_intention,
    sent_without_telling,
    social_worker,
)

pytestmark = pytest.mark.django_db

NEW = reverse("referrals:new")


@pytest.fixture
def family():
    return carter_family()


def signed_in(client, user):
    client.force_login(user)
    return client


def referral_form(family, **answers) -> dict:
    """What a GP types to refer Ava and Ben, told the family; ``answers`` change any of it."""
    data = {
        "children": [str(family.ava.pk), str(family.ben.pk)],
        f"removal_reason_{family.unborn.pk}": "Not yet born; midwifery is aware.",
        "concerns": "Ben has lost weight; Ava says there is often no food.",
        "categories": ["neglect"],
        "done_so_far": "Weighed Ben; booked a review.",
        "family_informed": "yes",
        "informed_on": "20 11 2026",
        "informed_by_name": "Dr Gita Practice, GP",
        "informed_how": "in_person",
        "family_response": "Mother agreed and asked for help with housing.",
    }
    return data | answers


def error_summary_links(page) -> list[str]:
    summary = page.text.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="(#[^"]+)"', summary)


def step(client, referral, name, version=None, **answers):
    """Post one step from the referral page, as showing ``version`` (the current one if None)."""
    referral.refresh_from_db()
    data = {"step": name, "version": referral.version if version is None else version}
    return client.post(referral.get_absolute_url(), data | answers)


# --- making a referral -----------------------------------------------------------------


def test_the_form_lists_every_child_living_in_the_household_each_kept_by_default(client, family):
    page = signed_in(client, make_user(family.gp)).get(NEW, {"household": family.home.pk})
    assert page.status_code == 200
    for child in (family.ava, family.ben, family.unborn):
        assert re.search(rf'name="children" type="checkbox" value="{child.pk}" checked', page.text)
        assert f'name="removal_reason_{child.pk}"' in page.text
    assert "Baby Carter" in page.text and "Unborn, expected" in page.text
    for not_a_child_here in ("Jade Carter", "Finn Doyle", "Eve Ward", "Gus Doyle"):
        assert not_a_child_here not in page.text


def test_started_from_a_child_the_form_lists_the_children_of_each_of_their_homes(client, family):
    page = signed_in(client, make_user(family.gp)).get(NEW, {"person": family.ava.pk})
    assert page.status_code == 200
    listed = re.findall(r'name="children" type="checkbox" value="(\d+)"', page.text)
    # Ava first, then the children of both her homes, youngest first.
    assert listed == [str(p.pk) for p in (family.ava, family.unborn, family.ben, family.eve)]


def test_a_referral_with_the_family_told_is_sent_to_children_s_social_care(client, family):
    gp = signed_in(client, make_user(family.gp))
    response = gp.post(f"{NEW}?household={family.home.pk}", referral_form(family))
    referral = Referral.objects.get()
    assert response.status_code == 302 and response.url == referral.get_absolute_url()
    assert referral.status == Referral.Status.RECEIVED and referral.household == family.home
    assert referral.informed_by_name == "Dr Gita Practice, GP"
    removed = referral.children.get(included=False)
    assert removed.person == family.unborn and removed.removal_reason.startswith("Not yet born")
    page = gp.get(response.url)
    assert "Sent to children&#x27;s social care." in page.text


def test_removing_a_child_without_a_reason_is_refused_against_that_child(client, family):
    gp = signed_in(client, make_user(family.gp))
    answers = referral_form(family, **{f"removal_reason_{family.unborn.pk}": ""})
    page = gp.post(f"{NEW}?household={family.home.pk}", answers)
    assert page.status_code == 400
    assert "Enter why Baby Carter is not on the referral" in page.text
    assert f"#id_removal_reason_{family.unborn.pk}" in error_summary_links(page)
    assert not Referral.objects.exists()


def test_the_family_informed_question_left_unanswered_is_refused_naming_it(client, family):
    gp = signed_in(client, make_user(family.gp))
    page = gp.post(f"{NEW}?household={family.home.pk}", referral_form(family, family_informed=""))
    assert page.status_code == 400
    assert "Select whether the family has been told about this referral" in page.text
    assert error_summary_links(page) == ["#id_family_informed"]
    assert not Referral.objects.exists()


def test_an_empty_referral_lists_every_problem_against_its_question(client, family):
    gp = signed_in(client, make_user(family.gp))
    page = gp.post(f"{NEW}?household={family.home.pk}", {})
    assert page.status_code == 400
    assert error_summary_links(page) == [
        "#id_children",
        *(f"#id_removal_reason_{c.pk}" for c in (family.unborn, family.ben, family.ava)),
        "#id_concerns",
        "#id_categories",
        "#id_done_so_far",
        "#id_family_informed",
    ]
    assert "Keep at least one child on the referral" in page.text


def test_told_needs_when_by_whom_how_and_their_response(client, family):
    gp = signed_in(client, make_user(family.gp))
    answers = referral_form(
        family, informed_on="", informed_by_name="", informed_how="", family_response=""
    )
    page = gp.post(f"{NEW}?household={family.home.pk}", answers)
    assert page.status_code == 400
    assert error_summary_links(page) == [
        "#id_informed_on",
        "#id_informed_by_name",
        "#id_informed_how",
        "#id_family_response",
    ]


def test_a_date_that_is_not_a_date_is_refused_against_it(client, family):
    gp = signed_in(client, make_user(family.gp))
    page = gp.post(f"{NEW}?household={family.home.pk}", referral_form(family, informed_on="soon"))
    assert page.status_code == 400
    assert "Enter the date the family was told as day month year" in page.text


@pytest.mark.parametrize(
    ("reason", "field", "message"),
    [
        ("", "not_informed_reason", "Select why the family was not told"),
        ("could_not_contact", "contact_attempts", "Enter the attempts made to contact the family"),
        ("other", "not_informed_detail", "Enter why the family was not told"),
    ],
)
def test_not_told_needs_a_reason_and_its_detail(client, family, reason, field, message):
    gp = signed_in(client, make_user(family.gp))
    answers = referral_form(family, family_informed="no", not_informed_reason=reason)
    page = gp.post(f"{NEW}?household={family.home.pk}", answers)
    assert page.status_code == 400
    assert message in page.text
    assert error_summary_links(page) == [f"#id_{field}"]


def test_questions_under_the_answer_not_chosen_are_ignored(client, family):
    gp = signed_in(client, make_user(family.gp))
    answers = referral_form(
        family, family_informed="no", not_informed_reason="risk_of_harm", informed_on="soon"
    )
    response = gp.post(f"{NEW}?household={family.home.pk}", answers)
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.family_informed == "no" and referral.informed_on is None
    assert referral.informed_by_name == ""


def test_not_told_waits_for_a_manager_and_says_so(client, family):
    gp = signed_in(client, make_user(family.gp))
    answers = referral_form(family, family_informed="no", not_informed_reason="risk_of_harm")
    page = gp.post(f"{NEW}?household={family.home.pk}", answers, follow=True)
    assert Referral.objects.get().status == Referral.Status.AWAITING_MANAGER
    assert "Waiting for a manager to confirm why the family was not told." in page.text


def test_the_form_is_refused_to_those_who_may_not_refer(client, family):
    reviewer = make_user(family.gp, User.Role.REVIEWER)
    assert signed_in(client, reviewer).get(NEW, {"household": family.home.pk}).status_code == 403
    worker = social_worker(family)  # children's social care receives referrals
    assert signed_in(client, worker).get(NEW, {"household": family.home.pk}).status_code == 403


def test_a_family_the_viewer_may_not_see_is_not_found(client, family):
    midwife = signed_in(client, make_user(family.midwifery))
    assert midwife.get(NEW, {"household": family.finns.pk}).status_code == 404
    assert midwife.get(NEW, {"household": 99999}).status_code == 404
    assert midwife.get(NEW).status_code == 400


def test_the_child_and_family_pages_offer_a_referral_to_those_who_may_make_one(client, family):
    gp = signed_in(client, make_user(family.gp))
    assert f'href="{NEW}?person={family.ava.pk}"' in gp.get(family.ava.get_absolute_url()).text
    assert "Make a referral" not in gp.get(family.jade.get_absolute_url()).text  # an adult
    family_page = gp.get(family.home.get_absolute_url()).text
    assert f'href="{NEW}?household={family.home.pk}"' in family_page
    worker = signed_in(client, social_worker(family))
    assert "Make a referral" not in worker.get(family.ava.get_absolute_url()).text


# --- the referral page and its steps ---------------------------------------------------


@pytest.mark.parametrize("role", [User.Role.PRACTITIONER, User.Role.MANAGER])
def test_a_practitioner_cannot_confirm_their_own_not_told_referral(client, family, role):
    gp = make_user(family.gp, role)  # even a manager may not confirm their own referral
    referral = gp_refers(family, NOT_TOLD_RISK, by=gp)
    page = step(signed_in(client, gp), referral, "manager_confirm", note="Agreed.")
    assert page.status_code == 403
    assert "lead of the referring agency who is not the referrer may confirm" in page.text
    assert "Confirm and send the referral" not in page.text  # no form offered
    referral.refresh_from_db()
    assert referral.status == Referral.Status.AWAITING_MANAGER


def test_the_practice_manager_confirms_and_the_referral_is_sent(client, family):
    referral = gp_refers(family, NOT_TOLD_RISK)
    manager = signed_in(client, make_user(family.gp, User.Role.MANAGER))
    page = manager.get(referral.get_absolute_url())
    assert "Confirm why the family was not told" in page.text
    empty = step(manager, referral, "manager_confirm", note="")
    assert empty.status_code == 400 and error_summary_links(empty) == ["#id_note"]
    done = step(manager, referral, "manager_confirm", note="Agreed: risk from the father.")
    assert done.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED and referral.version == 2
    assert "The referral has been sent to children" in manager.get(done.url).text


def test_a_school_may_neither_see_nor_act_on_the_gp_s_referral(client, family):
    referral = gp_refers(family)
    school = signed_in(client, make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD))
    assert school.get(referral.get_absolute_url()).status_code == 404
    assert step(school, referral, "acknowledge").status_code == 404
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED


def test_the_referrer_may_not_take_children_s_social_care_s_steps(client, family):
    referral = gp_refers(family)
    gp = signed_in(client, make_user(family.gp, User.Role.MANAGER))
    page = step(gp, referral, "acknowledge")
    assert page.status_code == 403
    assert "Only children&#x27;s social care workers and managers" in page.text
    assert "Waiting for Children&#x27;s Social Care to acknowledge the referral" in page.text
    assert "Acknowledge referral</button>" not in page.text
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED and referral.version == 1


def test_a_page_overtaken_by_someone_else_s_step_is_refused_and_changes_nothing(client, family):
    referral = gp_refers(family)
    first, second = social_worker(family), social_worker(family)
    shown = referral.version
    referral_acknowledge(referral=referral, by=first, version=shown)
    referral.refresh_from_db()
    steps_before = referral.steps.count()
    page = step(signed_in(client, second), referral, "acknowledge", version=shown)
    assert page.status_code == 409
    assert "Someone else has updated this referral since you opened it" in page.text
    assert error_summary_links(page) == ["#next-step"]
    # The page now offers the step that is next, at the version now.
    assert "Confirm with the referrer whether the family is aware" in page.text
    assert f'name="version" value="{referral.version}"' in page.text
    after = Referral.objects.get(pk=referral.pk)
    assert (after.status, after.version) == (referral.status, referral.version)
    assert after.steps.count() == steps_before


def test_a_step_out_of_order_is_refused(client, family):
    referral = gp_refers(family)
    worker = signed_in(client, social_worker(family))
    page = step(worker, referral, "close", outcome_feedback="Closed early.")
    assert page.status_code == 409
    assert "Steps are taken in order" in page.text
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED and referral.outcome_feedback == ""


def test_an_unknown_step_is_a_bad_request(client, family):
    referral = gp_refers(family)
    page = step(signed_in(client, social_worker(family)), referral, "skip_to_the_end")
    assert page.status_code == 400


def test_confirming_the_family_does_not_know_needs_the_decision_about_telling_them(client, family):
    referral = gp_refers(family)
    worker = social_worker(family)
    referral_acknowledge(referral=referral, by=worker, version=referral.version)
    client = signed_in(client, worker)
    unanswered = step(client, referral, "confirm_awareness")
    assert unanswered.status_code == 400
    assert error_summary_links(unanswered) == ["#id_family_aware"]
    page = step(client, referral, "confirm_awareness", family_aware="no")
    assert page.status_code == 400
    assert error_summary_links(page) == ["#id_telling_decision", "#id_telling_reason"]
    assert "Select the decision about telling the family" in page.text
    done = step(
        client,
        referral,
        "confirm_awareness",
        family_aware="no",
        telling_decision="csc_will_tell",
        telling_reason="Social worker will visit.",
    )
    assert done.status_code == 302
    referral.refresh_from_db()
    assert referral.family_aware is False and referral.telling_decision == "csc_will_tell"


def test_a_decision_is_needed_for_every_child_kept_with_reasons(client, family):
    referral = gp_refers(family)
    worker = social_worker(family)
    referral = referral_acknowledge(referral=referral, by=worker, version=referral.version)
    referral_confirm_family_awareness(
        referral=referral, by=worker, version=referral.version, family_aware=True
    )
    client = signed_in(client, worker)
    ava, ben = family.ava.pk, family.ben.pk
    page = step(client, referral, "decide", **{f"decision_{ava}": "assessment"})
    assert page.status_code == 400
    assert error_summary_links(page) == [f"#id_reasons_{ava}", f"#id_decision_{ben}"]
    assert "Select the decision for Ben Carter" in page.text
    strategy = step(
        client,
        referral,
        "decide",
        **{
            f"decision_{ava}": "strategy_s47",
            f"reasons_{ava}": "Injury.",
            f"decision_{ben}": "assessment",
            f"reasons_{ben}": "Weight loss.",
        },
    )
    assert strategy.status_code == 400
    assert "Enter the date of the strategy discussion" in strategy.text
    done = step(
        client,
        referral,
        "decide",
        **{
            f"decision_{ava}": "strategy_s47",
            f"reasons_{ava}": "Injury.",
            f"decision_{ben}": "assessment",
            f"reasons_{ben}": "Weight loss.",
            "strategy_discussion_on": "27 11 2026",
        },
    )
    assert done.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECIDED
    assert referral.conference_due_on is not None and referral.assessment_due_on is not None


def test_the_visit_intention_needs_when_and_how_or_why_not(client, family):
    referral, worker = decided(family)
    client = signed_in(client, worker)
    told = step(client, referral, "record_visit_intention", communicated="yes")
    assert told.status_code == 400
    assert error_summary_links(told) == ["#id_communicated_on", "#id_how"]
    not_told = step(client, referral, "record_visit_intention", communicated="no")
    assert error_summary_links(not_told) == ["#id_reason_not"]
    today = timezone.localdate()  # not a fixed date: the family must be told after the decision
    done = step(
        client,
        referral,
        "record_visit_intention",
        communicated="yes",
        communicated_on=f"{today:%d %m %Y}",
        how="phone",
    )
    assert done.status_code == 302
    referral.refresh_from_db()
    assert referral.visit_intention_how == "phone"


def test_the_referrer_sees_the_decisions_and_the_outcome_only_once_it_is_closed(client, family):
    referral, worker = decided(family)
    referral = referral_record_visit_intention(
        referral=referral,
        by=worker,
        version=referral.version,
        communicated=False,
        reason_not="Visit to be unannounced.",
    )
    gp = make_user(family.gp)
    before = signed_in(client, gp).get(referral.get_absolute_url())
    assert before.status_code == 200
    assert "Reasons for Ava." not in before.text and "Fed back to you when" in before.text
    close = step(signed_in(client, worker), referral, "close", outcome_feedback="")
    assert close.status_code == 400 and error_summary_links(close) == ["#id_outcome_feedback"]
    closed = step(client, referral, "close", outcome_feedback="Assessment of both children.")
    assert closed.status_code == 302
    after = signed_in(client, gp).get(referral.get_absolute_url())
    assert "Assessment of both children." in after.text
    assert "Reasons for Ava." in after.text
    assert "Closed, outcome fed back" in after.text


def test_a_child_decided_no_further_action_beside_an_open_sibling_is_highlighted(client, family):
    referral = gp_refers(family)
    worker = social_worker(family)
    referral = referral_acknowledge(referral=referral, by=worker, version=referral.version)
    referral = referral_confirm_family_awareness(
        referral=referral, by=worker, version=referral.version, family_aware=True
    )
    referral_decide(
        referral=referral,
        by=worker,
        version=referral.version,
        decisions={
            family.ava.pk: ("nfa", "Ava is well."),
            family.ben.pk: ("assessment", "Weight."),
        },
    )
    page = signed_in(client, worker).get(referral.get_absolute_url())
    assert "Ava Carter was decided no further action while Ben Carter remains open" in page.text
    assert "assessment, on this referral" in page.text
    worklist = client.get(reverse("referrals:worklist"))
    assert "No further action beside an open sibling" in worklist.text


# --- the worklist ----------------------------------------------------------------------


def test_children_s_social_care_sees_open_referrals_with_their_next_step(client, family):
    referral = gp_refers(family)
    page = signed_in(client, social_worker(family)).get(reverse("referrals:worklist"))
    assert page.status_code == 200
    assert f"Referral {referral.pk}" in page.text
    assert "Acknowledge the referral to the referrer" in page.text
    assert "Acknowledgement:" in page.text


def test_a_manager_sees_referrals_waiting_for_them_to_confirm(client, family):
    referral = gp_refers(family, NOT_TOLD_RISK)
    page = signed_in(client, make_user(family.gp, User.Role.MANAGER)).get(
        reverse("referrals:worklist")
    )
    assert "1 referral is waiting for you to confirm" in page.text
    assert "Waiting for you to confirm" in page.text
    referrer = signed_in(client, referral.referred_by).get(reverse("referrals:worklist"))
    assert "waiting for you to confirm" not in referrer.text.lower()
    assert "Waiting for a manager to confirm" in referrer.text


def test_the_referrer_sees_the_outcome_on_the_worklist_once_closed(client, family):
    referral, manager = sent_without_telling(family)
    worker = social_worker(family)
    referral = referral_acknowledge(referral=referral, by=worker, version=referral.version)
    referral = referral_confirm_family_awareness(
        referral=referral,
        by=worker,
        version=referral.version,
        family_aware=False,
        telling_decision="not_to_be_told",
        telling_reason="Risk from the father.",
    )
    referral = referral_decide(
        referral=referral,
        by=worker,
        version=referral.version,
        decisions={family.ava.pk: ("assessment", "A."), family.ben.pk: ("assessment", "B.")},
    )
    referral = referral_record_visit_intention(
        referral=referral,
        by=worker,
        version=referral.version,
        communicated=False,
        reason_not="Not yet: risk.",
    )
    referral_close(
        referral=referral,
        by=worker,
        version=referral.version,
        outcome_feedback="Both children to be assessed.",
    )
    page = signed_in(client, manager).get(reverse("referrals:worklist"))
    assert "Both children to be assessed." in page.text
    assert ReferralChild.objects.filter(decision="assessment").count() == 2


# ---------------------------------------------------------------------------
# A sealed child


def test_a_sealed_child_is_left_off_the_referral_page_and_the_worklists(client, family):
    referral = gp_refers(family)
    Person.objects.filter(pk=family.ben.pk).update(sealed=True)
    for user in (make_user(family.gp), social_worker(family)):
        browser = signed_in(client, user)
        page = browser.get(referral.get_absolute_url())
        assert page.status_code == 200
        assert "Ava Carter" in page.text and "Ben Carter" not in page.text
        worklist = browser.get(reverse("referrals:worklist"))
        assert "Ava Carter" in worklist.text and "Ben Carter" not in worklist.text
    manager = signed_in(client, make_user(family.csc, User.Role.CSC_MANAGER))
    assert "Ben Carter" in manager.get(referral.get_absolute_url()).text


def test_a_referral_whose_kept_children_are_all_sealed_is_a_404_but_to_the_csc_manager(
    client, family
):
    referral = gp_refers(family)
    Person.objects.filter(pk__in=[family.ava.pk, family.ben.pk]).update(sealed=True)
    gp = signed_in(client, make_user(family.gp))
    assert gp.get(referral.get_absolute_url()).status_code == 404
    assert f"/referrals/{referral.pk}/" not in gp.get(reverse("referrals:worklist")).text
    manager = signed_in(client, make_user(family.csc, User.Role.CSC_MANAGER))
    assert manager.get(referral.get_absolute_url()).status_code == 200


def test_a_referral_keeping_a_sealed_child_is_taken_on_only_by_the_sealed_record_roles(family):
    """Its decision names each child kept on it, so a worker who may not know the sealed child
    exists may not take its steps; a children's social care manager may."""
    referral = gp_refers(family)
    worker = social_worker(family)
    manager = make_user(family.csc, User.Role.CSC_MANAGER)
    assert worker.has_perm(ACT_ON_REFERRAL, referral)
    Person.objects.filter(pk=family.ben.pk).update(sealed=True)
    assert not worker.has_perm(ACT_ON_REFERRAL, referral)
    assert manager.has_perm(ACT_ON_REFERRAL, referral)
