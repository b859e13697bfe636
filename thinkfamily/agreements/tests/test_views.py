"""The verbal agreement pages: the register, recording one beside the local expectations, the
agreement page's share, sign-off and review forms, the settings and the compliance page.

A refused form comes back (400) with each message against its question; an
action the viewer may not take is refused (403); an agreement or family the
viewer may not see is a 404.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from thinkfamily.accounts.models import User
from thinkfamily.agreements.models import AgreementPolicy, AgreementReview, VerbalAgreement
from thinkfamily.agreements.tests.helpers import (
    bens_feeding,
    health_visitor,
    jades_mother,
    move_back,
    today,
)
from thinkfamily.people.models import Person
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import carter_family

pytestmark = pytest.mark.django_db

NEW = reverse("agreements:new")


@pytest.fixture
def family():
    return carter_family()


def typed(day: dt.date) -> str:
    return f"{day:%d %m %Y}"


def test_the_record_page_shows_the_local_expectations_beside_the_form(client, family):
    client.force_login(health_visitor(family))
    page = client.get(f"{NEW}?household={family.home.pk}").content.decode()
    assert "Local expectations" in page and "proportionate to an identified need" in page
    assert "Jade Carter" in page and "Ben Carter" in page


def test_recording_an_agreement_from_the_form(client, family):
    client.force_login(health_visitor(family))
    response = client.post(
        f"{NEW}?household={family.home.pk}",
        {
            "made_with": [family.jade.pk],
            "children": [family.ben.pk],
            "agreed": "Weekly weigh-ins.",
            "need": "Ben's weight and feeding.",
            "if_not_kept": "Referral discussed.",
            "made_on": typed(today()),
            "review_on": typed(today() + dt.timedelta(14)),
        },
    )
    agreement = VerbalAgreement.objects.get()
    assert response.status_code == 302 and response["Location"] == agreement.get_absolute_url()


def test_a_refused_agreement_comes_back_with_each_problem_against_its_question(client, family):
    client.force_login(health_visitor(family))
    response = client.post(
        f"{NEW}?household={family.home.pk}",
        {"made_with": [family.jade.pk], "children": [family.ben.pk], "agreed": "x",
         "if_not_kept": "y", "made_on": typed(today()), "review_on": typed(dt.date(2020, 1, 1))},
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter the need or risk the agreement addresses" in page
    assert "The review date must not be in the past" in page
    response = client.post(f"{NEW}?household={family.home.pk}", {"review_on": "31 02 2026"})
    assert "Enter the date as day month year" in response.content.decode()
    assert not VerbalAgreement.objects.exists()


def test_an_agency_that_does_not_know_the_family_cannot_open_the_record_page(client, family):
    client.force_login(make_user(family.school))
    assert client.get(f"{NEW}?household={family.finns.pk + 999}").status_code == 404
    client.force_login(make_user(family.gp, User.Role.AUDITOR))
    assert client.get(f"{NEW}?household={family.home.pk}").status_code == 403


def test_the_register_surfaces_an_overdue_review(client, family):
    hv = health_visitor(family)
    move_back(bens_feeding(family, by=hv), days=16)
    client.force_login(hv)
    page = client.get(reverse("agreements:register")).content.decode()
    assert "1 agreement is overdue a review" in page and "Reviews overdue" in page
    assert "Shared with nobody" in page


def test_sharing_and_a_late_review_from_the_agreement_page(client, family):
    hv = health_visitor(family)
    agreement = move_back(bens_feeding(family, by=hv), days=16)
    sandra = jades_mother(family)
    client.force_login(hv)
    url = agreement.get_absolute_url()
    assert "Sandra Carter" in client.get(url).content.decode()
    shared = {"share-person": sandra.pk, "share-how": "phone", "share-shared_on": typed(today())}
    response = client.post(url, {"action": "share", **shared})
    assert response.status_code == 302
    response = client.post(url, {
        "action": "review", "review-outcome": "kept", "review-note": "Weighed weekly.",
        "review-reviewed_on": typed(today()),
        "review-next_review_on": typed(today() + dt.timedelta(21)),
    })  # fmt: skip
    assert response.status_code == 302
    assert AgreementReview.objects.get().late
    page = client.get(url).content.decode()
    assert "Late" in page and "Sandra Carter" in page


def test_a_review_without_a_next_date_comes_back_with_the_problem(client, family):
    hv = health_visitor(family)
    agreement = bens_feeding(family, by=hv)
    client.force_login(hv)
    response = client.post(agreement.get_absolute_url(), {
        "action": "review", "review-outcome": "not_kept", "review-note": "Missed clinic.",
        "review-reviewed_on": typed(today()),
    })  # fmt: skip
    assert response.status_code == 400 and "Enter a review date" in response.content.decode()


def test_another_agency_sees_the_agreement_but_may_not_review_it(client, family):
    agreement = bens_feeding(family)
    client.force_login(make_user(family.gp))
    url = agreement.get_absolute_url()
    page = client.get(url).content.decode()
    assert "Review the agreement" not in page
    review = {"review-outcome": "ended", "review-note": "x", "review-reviewed_on": typed(today())}
    response = client.post(url, {"action": "review", **review})
    assert response.status_code == 403 and not AgreementReview.objects.exists()


def test_an_agency_that_does_not_know_the_child_gets_a_404(client, family):
    agreement = bens_feeding(family)
    client.force_login(make_user(family.school))
    assert client.get(agreement.get_absolute_url()).status_code == 404


def test_sign_off_from_the_agreement_page_and_refused_to_the_recorder(client, family):
    AgreementPolicy.objects.update_or_create(pk=1, defaults={"sign_off_required": True})
    recorder = health_visitor(family, User.Role.MANAGER)
    agreement = bens_feeding(family, by=recorder)
    client.force_login(recorder)
    assert "Sign off agreement" not in client.get(agreement.get_absolute_url()).content.decode()
    assert client.post(agreement.get_absolute_url(), {"action": "sign_off"}).status_code == 403
    client.force_login(health_visitor(family, User.Role.MANAGER))
    assert client.post(agreement.get_absolute_url(), {"action": "sign_off"}).status_code == 302
    agreement.refresh_from_db()
    assert not agreement.awaiting_sign_off


def test_the_settings_page_is_for_partnership_managers(client, family):
    client.force_login(health_visitor(family, User.Role.MANAGER))
    assert client.get(reverse("agreements:policy")).status_code == 403
    client.force_login(make_user(family.csc, User.Role.PARTNERSHIP_MANAGER))
    response = client.post(reverse("agreements:policy"), {
        "max_weeks_to_review": "4", "sign_off_required": "yes",
        "local_expectations": "Our own procedure.",
    })  # fmt: skip
    assert response.status_code == 302
    assert AgreementPolicy.current().max_weeks_to_review == 4


def test_the_compliance_page_is_for_partnership_managers(client, family):
    bens_feeding(family)
    client.force_login(health_visitor(family, User.Role.MANAGER))
    assert client.get(reverse("agreements:compliance")).status_code == 403
    client.force_login(make_user(family.csc, User.Role.PARTNERSHIP_MANAGER))
    page = client.get(reverse("agreements:compliance")).content.decode()
    assert "North Health Visiting" in page and "1 of 1" in page


def test_the_family_page_shows_the_verbal_agreements_section(client, family):
    hv = health_visitor(family)
    move_back(bens_feeding(family, by=hv), days=16)
    client.force_login(hv)
    page = client.get(family.home.get_absolute_url()).content.decode()
    assert "Verbal agreements" in page and "overdue a review" in page
    assert "shared with nobody in the family's network" in page


def test_reviewing_a_closed_agreement_is_refused_with_the_reason(client, family):
    hv = health_visitor(family)
    agreement = bens_feeding(family, by=hv)
    client.force_login(hv)
    url = agreement.get_absolute_url()
    review = {
        "review-outcome": "ended",
        "review-note": "Done.",
        "review-reviewed_on": typed(today()),
    }
    assert client.post(url, {"action": "review", **review}).status_code == 302
    response = client.post(url, {"action": "review", **review})
    assert response.status_code == 400
    assert "This agreement is ended: it has no review due." in response.content.decode()
    assert AgreementReview.objects.count() == 1


def test_the_agreement_and_its_review_appear_on_the_child_s_and_the_family_chronology(
    client, family
):
    hv = health_visitor(family)
    agreement = bens_feeding(family, by=hv)
    client.force_login(hv)
    url = agreement.get_absolute_url()
    review = {
        "review-outcome": "ended",
        "review-note": "Done.",
        "review-reviewed_on": typed(today()),
    }
    client.post(url, {"action": "review", **review})
    for page in (family.ben.get_absolute_url(), family.home.get_absolute_url()):
        text = client.get(page).content.decode()
        assert f"Verbal agreement {agreement.pk}: recorded by North Health Visiting" in text
        assert f"Verbal agreement {agreement.pk}: reviewed" in text


# ---------------------------------------------------------------------------
# A sealed child


def test_an_agreement_about_a_sealed_child_alone_is_a_404_and_off_the_register_and_family_page(
    client, family
):
    hv = health_visitor(family)
    agreement = bens_feeding(family, by=hv)
    about_both = bens_feeding(family, by=hv, children_ids=[family.ava.pk, family.ben.pk])
    Person.objects.filter(pk=family.ben.pk).update(sealed=True)
    client.force_login(hv)
    assert client.get(agreement.get_absolute_url()).status_code == 404
    page = client.get(about_both.get_absolute_url())
    assert page.status_code == 200
    # Health visiting knew the family through Ben: with him sealed it may not see Ava either.
    assert "Ben Carter" not in page.text and "Ava Carter" not in page.text
    worker = Client()
    worker.force_login(make_user(family.csc, User.Role.CSC_WORKER))
    for listed in (
        client.get(reverse("agreements:register")).text,
        worker.get(family.home.get_absolute_url()).text,
    ):
        assert agreement.get_absolute_url() not in listed and "Ben Carter" not in listed
        assert about_both.get_absolute_url() in listed
    client.force_login(make_user(family.csc, User.Role.CSC_MANAGER))
    assert "Ben Carter" in client.get(agreement.get_absolute_url()).text
