"""The partnership's settings for conversations: how long participants have to acknowledge.

A record not acknowledged within ``THINKFAMILY_CONVERSATION_ACK_WORKING_DAYS``
working days of being circulated (5 by default) is overdue, and surfaces on
the worklists of those who still have to answer and on the family page.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from thinkfamily.core.working_days import add_working_days

DEFAULT_ACK_WORKING_DAYS = 5


def acknowledgement_working_days() -> int:
    """Working days a participant has to acknowledge or dispute a circulated record."""
    return int(
        getattr(settings, "THINKFAMILY_CONVERSATION_ACK_WORKING_DAYS", DEFAULT_ACK_WORKING_DAYS)
    )


def acknowledgement_due_on(circulated_on: dt.date) -> dt.date:
    """The last day to acknowledge a record circulated on ``circulated_on``."""
    return add_working_days(circulated_on, acknowledgement_working_days())
