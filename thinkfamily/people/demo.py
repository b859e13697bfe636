"""Break-glass in the demo: a police officer has opened a child's record their force does not
know, for a reason, and the opening waits for the sergeant's review.

``demo_break_glass`` is for ``thinkfamily demo_setup`` to call once the demo logins exist.
It uses the same service as the break-glass page. Safe to run again.
"""

from __future__ import annotations

from django.db import transaction

from thinkfamily.accounts.break_glass import break_glass_open
from thinkfamily.accounts.models import BreakGlassAccess, User
from thinkfamily.core.demo import DemoFamily
from thinkfamily.people.models import Person

DEMO_BREAK_GLASS_REASON = (
    "Child found alone at a bus station late at night; a neighbour gave this name. "
    "Checking who cares for him before taking him home."
)


@transaction.atomic
def demo_break_glass(*, family: DemoFamily) -> BreakGlassAccess | None:
    """The police officer's opening of the preschool sibling (or another child the police do
    not know); None without the police logins."""
    officer = User.objects.filter(username="police").first()
    if officer is None or officer.agency_id is None:
        return None
    existing = BreakGlassAccess.objects.filter(user=officer, reason=DEMO_BREAK_GLASS_REASON)
    if existing.exists():
        return existing.first()
    child = family.sibling
    if child.records.filter(agency_id=officer.agency_id).exists() or child.sealed:
        child = (
            Person.objects.exclude(records__agency_id=officer.agency_id)
            .filter(sealed=False, unborn=False)
            .order_by("-date_of_birth", "pk")
            .first()
        ) or child
    return break_glass_open(user=officer, person=child, reason=DEMO_BREAK_GLASS_REASON)
