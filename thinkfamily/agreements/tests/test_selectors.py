"""Reading verbal agreements: who may see one, the register's overdue reviews and unshared
agreements, the family-page summary, and the compliance figures against a hand-built set."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from thinkfamily.accounts.models import User
from thinkfamily.agreements.models import AgreementPolicy, AgreementReview, VerbalAgreement
from thinkfamily.agreements.selectors import (
    AgreementRow,
    agreement_compliance,
    agreement_detail,
    agreement_network,
    agreement_register,
    family_agreements,
)
from thinkfamily.agreements.services import agreement_review, agreement_share, agreement_sign_off
from thinkfamily.agreements.tests.helpers import (
    bens_feeding,
    health_visitor,
    jades_mother,
    move_back,
    today,
)
from thinkfamily.audit.models import AuditEvent
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import carter_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    return carter_family()


# ---------------------------------------------------------------------------
# Access


def test_the_recording_agency_agencies_knowing_the_child_and_family_wide_roles_may_read(family):
    agreement = bens_feeding(family)
    for reader in (health_visitor(family), make_user(family.gp),
                   make_user(family.csc, User.Role.CSC_WORKER)):  # fmt: skip
        detail = agreement_detail(agreement_id=agreement.pk, viewer=reader)
        assert detail.children == [family.ben]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_AGREEMENT).count() == 3


def test_an_agency_that_does_not_know_the_child_may_not_read_it(family):
    agreement = bens_feeding(family)
    for outsider in (make_user(family.school), make_user(family.police)):
        with pytest.raises(VerbalAgreement.DoesNotExist):
            agreement_detail(agreement_id=agreement.pk, viewer=outsider)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_AGREEMENT).exists()


def test_readers_outside_the_recording_agency_may_not_act_on_it(family):
    agreement = bens_feeding(family)
    gp = agreement_detail(agreement_id=agreement.pk, viewer=make_user(family.gp))
    hv = agreement_detail(agreement_id=agreement.pk, viewer=health_visitor(family))
    assert not gp.may_act and hv.may_act


def test_the_network_is_the_other_adults_of_the_household_and_their_relatives(family):
    agreement = bens_feeding(family)
    sandra = jades_mother(family)
    network = agreement_network(agreement=agreement, viewer=health_visitor(family))
    assert network == [sandra, family.finn]  # not Jade, who made it, nor the children


# ---------------------------------------------------------------------------
# The register


def _of(rows: list[AgreementRow]) -> list[VerbalAgreement]:
    return [row.agreement for row in rows]


def test_an_overdue_review_surfaces_on_the_recording_agency_s_register(family):
    hv = health_visitor(family)
    on_time = bens_feeding(family, by=hv, review_in_days=3)
    overdue = move_back(bens_feeding(family, by=hv), days=15)  # due yesterday
    later = bens_feeding(family, by=hv, review_in_days=30)
    register = agreement_register(viewer=hv)
    assert _of(register.overdue) == [overdue]
    assert _of(register.due) == [on_time]
    assert set(_of(register.unshared)) == {on_time, overdue, later}
    assert agreement_register(viewer=make_user(family.gp)).active == []


def test_an_agreement_due_today_is_not_overdue(family):
    hv = health_visitor(family)
    move_back(bens_feeding(family, by=hv), days=14)
    register = agreement_register(viewer=hv)
    assert register.overdue == [] and len(register.due) == 1


def test_a_reviewed_or_shared_agreement_leaves_the_lists(family):
    hv = health_visitor(family)
    agreement = move_back(bens_feeding(family, by=hv), days=15)
    agreement_share(agreement=agreement, by=hv, person_id=family.finn.pk, how="in_person",
                    shared_on=today())  # fmt: skip
    agreement_review(agreement=agreement, by=hv, outcome="kept", note="Kept.",
                     reviewed_on=today(), next_review_on=today() + dt.timedelta(14))  # fmt: skip
    register = agreement_register(viewer=hv)
    assert register.overdue == [] and register.unshared == []


def test_awaiting_sign_off_is_listed_for_managers_other_than_the_recorder(family):
    AgreementPolicy.objects.update_or_create(pk=1, defaults={"sign_off_required": True})
    recorder = health_visitor(family, User.Role.MANAGER)
    agreement = bens_feeding(family, by=recorder)
    manager = health_visitor(family, User.Role.MANAGER)
    assert _of(agreement_register(viewer=manager).awaiting_sign_off) == [agreement]
    assert agreement_register(viewer=recorder).awaiting_sign_off == []
    assert agreement_register(viewer=health_visitor(family)).awaiting_sign_off == []
    agreement_sign_off(agreement=agreement, by=manager)
    assert agreement_register(viewer=manager).awaiting_sign_off == []


# ---------------------------------------------------------------------------
# The family page


def test_the_family_summary_shows_active_overdue_and_unshared_agreements(family):
    hv = health_visitor(family)
    overdue = move_back(bens_feeding(family, by=hv), days=20)
    shared = bens_feeding(family, by=hv)
    agreement_share(agreement=shared, by=hv, person_id=family.finn.pk, how="phone",
                    shared_on=today())  # fmt: skip
    summary = family_agreements(household=family.home, viewer=make_user(family.gp))
    assert _of(summary.active) == [overdue, shared]  # the review due first comes first
    assert _of(summary.overdue) == [overdue] and _of(summary.unshared) == [overdue]
    assert family_agreements(household=family.home, viewer=make_user(family.school)).active == []


# ---------------------------------------------------------------------------
# Compliance


def test_compliance_is_for_partnership_managers_only(family):
    for user in (health_visitor(family, User.Role.MANAGER),
                 make_user(family.csc, User.Role.CSC_MANAGER)):  # fmt: skip
        with pytest.raises(PermissionDenied):
            agreement_compliance(viewer=user)


def test_compliance_figures_by_agency_and_month_against_a_hand_built_set(family):
    """Four agreements by health visiting in one month, one by the GP in another:

    hv1 shared, reviewed on time; hv2 shared, reviewed late; hv3 not shared, not
    reviewed and its review date passed; hv4 not shared, review not yet due.
    gp1 (a month earlier) shared, reviewed on the day it was due.
    """
    hv = health_visitor(family)
    gp = make_user(family.gp)
    this_month = today().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)

    def made(by, made_on, review_on, *, shared=False, reviewed_on=None):
        agreement = bens_feeding(family, by=by)
        VerbalAgreement.objects.filter(pk=agreement.pk).update(made_on=made_on, review_on=review_on)
        agreement.refresh_from_db()
        if shared:
            agreement_share(agreement=agreement, by=by, person_id=family.jade.pk, how="phone",
                            shared_on=made_on)  # fmt: skip
        if reviewed_on:
            AgreementReview.objects.create(
                agreement=agreement, outcome="ended", note="Done.", reviewed_on=reviewed_on,
                due_on=review_on, reviewed_by=by, recorded_at=agreement.recorded_at,
            )  # fmt: skip
        return agreement

    d = this_month
    made(hv, d, d + dt.timedelta(10), shared=True, reviewed_on=d + dt.timedelta(9))
    made(hv, d, d + dt.timedelta(10), shared=True, reviewed_on=d + dt.timedelta(12))
    made(hv, d, d + dt.timedelta(10))
    made(hv, d, d + dt.timedelta(40))
    made(gp, last_month, last_month + dt.timedelta(14), shared=True,
         reviewed_on=last_month + dt.timedelta(14))  # fmt: skip

    judged_on = d + dt.timedelta(20)
    manager = make_user(family.csc, User.Role.PARTNERSHIP_MANAGER)
    rows = {
        (r.agency.code, r.month): r for r in agreement_compliance(viewer=manager, today=judged_on)
    }
    hv_row = rows[(family.hv.code, this_month)]
    assert (hv_row.agreements, hv_row.with_need, hv_row.shared) == (4, 4, 2)
    assert (hv_row.reviews_due, hv_row.reviewed_on_time) == (3, 1)
    gp_row = rows[(family.gp.code, last_month)]
    assert (gp_row.agreements, gp_row.shared, gp_row.reviews_due, gp_row.reviewed_on_time) == (
        1, 1, 1, 1,
    )  # fmt: skip
    assert len(rows) == 2


def test_every_read_is_audited(family):
    hv = health_visitor(family)
    agreement = bens_feeding(family, by=hv)
    agreement_register(viewer=hv)
    family_agreements(household=family.home, viewer=hv)
    agreement_detail(agreement_id=agreement.pk, viewer=hv)
    agreement_compliance(viewer=make_user(family.csc, User.Role.PARTNERSHIP_MANAGER))
    audited = list(
        AuditEvent.objects.filter(
            action__in=[AuditEvent.Action.VIEW_AGREEMENT, AuditEvent.Action.VIEW_WORKLIST]
        ).values_list("object_type", flat=True)
    )
    assert sorted(audited) == [
        "agreement_compliance", "household", "verbal_agreement", "verbal_agreements",
    ]  # fmt: skip
