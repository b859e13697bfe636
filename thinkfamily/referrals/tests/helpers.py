"""Referrals for tests: the Carter family referred by their GP, and the steps after."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import Family
from thinkfamily.referrals.models import Referral
from thinkfamily.referrals.services import (
    ChildOnReferral,
    FamilyInformed,
    referral_acknowledge,
    referral_confirm_family_awareness,
    referral_decide,
    referral_make,
    referral_manager_confirm,
    referral_record_visit_intention,
)

TOLD = FamilyInformed(
    answer="yes",
    informed_on=dt.date(2026, 11, 20),
    informed_by_name="Dr Gita Practice",
    informed_how="in_person",
    family_response="Mother agreed and asked for help with housing.",
)
NOT_TOLD_RISK = FamilyInformed(answer="no", not_informed_reason="risk_of_harm")


def gp_refers(
    family: Family, informed: FamilyInformed = TOLD, *, by: User | None = None
) -> Referral:
    """The GP refers Ava and Ben; the unborn baby is left off with a reason."""
    return referral_make(
        by=by or make_user(family.gp),
        household=family.home,
        children=[
            ChildOnReferral(family.ava, included=True),
            ChildOnReferral(family.ben, included=True),
            ChildOnReferral(
                family.unborn, included=False, removal_reason="Not yet born; midwifery is aware."
            ),
        ],
        concerns="Ben has lost weight; Ava says there is often no food.",
        categories=["neglect"],
        done_so_far="Weighed Ben; booked a review; spoke to the health visitor.",
        family_informed=informed,
    )


def social_worker(family: Family) -> User:
    return make_user(family.csc, User.Role.CSC_WORKER)


def decided(family: Family, decision: str = "assessment") -> tuple[Referral, User]:
    """A referral (family told) taken as far as the decision, by one social worker."""
    worker = social_worker(family)
    referral = gp_refers(family)
    referral = referral_acknowledge(referral=referral, by=worker, version=referral.version)
    referral = referral_confirm_family_awareness(
        referral=referral, by=worker, version=referral.version, family_aware=True
    )
    referral = referral_decide(
        referral=referral,
        by=worker,
        version=referral.version,
        decisions={
            family.ava.pk: (decision, "Reasons for Ava."),
            family.ben.pk: (decision, "Reasons for Ben."),
        },
        strategy_discussion_on=timezone.localdate() if decision == "strategy_s47" else None,
    )
    return referral, worker


def sent_without_telling(family: Family) -> tuple[Referral, User]:
    """The GP refers without telling the family; the practice manager confirms."""
    referral = gp_refers(family, NOT_TOLD_RISK)
    manager = make_user(family.gp, User.Role.MANAGER)
    referral = referral_manager_confirm(
        referral=referral,
        by=manager,
        version=referral.version,
        note="Agreed: father may harm the children if he learns of it.",
    )
    return referral, manager


__all__ = [
    "NOT_TOLD_RISK",
    "TOLD",
    "decided",
    "gp_refers",
    "referral_record_visit_intention",
    "sent_without_telling",
    "social_worker",
]
