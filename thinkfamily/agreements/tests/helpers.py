"""Verbal agreements for tests: the Carter family, Jade's mother, and a health visitor's
agreement with Jade about Ben's weight and feeding."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.agreements.models import VerbalAgreement
from thinkfamily.agreements.services import agreement_record
from thinkfamily.people.models import Person, Relationship
from thinkfamily.people.tests.factories import (
    make_person_with_record,
    make_record,
    make_relationship,
    make_user,
)
from thinkfamily.prompts.tests.family import Family, years_ago


def today() -> dt.date:
    return timezone.localdate()


def jades_mother(family: Family) -> Person:
    """Sandra Carter, Jade's mother, who helps with Ben; health visiting records her as
    Jade's parent (so she is in the family's network, and the health visitor may see her)."""
    sandra = make_person_with_record(family.hv, "Sandra", "Carter", years_ago(58), sex="F")
    jade = make_record(family.hv, family.jade)
    make_relationship(sandra.records.get(agency=family.hv), jade, Relationship.Kind.PARENT)
    return sandra


def health_visitor(family: Family, role: str = User.Role.PRACTITIONER) -> User:
    return make_user(family.hv, role)


def bens_feeding(
    family: Family, *, by: User | None = None, review_in_days: int = 14, **changes: object
) -> VerbalAgreement:
    """Jade agrees with the health visitor to weigh Ben weekly and keep a feeding diary."""
    values: dict = {
        "by": by or health_visitor(family),
        "household": family.home,
        "made_with_ids": [family.jade.pk],
        "children_ids": [family.ben.pk],
        "agreed": "Jade will bring Ben to the weekly weigh-in clinic and keep a feeding diary.",
        "need": "Ben's weight and feeding: he has dropped two centiles since his last review.",
        "if_not_kept": "The health visitor will discuss a referral to children's social care.",
        "made_on": today(),
        "review_on": today() + dt.timedelta(days=review_in_days),
    }
    values.update(changes)
    return agreement_record(**values)


def move_back(agreement: VerbalAgreement, days: int) -> VerbalAgreement:
    """Simulate the passing of time: the agreement was made (and due) ``days`` earlier."""
    delta = dt.timedelta(days=days)
    VerbalAgreement.objects.filter(pk=agreement.pk).update(
        made_on=agreement.made_on - delta, review_on=agreement.review_on - delta
    )
    agreement.refresh_from_db()
    return agreement
