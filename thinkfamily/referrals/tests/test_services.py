"""Making a referral and taking it through its steps: every refusal, every order, the dates."""

import datetime as dt

import pytest
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import carter_family
from thinkfamily.referrals.models import Referral, ReferralChild
from thinkfamily.referrals.services import (
    ChildOnReferral,
    FamilyInformed,
    referral_acknowledge,
    referral_close,
    referral_confirm_family_awareness,
    referral_decide,
    referral_make,
    referral_manager_confirm,
    referral_record_visit_intention,
)
from thinkfamily.referrals.tests.helpers import (
    NOT_TOLD_RISK,
    TOLD,
    decided,
    gp_refers,
    sent_without_telling,
    social_worker,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    return carter_family()


def refused(call, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as error:
        call(**kwargs)
    return error.value


# --- making a referral -----------------------------------------------------------------


def test_a_referral_with_the_family_told_goes_straight_to_children_s_social_care(family):
    referral = gp_refers(family)
    assert referral.status == Referral.Status.RECEIVED
    assert referral.referring_agency == family.gp and referral.to_agency == family.csc
    kept = {c.person.given_name: c.included for c in referral.children.all()}
    assert kept == {"Ava": True, "Ben": True, "Baby": False}
    assert referral.children.get(person=family.unborn).removal_reason.startswith("Not yet born")


def test_the_family_informed_question_cannot_be_skipped(family):
    error = refused(gp_refers, family=family, informed=FamilyInformed(answer=""))
    assert error.extra == {
        "family_informed": "Select whether the family has been told about this referral"
    }
    assert "Select whether the family has been told" in error.message
    assert not Referral.objects.exists()


def test_yes_needs_when_by_whom_how_and_the_family_s_response(family):
    error = refused(gp_refers, family=family, informed=FamilyInformed(answer="yes"))
    assert set(error.extra) == {
        "informed_on",
        "informed_by_name",
        "informed_how",
        "family_response",
    }
    future = FamilyInformed(
        answer="yes",
        informed_on=timezone.localdate() + dt.timedelta(days=1),
        informed_by_name="Dr P",
        informed_how="phone",
        family_response="ok",
    )
    assert refused(gp_refers, family=family, informed=future).extra == {
        "informed_on": "The date the family was told must not be in the future"
    }


@pytest.mark.parametrize(
    ("answer", "field", "message"),
    [
        (FamilyInformed(answer="no"), "not_informed_reason", "Select why the family was not told"),
        (
            FamilyInformed(answer="no", not_informed_reason="could_not_contact"),
            "contact_attempts",
            "Enter the attempts made to contact the family",
        ),
        (
            FamilyInformed(answer="no", not_informed_reason="other"),
            "not_informed_detail",
            "Enter why the family was not told",
        ),
        (
            FamilyInformed(answer="no", not_informed_reason="forgot"),
            "not_informed_reason",
            "Select why the family was not told",
        ),
    ],
)
def test_no_needs_a_reason_from_the_list_with_its_details(family, answer, field, message):
    assert refused(gp_refers, family=family, informed=answer).extra == {field: message}


def test_not_telling_the_family_waits_for_a_manager_of_the_referring_agency(family):
    referral = gp_refers(family, NOT_TOLD_RISK)
    assert referral.status == Referral.Status.AWAITING_MANAGER
    assert referral.received_at is None and referral.acknowledgement_due_on is None
    referral, manager = sent_without_telling(family)
    assert referral.status == Referral.Status.RECEIVED
    assert referral.manager_confirmed_by == manager and referral.acknowledgement_due_on


def test_the_referrer_cannot_confirm_their_own_reason_nor_can_a_practitioner(family):
    referrer = make_user(family.gp, User.Role.MANAGER)
    referral = gp_refers(family, NOT_TOLD_RISK, by=referrer)
    for who in (
        referrer,
        make_user(family.gp),
        make_user(family.school, User.Role.MANAGER),
        make_user(family.csc, User.Role.CSC_MANAGER),
    ):
        error = refused(
            referral_manager_confirm,
            referral=referral,
            by=who,
            version=referral.version,
            note="Agreed.",
        )
        assert "Only a manager or designated safeguarding lead of the referring agency" in (
            error.message
        )
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.AWAITING_MANAGER


def test_a_manager_s_confirmation_needs_a_note(family):
    referral = gp_refers(family, NOT_TOLD_RISK)
    manager = make_user(family.gp, User.Role.MANAGER)
    error = refused(
        referral_manager_confirm, referral=referral, by=manager, version=referral.version, note=" "
    )
    assert error.extra == {"note": "Enter a note"}


def test_every_missing_part_of_a_referral_is_named(family):
    error = refused(
        referral_make,
        by=make_user(family.gp),
        children=[ChildOnReferral(family.ava, included=False)],
        concerns=" ",
        categories=[],
        done_so_far="",
        family_informed=TOLD,
    )
    assert set(error.extra) == {
        "children",
        f"removal_reason_{family.ava.pk}",
        "concerns",
        "categories",
        "done_so_far",
    }
    assert error.extra[f"removal_reason_{family.ava.pk}"] == (
        "Enter why Ava Carter is not on the referral"
    )


def test_unknown_categories_and_children_the_referrer_may_not_see_are_refused(family):
    stranger = make_user(family.midwifery)  # sees the household through the unborn baby
    error = refused(
        referral_make,
        by=make_user(family.gp),
        children=[ChildOnReferral(family.ava, True)],
        concerns="x",
        categories=["gossip"],
        done_so_far="x",
        family_informed=TOLD,
    )
    assert error.extra == {"categories": "Unknown categories of concern: gossip"}
    error = refused(
        referral_make,
        by=stranger,
        children=[ChildOnReferral(family.gus, True)],
        concerns="x",
        categories=["neglect"],
        done_so_far="x",
        family_informed=TOLD,
    )
    assert error.extra == {"children": "You may only refer children your agency may see"}


def test_children_s_social_care_does_not_refer_to_itself(family):
    worker = make_user(family.csc, User.Role.CSC_WORKER)
    assert "does not refer to itself" in refused(gp_refers, family=family, by=worker).message


# --- the steps, in order ---------------------------------------------------------------


def test_the_whole_journey_is_recorded_step_by_step_on_each_child_s_chronology(family):
    referral, worker = decided(family)
    referral = referral_record_visit_intention(
        referral=referral,
        by=worker,
        version=referral.version,
        communicated=True,
        communicated_on=timezone.localdate(),
        how="phone",
    )
    referral = referral_close(
        referral=referral,
        by=worker,
        version=referral.version,
        outcome_feedback="Assessment under way; social worker allocated.",
    )
    assert [(s.from_status, s.to_status) for s in referral.steps.all()] == [
        ("", "received"),
        ("received", "acknowledged"),
        ("acknowledged", "awareness_confirmed"),
        ("awareness_confirmed", "decided"),
        ("decided", "visit_intention_recorded"),
        ("visit_intention_recorded", "closed"),
    ]
    assert all(step.actor for step in referral.steps.all())
    for child in (family.ava, family.ben):
        summaries = list(
            Event.objects.filter(person=child, event_type="referral")
            .order_by("occurred_at", "id")
            .values_list("summary", flat=True)
        )
        assert len(summaries) == 6
        assert summaries[-1].startswith(f"Referral {referral.pk}: Closed; outcome fed back")
    assert not Event.objects.filter(person=family.unborn, event_type="referral").exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REFERRAL_STEP).count() == 6
    assert referral.version == 6


STEPS = {
    "acknowledge": lambda r, w: referral_acknowledge(referral=r, by=w, version=r.version),
    "confirm": lambda r, w: referral_confirm_family_awareness(
        referral=r, by=w, version=r.version, family_aware=True
    ),
    "decide": lambda r, w: referral_decide(
        referral=r,
        by=w,
        version=r.version,
        decisions={
            c.person_id: ("nfa", "No concern found.") for c in r.children.filter(included=True)
        },
    ),
    "visit": lambda r, w: referral_record_visit_intention(
        referral=r, by=w, version=r.version, communicated=False, reason_not="No visit: NFA."
    ),
    "close": lambda r, w: referral_close(
        referral=r, by=w, version=r.version, outcome_feedback="No further action."
    ),
}
ORDER = list(STEPS)


@pytest.mark.parametrize("done", range(len(ORDER) + 1))
def test_no_step_can_be_skipped_or_repeated(family, done):
    """After the first ``done`` steps, every step but the next is refused and changes nothing."""
    worker = social_worker(family)
    referral = gp_refers(family)
    for name in ORDER[:done]:
        referral = STEPS[name](referral, worker)
    for index, name in enumerate(ORDER):
        if index == done:
            continue
        before = Referral.objects.get(pk=referral.pk)
        error = refused(STEPS[name], r=referral, w=worker)
        assert "cannot be" in error.message and "Steps are taken in order" in error.message
        after = Referral.objects.get(pk=referral.pk)
        assert (after.status, after.version) == (before.status, before.version)


def test_a_step_from_a_stale_page_is_refused_and_changes_nothing(family):
    worker, colleague = social_worker(family), social_worker(family)
    referral = gp_refers(family)
    stale_version = referral.version
    referral_acknowledge(referral=referral, by=colleague, version=stale_version)
    error = refused(referral_acknowledge, referral=referral, by=worker, version=stale_version)
    assert error.message.startswith("Someone else has updated this referral since you opened it")
    assert Referral.objects.get(pk=referral.pk).steps.count() == 2


def test_only_children_s_social_care_handlers_of_the_receiving_agency_take_its_steps(family):
    referral = gp_refers(family)
    for who in (
        make_user(family.gp),
        make_user(family.gp, User.Role.MANAGER),
        make_user(family.csc, User.Role.PARTNERSHIP_MANAGER),
        make_user(family.csc, User.Role.AUDITOR),
    ):
        error = refused(referral_acknowledge, referral=referral, by=who, version=referral.version)
        assert "Only children's social care workers and managers" in error.message


def test_a_family_not_aware_needs_the_decision_about_telling_them(family):
    worker = social_worker(family)
    referral = referral_acknowledge(referral=gp_refers(family), by=worker, version=1)
    error = refused(
        referral_confirm_family_awareness,
        referral=referral,
        by=worker,
        version=referral.version,
        family_aware=False,
    )
    assert set(error.extra) == {"telling_decision", "telling_reason"}
    confirmed = referral_confirm_family_awareness(
        referral=referral,
        by=worker,
        version=referral.version,
        family_aware=False,
        telling_decision="csc_will_tell",
        telling_reason="Social worker will visit with the GP.",
    )
    assert confirmed.family_aware is False and confirmed.telling_decision == "csc_will_tell"


def test_a_decision_needs_every_kept_child_with_reasons_and_a_strategy_discussion_date(family):
    worker = social_worker(family)
    referral = gp_refers(family)
    referral = referral_acknowledge(referral=referral, by=worker, version=referral.version)
    referral = referral_confirm_family_awareness(
        referral=referral, by=worker, version=referral.version, family_aware=True
    )
    error = refused(
        referral_decide,
        referral=referral,
        by=worker,
        version=referral.version,
        decisions={family.ava.pk: ("strategy_s47", ""), family.unborn.pk: ("nfa", "x")},
    )
    assert set(error.extra) == {
        f"reasons_{family.ava.pk}",
        f"decision_{family.ben.pk}",
        "decisions",
        "strategy_discussion_on",
    }


def test_visit_intention_needs_when_and_how_or_a_reason(family):
    referral, worker = decided(family)
    error = refused(
        referral_record_visit_intention,
        referral=referral,
        by=worker,
        version=referral.version,
        communicated=True,
    )
    assert set(error.extra) == {"communicated_on", "how"}
    error = refused(
        referral_record_visit_intention,
        referral=referral,
        by=worker,
        version=referral.version,
        communicated=False,
    )
    assert set(error.extra) == {"reason_not"}


def test_closing_needs_the_outcome_fed_back(family):
    referral, worker = decided(family)
    referral = referral_record_visit_intention(
        referral=referral,
        by=worker,
        version=referral.version,
        communicated=False,
        reason_not="Police advise not yet.",
    )
    error = refused(
        referral_close, referral=referral, by=worker, version=referral.version, outcome_feedback=""
    )
    assert set(error.extra) == {"outcome_feedback"}


# --- timescales in working days --------------------------------------------------------


def test_timescales_count_working_days_across_christmas(family):
    referral = gp_refers(family)
    christmas_eve = timezone.make_aware(dt.datetime(2026, 12, 24, 16, 0))
    Referral.objects.filter(pk=referral.pk).update(received_at=christmas_eve)
    from thinkfamily.referrals.services import _receipt_values

    due = _receipt_values(christmas_eve)
    # 25 and 26 December, the weekend and the Boxing Day substitute (28th) do not count.
    assert due["acknowledgement_due_on"] == dt.date(2026, 12, 29)
    assert due["decision_due_on"] == dt.date(2026, 12, 29)


def test_assessment_and_conference_dates_follow_the_decision(family):
    referral, _ = decided(family, "assessment")
    received = timezone.localdate(referral.received_at)
    from thinkfamily.core.working_days import add_working_days, working_days_between

    assert referral.assessment_due_on == add_working_days(received, 45)
    assert working_days_between(received, referral.assessment_due_on) == 45
    assert referral.conference_due_on is None
    s47, _ = decided(carter_family_again(), "strategy_s47")
    assert s47.strategy_discussion_on == timezone.localdate()
    assert s47.conference_due_on == add_working_days(timezone.localdate(), 15)


def carter_family_again():
    """A second, separate Carter family (the factory is idempotent on agencies)."""
    return carter_family()


def test_decisions_are_recorded_for_each_child(family):
    referral, _ = decided(family, "early_help")
    decisions = dict(
        ReferralChild.objects.filter(referral=referral, included=True).values_list(
            "person__given_name", "decision"
        )
    )
    assert decisions == {"Ava": "early_help", "Ben": "early_help"}


def test_who_may_act_and_whether_the_page_is_current_are_checked_before_what_was_typed(family):
    referral, worker = decided(family)
    stranger = make_user(family.gp)
    error = refused(
        referral_record_visit_intention,
        referral=referral,
        by=stranger,
        version=referral.version,
        communicated=True,
    )
    assert "Only children's social care workers and managers" in error.message
    error = refused(
        referral_record_visit_intention,
        referral=referral,
        by=worker,
        version=referral.version - 1,
        communicated=True,
    )
    assert error.message.startswith("Someone else has updated this referral")


def test_dates_of_the_visit_intention_and_the_strategy_discussion_must_be_possible(family):
    referral, worker = decided(family)
    received = timezone.localdate(referral.received_at)
    for day, message in (
        (
            timezone.localdate() + dt.timedelta(days=1),
            "The date the family was told must not be in the future",
        ),
        (
            received - dt.timedelta(days=1),
            "The date the family was told cannot be before the referral was received",
        ),
    ):
        error = refused(
            referral_record_visit_intention,
            referral=referral,
            by=worker,
            version=referral.version,
            communicated=True,
            communicated_on=day,
            how="phone",
        )
        assert error.extra == {"communicated_on": message}
    other = carter_family_again()
    worker = social_worker(other)
    fresh = gp_refers(other)
    fresh = referral_acknowledge(referral=fresh, by=worker, version=fresh.version)
    fresh = referral_confirm_family_awareness(
        referral=fresh, by=worker, version=fresh.version, family_aware=True
    )
    error = refused(
        referral_decide,
        referral=fresh,
        by=worker,
        version=fresh.version,
        decisions={other.ava.pk: ("strategy_s47", "x"), other.ben.pk: ("strategy_s47", "x")},
        strategy_discussion_on=received - dt.timedelta(days=3),
    )
    assert error.extra == {
        "strategy_discussion_on": "The strategy discussion cannot be before the referral was "
        "received"
    }


def test_a_child_the_referrer_may_not_see_cannot_even_be_listed_as_removed(family):
    error = refused(
        referral_make,
        by=make_user(family.hv),
        children=[
            ChildOnReferral(family.ben, True),
            ChildOnReferral(family.gus, False, removal_reason="Lives elsewhere."),
        ],
        concerns="x",
        categories=["neglect"],
        done_so_far="x",
        family_informed=TOLD,
    )
    assert error.extra == {"children": "You may only refer children your agency may see"}
