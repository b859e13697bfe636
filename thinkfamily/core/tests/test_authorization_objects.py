"""The authorisation matrix, part three: every page of one record (a prompt, a referral, a
conversation, a verbal agreement, a case review and its parts, a briefing) by every role.

The Carter family's records are made the way practitioners make them: the school's
concern about Ava raises a sibling prompt about her brother Ben (sent to the GP and
health visiting, which know Ben, and to children's social care, which knows their
mother); the GP refers Ava and Ben; the school records a "What If" discussion with
the GP and the health visitor; the health visitor records a verbal agreement about
Ben; the partnership has a case review with an action for the school (with its
evidence), and a briefing; linkage has a pair of records for review and a merge. Each page (and
each page that changes one of them) is then asked by eleven users, one per role and
agency, and the answer compared with the rule in ``docs/security.md`` and the app's
own document, written out here: who may read it (a 404 for everyone else), and who
may change it (a 403 for readers who may not).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.agreements.tests.helpers import bens_feeding
from thinkfamily.conversations.tests.helpers import team, what_if
from thinkfamily.core.tests import matrix_count
from thinkfamily.learning.services import briefing_write, evidence_add
from thinkfamily.learning.tests.helpers import a_recommendation, a_review, an_action
from thinkfamily.matching.models import Merge
from thinkfamily.matching.services.merging import people_merge
from thinkfamily.matching.tests.factories import make_candidate
from thinkfamily.people.tests.factories import make_person_with_record, make_user
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.services import concern_record
from thinkfamily.prompts.tests.family import carter_family
from thinkfamily.referrals.tests.helpers import gp_refers

pytestmark = pytest.mark.django_db

Role = User.Role
FAMILY_WIDE = {"csc worker", "csc manager", "partnership manager"}
#: Readers of each kind of record, beyond the family-wide roles (by the agencies involved).
READERS = {
    # Sent to the agencies that know Ben (GP, health visiting) and to children's social care.
    "prompt": {"gp practitioner", "gp manager", "health visitor", "csc reviewer", "csc auditor"},
    # The referring agency (the GP) and the agency referred to (children's social care).
    "referral": {"gp practitioner", "gp manager", "csc reviewer", "csc auditor"},
    # The recording agency (the school) and the participants' agencies (GP, health visiting).
    "conversation": {"school dsl", "gp practitioner", "gp manager", "health visitor"},
    # The recording agency (health visiting) and agencies that know a child (GP, health visiting).
    "agreement": {"gp practitioner", "gp manager", "health visitor"},
}
#: The register is the partnership managers' and its review panel's, not family-wide roles'.
REGISTER = {"partnership manager", "csc reviewer"}
#: Every member of staff of an agency reads briefings; a system administrator no case content.
BRIEFING_READERS = "everyone with an agency"


#: Roles that decide whether two records are one person (matching), for every pair.
LINKAGE_DECIDERS = {"csc manager", "partnership manager"}
#: Pages that only take a POST: a GET is refused for everyone alike, saying nothing.
POST_ONLY = {"close an action", "record a session"}


def expected(kind: str, who: str) -> int:
    if kind in POST_ONLY:
        return 405
    if who == "sysadmin":
        return 404
    if kind in READERS:
        return 200 if who in FAMILY_WIDE or who in READERS[kind] else 404
    if kind == "amend the conversation":
        if not (who in FAMILY_WIDE or who in READERS["conversation"]):
            return 404
        return 200 if who == "school dsl" else 403  # the recorder, or the school's managers
    if kind in ("change the review", "publication"):
        return 404 if who not in REGISTER else (200 if who == "partnership manager" else 403)
    if kind == "evidence file":
        return 200 if who in REGISTER or who == "school dsl" else 404
    if kind == "change the briefing":
        return 200 if who == "partnership manager" else 403
    if kind == "briefing PDF":
        return 200
    if kind in ("candidate pair", "undo a merge"):
        return 200 if who in LINKAGE_DECIDERS else 404
    if kind == "unpublished review on the public page":
        return 404
    if kind in ("review", "recommendation", "review chronology"):
        return 200 if who in REGISTER else 404
    if kind == "school's action":
        return 200 if who in REGISTER or who == "school dsl" else 404
    if kind == "briefing":
        return 200
    raise AssertionError(kind)


def test_every_record_page_by_every_role(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    family = carter_family()
    people = team(family)
    concern_record(
        person=family.ava,
        by=people.dsl,
        occurred_at=timezone.now(),
        category="neglect",
        summary="Hungry at breakfast club.",
    )
    prompt = Prompt.objects.get(person=family.ben)
    referral = gp_refers(family)
    conversation = what_if(family, people)
    agreement = bens_feeding(family)
    partnership = make_user(family.csc, Role.PARTNERSHIP_MANAGER)
    review = a_review(by=partnership)
    recommendation = a_recommendation(review)
    action = an_action(recommendation, by=partnership, agency=family.school)
    evidence = evidence_add(
        action=action,
        by=partnership,
        kind="file",
        upload=SimpleUploadedFile("minutes.pdf", b"%PDF-1.7 minutes"),
    )
    twin = make_person_with_record(family.police, "Eve", "Ward", family.eve.date_of_birth)
    merge = people_merge(survivor=family.eve, absorbed=twin, rule=Merge.Rule.MANUAL)
    pair = make_candidate(
        family.ava.records.get(agency=family.school), family.mia.records.get(agency=family.school)
    )
    briefing = briefing_write(
        by=partnership,
        review=review,
        fields={
            "title": "Think Sibling",
            "background": "Background.",
            "why_it_matters": "Why.",
            "findings": "Found.",
            "what_to_do": "Do.",
            "questions": "Who?",
        },
    )
    viewers = {
        "school dsl": people.dsl,
        "gp practitioner": people.gp,
        "gp manager": make_user(family.gp, Role.MANAGER),
        "health visitor": people.hv,
        "police": make_user(family.police),
        "csc worker": make_user(family.csc, Role.CSC_WORKER),
        "csc manager": make_user(family.csc, Role.CSC_MANAGER),
        "partnership manager": partnership,
        "csc reviewer": make_user(family.csc, Role.REVIEWER),
        "csc auditor": make_user(family.csc, Role.AUDITOR),
        "sysadmin": make_user(None, Role.SYSTEM_ADMINISTRATOR),
    }
    pages = {
        "prompt": reverse("prompts:prompt", args=[prompt.pk]),
        "referral": reverse("referrals:referral", args=[referral.pk]),
        "conversation": reverse("conversations:conversation", args=[conversation.pk]),
        "agreement": reverse("agreements:agreement", args=[agreement.pk]),
        "review": review.get_absolute_url(),
        "review chronology": reverse("learning:chronology", args=[review.pk]),
        "recommendation": recommendation.get_absolute_url(),
        "school's action": action.get_absolute_url(),
        "briefing": briefing.get_absolute_url(),
        "amend the conversation": reverse("conversations:amend", args=[conversation.pk]),
        "close an action": reverse(
            "conversations:action_close", args=[conversation.actions.first().pk]
        ),
        "change the review": reverse("learning:review_edit", args=[review.pk]),
        "publication": reverse("learning:publication", args=[review.pk]),
        "evidence file": reverse("learning:evidence_file", args=[evidence.pk]),
        "change the briefing": reverse("learning:briefing_edit", args=[briefing.pk]),
        "briefing PDF": reverse("learning:briefing_pdf", args=[briefing.pk]),
        "record a session": reverse("learning:briefing_sessions", args=[briefing.pk]),
        "candidate pair": reverse("matching:candidate", args=[pair.pk]),
        "undo a merge": reverse("matching:merge_undo", args=[merge.pk]),
        "unpublished review on the public page": reverse(
            "learning:public_review", args=[review.pk]
        ),
    }
    mismatches = []
    checked = 0
    for who, user in viewers.items():
        client = Client()
        client.force_login(user)
        for kind, url in pages.items():
            status = client.get(url).status_code
            checked += 1
            if status != expected(kind, who):
                mismatches.append(f"{who} / {kind}: {status}, not {expected(kind, who)}")
    matrix_count.add("record pages", checked)
    assert not mismatches, "\n".join(mismatches)
