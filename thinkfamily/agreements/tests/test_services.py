"""Recording, sharing, signing off and reviewing verbal agreements, and the partnership's
settings: every rule, and every refusal leaving nothing half-written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from thinkfamily.accounts.models import User
from thinkfamily.agreements.models import (
    AgreementPolicy,
    AgreementReview,
    AgreementShare,
    VerbalAgreement,
)
from thinkfamily.agreements.services import (
    agreement_policy_update,
    agreement_review,
    agreement_share,
    agreement_sign_off,
)
from thinkfamily.agreements.tests.helpers import (
    bens_feeding,
    health_visitor,
    jades_mother,
    move_back,
    today,
)
from thinkfamily.audit.models import AuditEvent
from thinkfamily.core.errors import ApplicationError
from thinkfamily.events.models import Event
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import carter_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    return carter_family()


def nothing_written() -> bool:
    return not (
        VerbalAgreement.objects.exists()
        or Event.objects.filter(event_type=Event.EventType.AGREEMENT).exists()
        or AuditEvent.objects.filter(action=AuditEvent.Action.RECORD_AGREEMENT).exists()
    )


# ---------------------------------------------------------------------------
# Recording


def test_an_agreement_is_recorded_on_each_child_s_chronology_and_audited(family):
    agreement = bens_feeding(family)
    assert agreement.is_active and agreement.recording_agency == family.hv
    assert list(agreement.made_with.all()) == [family.jade]
    event = Event.objects.get(event_type=Event.EventType.AGREEMENT)
    assert event.person == family.ben and event.agency == family.hv
    assert "Ben's weight and feeding" in event.summary
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.RECORD_AGREEMENT, object_id=str(agreement.pk)
    ).exists()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"need": "  "}, "need", "proportionate to a need"),
        ({"review_on": None}, "review_on", "Enter a review date"),
        ({"review_on": dt.date(2020, 1, 1)}, "review_on", "must not be in the past"),
        ({"review_on": "beyond"}, "review_on", "no more than 6 weeks"),
        ({"made_with_ids": []}, "made_with", "Select a family member"),
        ({"made_with_ids": [999_999]}, "made_with", "No person exists with id 999999"),
        ({"children_ids": [999_998]}, "children", "No person exists with id 999998"),
        ({"agreed": ""}, "agreed", "Enter what was agreed"),
        ({"if_not_kept": ""}, "if_not_kept", "if the agreement is not kept"),
        ({"made_on": "tomorrow"}, "made_on", "must not be in the future"),
    ],
)
def test_an_agreement_is_refused_naming_the_problem_and_nothing_is_written(
    family, changes, field, words
):
    if changes.get("review_on") == "beyond":
        changes = {"review_on": today() + dt.timedelta(weeks=6, days=1)}
    if changes.get("made_on") == "tomorrow":
        changes = {"made_on": today() + dt.timedelta(days=1)}
    with pytest.raises(ApplicationError) as refused:
        bens_feeding(family, **changes)
    assert words in str(refused.value.extra[field])
    assert nothing_written()


def test_an_agreement_may_be_reviewed_exactly_at_the_maximum(family):
    agreement = bens_feeding(family, review_in_days=42)
    assert agreement.review_on == today() + dt.timedelta(weeks=6)


def test_the_maximum_follows_the_partnership_s_settings(family):
    AgreementPolicy.objects.update_or_create(pk=1, defaults={"max_weeks_to_review": 2})
    with pytest.raises(ApplicationError) as refused:
        bens_feeding(family, review_in_days=15)
    assert "no more than 2 weeks" in str(refused.value.extra["review_on"])


def test_a_family_member_from_another_household_is_refused(family):
    with pytest.raises(ApplicationError) as refused:
        bens_feeding(family, made_with_ids=[family.leon.pk])
    assert "Leon Carter is not a member of this household" in str(refused.value.extra["made_with"])
    assert nothing_written()


def test_an_agency_that_does_not_know_the_family_may_not_record_one(family):
    stranger = make_user(family.police)
    with transaction.atomic():
        family.finn.records.filter(agency=family.police).delete()
    with pytest.raises(ApplicationError, match="may not record a verbal agreement"):
        bens_feeding(family, by=stranger)
    assert nothing_written()


def test_an_auditor_may_not_record_one(family):
    with pytest.raises(ApplicationError, match="may not record"):
        bens_feeding(family, by=make_user(family.hv, User.Role.AUDITOR))


def test_the_database_refuses_an_agreement_without_a_need_or_reviewed_before_it_was_made(family):
    agreement = bens_feeding(family)
    with pytest.raises(IntegrityError), transaction.atomic():
        VerbalAgreement.objects.filter(pk=agreement.pk).update(need="")
    with pytest.raises(IntegrityError), transaction.atomic():
        VerbalAgreement.objects.filter(pk=agreement.pk).update(review_on=agreement.made_on)


# ---------------------------------------------------------------------------
# Sharing with the network


def test_sharing_with_jade_s_mother_is_recorded(family):
    agreement = bens_feeding(family)
    sandra = jades_mother(family)
    share = agreement_share(
        agreement=agreement, by=health_visitor(family), person_id=sandra.pk, how="phone",
        shared_on=today(),
    )  # fmt: skip
    assert share.person == sandra and share.get_how_display() == "By phone"


def test_sharing_with_a_person_who_does_not_exist_is_refused(family):
    agreement = bens_feeding(family)
    with pytest.raises(ApplicationError) as refused:
        agreement_share(agreement=agreement, by=health_visitor(family), person_id=999_999,
                        how="letter", shared_on=today())  # fmt: skip
    assert "No person you may see exists with id 999999" in str(refused.value.extra["person"])
    assert not AgreementShare.objects.exists()


def test_sharing_needs_how_and_a_date_not_in_the_future(family):
    agreement = bens_feeding(family)
    with pytest.raises(ApplicationError) as refused:
        agreement_share(agreement=agreement, by=health_visitor(family), person_id=family.finn.pk,
                        how="carrier pigeon", shared_on=today() + dt.timedelta(days=1))  # fmt: skip
    assert set(refused.value.extra) == {"how", "shared_on"}


def test_another_agency_may_not_record_sharing_of_an_agreement(family):
    agreement = bens_feeding(family)
    with pytest.raises(ApplicationError, match="Only staff of the agency that recorded"):
        agreement_share(agreement=agreement, by=make_user(family.gp), person_id=family.finn.pk,
                        how="phone", shared_on=today())  # fmt: skip
    assert not AgreementShare.objects.exists()


# ---------------------------------------------------------------------------
# Sign-off


def test_an_agreement_awaits_sign_off_when_the_partnership_asks_for_it(family):
    AgreementPolicy.objects.update_or_create(pk=1, defaults={"sign_off_required": True})
    recorder = health_visitor(family, User.Role.MANAGER)
    agreement = bens_feeding(family, by=recorder)
    assert agreement.awaiting_sign_off
    with pytest.raises(ApplicationError, match="other than the person who recorded it"):
        agreement_sign_off(agreement=agreement, by=recorder)
    with pytest.raises(ApplicationError, match="Only a manager"):
        agreement_sign_off(agreement=agreement, by=health_visitor(family))
    with pytest.raises(ApplicationError, match="Only a manager"):
        agreement_sign_off(agreement=agreement, by=make_user(family.gp, User.Role.MANAGER))
    manager = health_visitor(family, User.Role.MANAGER)
    signed = agreement_sign_off(agreement=agreement, by=manager)
    assert signed.signed_off_by == manager and not signed.awaiting_sign_off
    with pytest.raises(ApplicationError, match="not awaiting sign-off"):
        agreement_sign_off(agreement=agreement, by=manager)


def test_an_agreement_does_not_await_sign_off_by_default(family):
    assert not bens_feeding(family).awaiting_sign_off


def test_the_database_refuses_sign_off_by_the_recorder(family):
    agreement = bens_feeding(family)
    with pytest.raises(IntegrityError), transaction.atomic():
        VerbalAgreement.objects.filter(pk=agreement.pk).update(
            signed_off_by=agreement.recorded_by, signed_off_at=agreement.recorded_at
        )


# ---------------------------------------------------------------------------
# Review


def test_a_late_review_kept_continues_with_the_next_review_date(family):
    hv = health_visitor(family)
    agreement = move_back(bens_feeding(family, by=hv), days=20)  # due 6 days ago
    review = agreement_review(
        agreement=agreement, by=hv, outcome="kept", note="Weighed weekly; back on his centile.",
        reviewed_on=today(), next_review_on=today() + dt.timedelta(weeks=4),
    )  # fmt: skip
    agreement.refresh_from_db()
    assert review.late and review.due_on == today() - dt.timedelta(days=6)
    assert agreement.is_active and agreement.review_on == today() + dt.timedelta(weeks=4)
    summaries = list(
        Event.objects.filter(person=family.ben, event_type="agreement").values_list(
            "summary", flat=True
        )
    )
    assert any("(late): kept" in s for s in summaries)


def test_a_review_on_time_is_not_late(family):
    hv = health_visitor(family)
    agreement = bens_feeding(family, by=hv)
    review = agreement_review(agreement=agreement, by=hv, outcome="ended", note="No longer needed.",
                              reviewed_on=today())  # fmt: skip
    agreement.refresh_from_db()
    assert not review.late and review.next_review_on is None
    assert agreement.status == VerbalAgreement.Status.ENDED


def test_converted_closes_the_agreement(family):
    hv = health_visitor(family)
    agreement = bens_feeding(family, by=hv)
    agreement_review(agreement=agreement, by=hv, outcome="converted",
                     note="Written agreement signed.", reviewed_on=today())  # fmt: skip
    agreement.refresh_from_db()
    assert agreement.status == VerbalAgreement.Status.CONVERTED
    with pytest.raises(ApplicationError, match="has no review due"):
        agreement_review(agreement=agreement, by=hv, outcome="kept", note="x",
                         reviewed_on=today(), next_review_on=today() + dt.timedelta(7))  # fmt: skip


@pytest.mark.parametrize(
    ("next_in_days", "words"),
    [
        (None, "Enter a review date"),
        (-1, "must not be in the past"),
        (43, "no more than 6 weeks"),
    ],
)
def test_a_continuing_review_needs_a_next_review_date_within_the_maximum(
    family, next_in_days, words
):
    hv = health_visitor(family)
    agreement = bens_feeding(family, by=hv)
    next_on = None if next_in_days is None else today() + dt.timedelta(days=next_in_days)
    with pytest.raises(ApplicationError) as refused:
        agreement_review(agreement=agreement, by=hv, outcome="not_kept", note="Missed clinic.",
                         reviewed_on=today(), next_review_on=next_on)  # fmt: skip
    assert words in str(refused.value.extra["next_review_on"])
    assert not AgreementReview.objects.exists()
    assert Event.objects.filter(event_type="agreement").count() == 1  # the recording only


def test_a_review_needs_an_outcome_a_note_and_a_date(family):
    hv = health_visitor(family)
    agreement = bens_feeding(family, by=hv)
    with pytest.raises(ApplicationError) as refused:
        agreement_review(agreement=agreement, by=hv, outcome="", note=" ", reviewed_on=None)
    assert set(refused.value.extra) == {"outcome", "note", "reviewed_on"}


def test_only_the_recording_agency_may_review(family):
    agreement = bens_feeding(family)
    for outsider in (make_user(family.gp), make_user(family.csc, User.Role.CSC_MANAGER),
                     make_user(family.hv, User.Role.AUDITOR)):  # fmt: skip
        with pytest.raises(ApplicationError, match="Only staff of the agency that recorded"):
            agreement_review(agreement=agreement, by=outsider, outcome="ended", note="x",
                             reviewed_on=today())  # fmt: skip
    assert not AgreementReview.objects.exists()


def test_the_database_refuses_a_continuing_review_without_a_next_date(family):
    hv = health_visitor(family)
    agreement = bens_feeding(family, by=hv)
    review = agreement_review(agreement=agreement, by=hv, outcome="ended", note="Done.",
                              reviewed_on=today())  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementReview.objects.filter(pk=review.pk).update(outcome="kept")


# ---------------------------------------------------------------------------
# The partnership's settings


def test_a_partnership_manager_changes_the_settings(family):
    manager = make_user(family.csc, User.Role.PARTNERSHIP_MANAGER)
    policy = agreement_policy_update(by=manager, max_weeks_to_review=4, sign_off_required=True,
                                     local_expectations="Our procedure.")  # fmt: skip
    assert (policy.max_weeks_to_review, policy.sign_off_required) == (4, True)
    assert AgreementPolicy.current().local_expectations == "Our procedure."


def test_only_partnership_managers_change_the_settings(family):
    for user in (
        make_user(family.hv, User.Role.MANAGER),
        make_user(family.csc, User.Role.CSC_MANAGER),
    ):
        with pytest.raises(ApplicationError, match="Only partnership managers"):
            agreement_policy_update(by=user, max_weeks_to_review=4, sign_off_required=False,
                                    local_expectations="x")  # fmt: skip
    assert AgreementPolicy.current().max_weeks_to_review == 6


def test_the_settings_refuse_an_impossible_maximum_and_empty_expectations(family):
    manager = make_user(family.csc, User.Role.PARTNERSHIP_MANAGER)
    with pytest.raises(ApplicationError) as refused:
        agreement_policy_update(by=manager, max_weeks_to_review=0, sign_off_required=False,
                                local_expectations="")  # fmt: skip
    assert set(refused.value.extra) == {"max_weeks_to_review", "local_expectations"}


def test_the_default_expectations_state_good_practice():
    text = AgreementPolicy.current().local_expectations
    assert "proportionate to an identified need" in text and "6 weeks" in text
