"""Verbal agreements: the register and one agreement (read)."""

from __future__ import annotations

import pytest
from django.test import Client

from thinkfamily.agreements.models import VerbalAgreement
from thinkfamily.agreements.tests.helpers import bens_feeding
from thinkfamily.api.tests.cases import audited, fields_of, get, token_for
from thinkfamily.audit.models import AuditEvent
from thinkfamily.people.models import Person
from thinkfamily.prompts.tests.family import Family, carter_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def family() -> Family:
    return carter_family()


@pytest.fixture
def agreement(family: Family) -> VerbalAgreement:
    return bens_feeding(family)


def test_the_register_and_one_agreement_are_audited(
    client: Client, family: Family, agreement: VerbalAgreement
) -> None:
    token, api_token = token_for(family.hv, "read")
    status, body = get(client, "/agreements", token)
    assert status == 200 and [i["id"] for i in body["items"]] == [agreement.pk]
    assert len(audited(api_token, AuditEvent.Action.VIEW_WORKLIST)) == 1
    status, body = get(client, f"/agreements/{agreement.pk}", token)
    assert status == 200, body
    assert body["child_ids"] == [family.ben.pk] and body["made_with_ids"] == [family.jade.pk]
    (entry,) = audited(api_token, AuditEvent.Action.VIEW_AGREEMENT)
    assert entry.actor_label == api_token.label and entry.object_id == str(agreement.pk)


def test_an_agency_knowing_the_child_reads_it_but_has_no_register_of_it(
    client: Client, family: Family, agreement: VerbalAgreement
) -> None:
    token, _ = token_for(family.gp, "read")  # the GP holds a record of Ben
    assert get(client, f"/agreements/{agreement.pk}", token)[0] == 200
    assert get(client, "/agreements", token)[1]["items"] == []


def test_another_agency_and_a_sealed_child_get_404(
    client: Client, family: Family, agreement: VerbalAgreement
) -> None:
    police, _ = token_for(family.police, "read")
    assert get(client, f"/agreements/{agreement.pk}", police) == get(
        client, "/agreements/999999", police
    )
    Person.objects.filter(pk=family.ben.pk).update(sealed=True)
    hv, _ = token_for(family.hv, "read")
    assert get(client, f"/agreements/{agreement.pk}", hv)[0] == 404
    assert get(client, "/agreements", hv)[1]["items"] == []


def test_pages_and_bad_input(client: Client, family: Family) -> None:
    made = [bens_feeding(family, review_in_days=days) for days in (7, 14, 21)]
    token, _ = token_for(family.hv, "read")
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        status, body = get(client, "/agreements", token, **query)
        assert status == 200
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [a.pk for a in made]
    assert fields_of(get(client, "/agreements", token, cursor="nope")[1]) == ["cursor"]
    assert fields_of(get(client, "/agreements", token, limit=0)[1]) == ["limit"]
    assert get(client, "/agreements", token_for(family.hv, "push")[0])[0] == 403
