"""Referrals: the worklist and one referral (read), and each step (act), with the version."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.api.models import IdempotentRequest
from thinkfamily.api.tests.cases import audited, fields_of, get, post, token_for
from thinkfamily.api.tests.conftest import assert_error_shape
from thinkfamily.audit.models import AuditEvent
from thinkfamily.people.models import Person
from thinkfamily.prompts.tests.family import Family, carter_family
from thinkfamily.referrals.models import Referral, ReferralStep
from thinkfamily.referrals.tests.helpers import NOT_TOLD_RISK, gp_refers

pytestmark = pytest.mark.django_db


@pytest.fixture
def family() -> Family:
    return carter_family()


@pytest.fixture
def referral(family: Family) -> Referral:
    return gp_refers(family)


def test_the_referrer_lists_and_reads_it_audited(
    client: Client, family: Family, referral: Referral
) -> None:
    token, api_token = token_for(family.gp, "read")
    status, body = get(client, "/referrals", token)
    assert status == 200 and [i["id"] for i in body["items"]] == [referral.pk]
    status, body = get(client, f"/referrals/{referral.pk}", token)
    assert status == 200, body
    assert body["status"] == "received" and body["version"] == referral.version
    assert set(body["child_ids"]) == {family.ava.pk, family.ben.pk}  # the unborn was left off
    assert body["next_step"] == "acknowledge" and body["may_take_next_step"] is False
    (entry,) = audited(api_token, AuditEvent.Action.VIEW_REFERRAL)
    assert entry.actor_label == api_token.label and entry.object_id == str(referral.pk)
    assert len(audited(api_token, AuditEvent.Action.VIEW_WORKLIST)) == 1


def test_children_s_social_care_lists_it_only_with_a_handling_role(
    client: Client, family: Family, referral: Referral
) -> None:
    practitioner, _ = token_for(family.csc, "read")
    worker, _ = token_for(family.csc, "read", role=User.Role.CSC_WORKER)
    assert get(client, "/referrals", practitioner)[1]["items"] == []
    assert [i["id"] for i in get(client, "/referrals", worker)[1]["items"]] == [referral.pk]


def test_another_agency_and_a_sealed_childs_referral_are_404(
    client: Client, family: Family, referral: Referral
) -> None:
    school, _ = token_for(family.school, "read", "act")
    nobody = get(client, "/referrals/999999", school)
    assert get(client, f"/referrals/{referral.pk}", school) == nobody
    assert post(client, f"/referrals/{referral.pk}/acknowledge", school, {"version": 1})[0] == 404
    Person.objects.filter(pk__in=[family.ava.pk, family.ben.pk]).update(sealed=True)
    gp, _ = token_for(family.gp, "read")
    assert get(client, f"/referrals/{referral.pk}", gp)[0] == 404
    assert get(client, "/referrals", gp)[1]["items"] == []


def test_a_worker_takes_it_through_every_step_to_closed(
    client: Client, family: Family, referral: Referral
) -> None:
    token, api_token = token_for(family.csc, "read", "act", role=User.Role.CSC_WORKER)
    url = f"/referrals/{referral.pk}"
    steps = [
        ("acknowledge", {"note": "Received."}),
        ("confirm_awareness", {"family_aware": True}),
        (
            "decide",
            {
                "decisions": [
                    {"person_id": family.ava.pk, "decision": "assessment", "reasons": "Hungry."},
                    {"person_id": family.ben.pk, "decision": "assessment", "reasons": "Weight."},
                ]
            },
        ),
        (
            "record_visit_intention",
            {"communicated": True, "communicated_on": str(timezone.localdate()), "how": "phone"},
        ),
        ("close", {"outcome_feedback": "Assessment under way; family engaging."}),
    ]
    version = referral.version
    for name, fields in steps:
        status, body, _ = post(client, f"{url}/{name}", token, {"version": version, **fields})
        assert status == 200, (name, body)
        assert body["version"] == version + 1
        version = body["version"]
    assert body["status"] == "closed" and body["outcome_feedback"].startswith("Assessment")
    assert ReferralStep.objects.filter(referral=referral, actor=api_token.service_user).count() == 5
    assert len(audited(api_token, AuditEvent.Action.REFERRAL_STEP)) == 5


def test_a_step_from_an_old_version_is_409_and_out_of_order_too(
    client: Client, family: Family, referral: Referral
) -> None:
    token, _ = token_for(family.csc, "act", role=User.Role.CSC_WORKER)
    url = f"/referrals/{referral.pk}"
    assert post(client, f"{url}/acknowledge", token, {"version": referral.version})[0] == 200
    status, body, _ = post(client, f"{url}/acknowledge", token, {"version": referral.version})
    assert status == 409 and "updated" in body["message"]
    status, body, _ = post(
        client, f"{url}/close", token, {"version": referral.version + 1, "outcome_feedback": "x"}
    )
    assert status == 409 and "in order" in body["message"]


def test_a_step_names_each_field_at_fault(
    client: Client, family: Family, referral: Referral
) -> None:
    token, _ = token_for(family.csc, "act", role=User.Role.CSC_WORKER)
    url = f"/referrals/{referral.pk}"
    post(client, f"{url}/acknowledge", token, {"version": 1})
    status, body, _ = post(
        client, f"{url}/confirm_awareness", token, {"version": 2, "family_aware": False}
    )
    assert status == 400
    assert_error_shape(body)
    assert fields_of(body) == ["telling_decision", "telling_reason"]
    status, body, _ = post(client, f"{url}/confirm_awareness", token, {"version": "two"})
    assert status == 422 and set(fields_of(body)) == {"version", "family_aware"}
    assert Referral.objects.get(pk=referral.pk).version == 2


def test_a_step_is_403_for_whoever_may_see_it_but_not_take_it(
    client: Client, family: Family, referral: Referral
) -> None:
    csc_practitioner, _ = token_for(family.csc, "act")
    status, body, _ = post(
        client, f"/referrals/{referral.pk}/acknowledge", csc_practitioner, {"version": 1}
    )
    assert status == 403 and "social care" in body["message"]
    read_only, _ = token_for(family.csc, "read", role=User.Role.CSC_WORKER)
    status, body, _ = post(
        client, f"/referrals/{referral.pk}/acknowledge", read_only, {"version": 1}
    )
    assert status == 403 and "act" in body["message"]


def test_the_referrer_s_manager_confirms_why_the_family_was_not_told(
    client: Client, family: Family
) -> None:
    referral = gp_refers(family, NOT_TOLD_RISK)
    token, _ = token_for(family.gp, "act", role=User.Role.MANAGER)
    url = f"/referrals/{referral.pk}/manager_confirm"
    status, body, _ = post(client, url, token, {"version": referral.version})
    assert status == 400 and fields_of(body) == ["note"]
    status, body, _ = post(client, url, token, {"version": referral.version, "note": "Agreed."})
    assert status == 200 and body["status"] == "received"


def test_a_retried_step_with_the_same_key_is_taken_once(
    client: Client, family: Family, referral: Referral
) -> None:
    token, api_token = token_for(family.csc, "act", role=User.Role.CSC_WORKER)
    url = f"/referrals/{referral.pk}/acknowledge"
    key = {"Idempotency-Key": "ack-1"}
    first = post(client, url, token, {"version": 1}, **key)
    again = post(client, url, token, {"version": 1}, **key)
    assert first[0] == again[0] == 200 and first[1] == again[1]
    assert again[2]["Idempotent-Replayed"] == "true"
    assert Referral.objects.get(pk=referral.pk).version == 2
    assert ReferralStep.objects.filter(referral=referral, actor=api_token.service_user).count() == 1
    assert IdempotentRequest.objects.filter(token=api_token).count() == 1
