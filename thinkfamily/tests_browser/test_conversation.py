"""A "What If" discussion in headless Chromium: recorded, acknowledged, disputed, amended.

The school's safeguarding lead records a "What If" discussion about Ava and
Ben Carter with the family's GP and health visitor. The GP acknowledges the
record; the health visitor disputes it (she agreed to weigh Ben next week,
not this week). The school amends it, making version 2; both are asked again
and both acknowledge it; version 1 stays readable. Once with JavaScript and
once without.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from thinkfamily.accounts.models import User
from thinkfamily.conversations.models import Conversation
from thinkfamily.people.tests.factories import PASSWORD, make_user
from thinkfamily.prompts.tests.family import Family, carter_family
from thinkfamily.tests_browser.signing_in import sign_in, sign_out

pytestmark = pytest.mark.browser


@pytest.fixture
def family(transactional_db: None) -> Family:
    family = carter_family()
    make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD, username="testy.dsl",
              password=PASSWORD)  # fmt: skip
    make_user(family.gp, username="testy.gp", password=PASSWORD)
    make_user(family.hv, username="testy.hv", password=PASSWORD)
    return family


def open_from_worklist(page: Page) -> None:
    page.get_by_role("link", name="Conversations", exact=True).click()
    page.get_by_role("table", name="Records for you to acknowledge").get_by_role("link").click()


def answer(page: Page, username: str, *, version: int, dispute: str = "") -> None:
    sign_in(page, username)
    open_from_worklist(page)
    expect(page.get_by_role("heading", name=f"Your answer to version {version}")).to_be_visible()
    if dispute:
        page.get_by_role("radio", name="No, I dispute it").check()
        page.get_by_label("Comment").fill(dispute)
    else:
        page.get_by_role("radio", name="Yes, it is accurate").check()
    page.get_by_role("button", name="Send answer").click()
    expect(
        page.get_by_text("Your dispute has been recorded" if dispute else "Thank you")
    ).to_be_visible()
    sign_out(page)


def the_what_if_journey(page: Page, family: Family) -> None:
    sign_in(page, "testy.dsl")
    page.goto(family.home.get_absolute_url())
    page.get_by_role("link", name="Record a conversation").click()
    page.get_by_role("radio", name="“What If” discussion").check()
    today = timezone.localdate()  # never a fixed date: the tests run on any day
    page.get_by_label("When was it held?").fill(f"{today:%d %m %Y}")
    expect(page.get_by_role("checkbox", name="Ava Carter")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Ben Carter")).to_be_checked()
    page.get_by_role("checkbox", name="Baby Carter").uncheck()  # unborn; midwifery not present
    page.get_by_label("Participants with an account").fill("testy.gp\ntesty.hv")
    page.get_by_role("radio", name="Advice given").check()
    page.get_by_label("Agreed outcomes").fill(
        "School will offer Ava breakfast club every day.\n"
        "The health visitor will weigh Ben at home this week."
    )
    page.get_by_label("Action 1: what is to be done").fill("Weigh Ben at home.")
    page.get_by_label("Action 1: agency that owns it").select_option(label="North Health Visiting")
    page.get_by_label("Action 1: due date").fill(f"{today + dt.timedelta(days=7):%d %m %Y}")
    page.get_by_role("button", name="Record and circulate").click()
    expect(page.get_by_text("Conversation recorded and circulated")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "“What If” discussion about Ava Carter and Ben Carter"
    )
    sign_out(page)

    answer(page, "testy.gp", version=1)
    answer(page, "testy.hv", version=1, dispute="I agreed to weigh Ben next week, not this week.")

    sign_in(page, "testy.dsl")
    page.get_by_role("link", name="Conversations", exact=True).click()
    disputed = page.get_by_role("table", name="Disputed records you recorded or took part in")
    expect(disputed).to_contain_text("not this week")
    disputed.get_by_role("link").click()
    page.get_by_role("link", name="Amend the record").click()
    page.get_by_label("Agreed outcomes").fill(
        "School will offer Ava breakfast club every day.\n"
        "The health visitor will weigh Ben at home next week."
    )
    page.get_by_role("button", name="Save and circulate again").click()
    expect(page.get_by_text("Record amended")).to_be_visible()
    expect(page.get_by_role("heading", name="Version 2 (current)")).to_be_visible()
    sign_out(page)

    answer(page, "testy.gp", version=2)
    answer(page, "testy.hv", version=2)

    sign_in(page, "testy.dsl")
    conversation = Conversation.objects.get()
    page.goto(conversation.get_absolute_url())
    expect(page.get_by_role("table", name="Participants")).not_to_contain_text("Waiting")
    page.get_by_text("Version 1,").click()  # the earlier version stays readable
    expect(page.get_by_text("weigh Ben at home this week")).to_be_visible()
    sign_out(page)


def _versions_acknowledged(family: Family) -> None:
    conversation = Conversation.objects.get()
    assert conversation.current_version == 2
    first, second = conversation.versions.order_by("number")
    assert sorted(a.answer for a in first.acknowledgements.all()) == ["acknowledged", "disputed"]
    assert [a.answer for a in second.acknowledgements.all()] == ["acknowledged"] * 2


def test_a_what_if_discussion_is_acknowledged_disputed_amended_and_acknowledged_again(
    page: Page, family: Family
):
    the_what_if_journey(page, family)
    _versions_acknowledged(family)


def test_the_same_journey_without_javascript(page_without_javascript: Page, family: Family):
    the_what_if_journey(page_without_javascript, family)
    _versions_acknowledged(family)
