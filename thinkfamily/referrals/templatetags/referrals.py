"""Referral questions a page asks of the access rules: may this user refer this child?"""

from __future__ import annotations

from django import template

from thinkfamily.accounts.models import User
from thinkfamily.people.models import Household, Person
from thinkfamily.referrals import selectors

register = template.Library()


@register.filter
def may_refer(user: User, subject: Person | Household) -> bool:
    """Whether ``user`` may refer this child, or a child of this household, to children's
    social care (``{% if user|may_refer:person %}``); see ``selectors.may_refer``."""
    return selectors.may_refer(user, subject)
