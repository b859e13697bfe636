"""The label an agency system's calls are recorded under, whoever writes the entry."""

from __future__ import annotations

import pytest

from thinkfamily.accounts.models import Agency
from thinkfamily.api.services import api_token_create
from thinkfamily.audit.context import _actor_label, actor_label_for, label_actor_for_request
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record
from thinkfamily.people.tests.factories import make_agency, make_user

pytestmark = pytest.mark.django_db


def test_an_actor_label_names_only_its_own_users_entries():
    school = make_agency("SCH-LABEL", Agency.AgencyType.SCHOOL)
    system = make_user(school, username="api:SCH:MIS")
    person = make_user(school, username="someone.else")
    label_actor_for_request(user_id=system.pk, label="api token tf_abcd (SCH: MIS)")
    try:
        by_system = audit_record(actor=system, action=AuditEvent.Action.SEARCH)
        by_person = audit_record(actor=person, action=AuditEvent.Action.SEARCH)
    finally:
        _actor_label.set(None)
    assert by_system.actor_label == "api token tf_abcd (SCH: MIS)"
    assert by_person.actor_label == "someone.else"


def test_the_label_an_api_call_sets_ends_with_the_call(client):
    school = make_agency("SCH-LABEL", Agency.AgencyType.SCHOOL)
    issued = api_token_create(agency=school, name="MIS", scopes=["read"])
    response = client.get("/api/v1/people", headers={"Authorization": f"Bearer {issued.token}"})
    assert response.status_code == 200
    search = AuditEvent.objects.get(action=AuditEvent.Action.SEARCH)
    assert search.actor_label == issued.api_token.label
    assert actor_label_for(issued.api_token.service_user.pk) == ""
