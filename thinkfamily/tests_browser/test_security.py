"""Two-factor enrolment, and the Content Security Policy in a real browser.

Chromium reports every resource or attribute the policy blocks on the console
("Refused to … because it violates the following Content Security Policy
directive"), so a page that breaks under the policy fails here.
"""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import ConsoleMessage, Page, expect

from thinkfamily.accounts.models import Agency, User
from thinkfamily.learning.models import RecommendationIndicator
from thinkfamily.learning.tests.helpers import a_recommendation, a_review
from thinkfamily.people.tests.factories import PASSWORD, make_agency, make_user
from thinkfamily.prompts.tests.family import Family, carter_family
from thinkfamily.tests_browser.signing_in import code_for, sign_in, type_code

pytestmark = pytest.mark.browser


@pytest.fixture
def newcomer(transactional_db: None) -> User:
    school = make_agency("SCH-TESTWOOD", Agency.AgencyType.SCHOOL, "Testwood Primary School")
    return make_user(school, username="testy.new", password=PASSWORD)


def test_first_sign_in_enrols_an_authenticator_app(page: Page, newcomer: User) -> None:
    page.goto("/")
    page.get_by_label("Username").fill("testy.new")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert len(secret) == 32
    expect(page.locator("svg.tf-qr-code")).to_be_visible()
    device = TOTPDevice.objects.get(user=newcomer)
    assert device.config_url.split("secret=")[1].startswith(secret)

    right = code_for(device)
    type_code(page, "000000" if right != "000000" else "111111")
    expect(page.get_by_role("alert")).to_contain_text("The code is not correct")
    device.refresh_from_db()
    assert not device.confirmed

    page.wait_for_timeout(1500)  # django-otp refuses codes for a second after a wrong one
    type_code(page, code_for(device))
    expect(page.get_by_role("heading", name="Search for a person")).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_contain_text("Testwood Primary School")
    device.refresh_from_db()
    assert device.confirmed


def csp_violations(page: Page) -> list[str]:
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return found


def test_the_sign_in_page_breaks_no_policy_rule(page: Page, newcomer: User) -> None:
    violations = csp_violations(page)

    page.goto("/sign-in/")
    expect(page.locator("body.js-enabled.govuk-frontend-supported")).to_have_count(1)
    page.get_by_label("Username").fill("testy.new")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("svg.tf-qr-code")).to_be_visible()

    assert violations == []


@pytest.fixture
def carters(transactional_db: None) -> Family:
    family = carter_family()
    make_user(family.csc, User.Role.PARTNERSHIP_MANAGER, username="testy.pm", password=PASSWORD)
    return family


def test_a_recommendation_with_its_chart_breaks_no_policy_rule(page: Page, carters: Family):
    manager = User.objects.get(username="testy.pm")
    recommendation = a_recommendation(a_review(by=manager))
    RecommendationIndicator.objects.create(
        recommendation=recommendation, indicator_code="sibling_prompts_answered_in_time", target=90
    )
    violations = csp_violations(page)
    sign_in(page, "testy.pm")

    page.goto(f"/learning/recommendations/{recommendation.pk}/")
    expect(page.locator(".tf-indicator svg").first).to_be_visible()
    page.goto("/learning/indicators/")
    expect(page.locator(".tf-indicator svg").first).to_be_visible()
    # Both script files ran under the policy: the page is marked, the components started.
    expect(page.locator("body.js-enabled.govuk-frontend-supported")).to_have_count(1)
    expect(page.locator("[data-module='govuk-skip-link']")).to_have_attribute(
        "data-govuk-skip-link-init", ""
    )

    assert violations == []


def test_the_family_page_with_its_genogram_breaks_no_policy_rule(page: Page, carters: Family):
    violations = csp_violations(page)
    sign_in(page, "testy.pm")

    page.goto(carters.home.get_absolute_url())
    expect(page.locator("svg.genogram")).to_be_visible()

    assert violations == []
