"""The verbal agreement in the demo: a health visitor's agreement whose review is overdue.

``demo_agreement_overdue`` is for ``thinkfamily demo_setup`` to call once the
demo logins exist (``core.demo``): the health visitor ("hv") made a verbal
agreement with a parent of the preschool sibling about feeding 16 days ago,
to be reviewed in 14, and told nobody else. Signed in as hv, it is overdue on
Agreements and on the family's page; share it with the network, then review
it (late).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.agreements.models import VerbalAgreement
from thinkfamily.agreements.services import agreement_record
from thinkfamily.core.demo import DemoFamily
from thinkfamily.people.models import HouseholdMembership

DEMO_AGREEMENT_NEED = (
    "Weight and feeding: the health visitor's last two weighings show a drop of two centiles."
)
DEMO_AGREEMENT_AGE_DAYS = 16


@transaction.atomic
def demo_agreement_overdue(*, family: DemoFamily) -> VerbalAgreement | None:
    """The demo's overdue verbal agreement, recorded once by "hv"; None when the demo has no
    health visitor login, or the sibling has no home with an adult in it."""
    existing = VerbalAgreement.objects.filter(need=DEMO_AGREEMENT_NEED).first()
    if existing is not None:
        return existing
    hv = User.objects.filter(username="hv").first()
    home = (
        HouseholdMembership.objects.filter(person=family.sibling, end_date__isnull=True)
        .order_by("household_id")
        .select_related("household")
        .first()
    )
    if hv is None or home is None:
        return None
    today = timezone.localdate()
    adults = [
        m.person_id
        for m in home.household.memberships.filter(end_date__isnull=True).select_related("person")
        if not m.person.is_child_on(today)
    ]
    if not adults:
        return None
    agreement = agreement_record(
        by=hv,
        household=home.household,
        made_with_ids=adults[:1],
        children_ids=[family.sibling.pk],
        agreed="Bring the baby to the weekly weigh-in clinic and keep a feeding diary.",
        need=DEMO_AGREEMENT_NEED,
        if_not_kept="The health visitor will discuss a referral to children's social care.",
        made_on=today,
        review_on=today + dt.timedelta(weeks=2),
    )
    # Made 16 days ago, as if time had passed: its review was due two days ago.
    earlier = dt.timedelta(days=DEMO_AGREEMENT_AGE_DAYS)
    VerbalAgreement.objects.filter(pk=agreement.pk).update(
        made_on=agreement.made_on - earlier, review_on=agreement.review_on - earlier
    )
    agreement.refresh_from_db()
    return agreement
