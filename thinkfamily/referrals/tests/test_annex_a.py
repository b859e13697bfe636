"""Ofsted's Annex A lists against a hand-built case: every column of every row.

The Carter family, referred three times and each referral moved by the services:

* a year before the period, the GP refers Ava (Ben left off), decided early
  help — outside the period, but one of Ava's referrals in the last 12 months;
* on Monday 2 March 2026 the GP refers Ava and Ben (the unborn baby left
  off); a social worker acknowledges it and confirms the family knows, and a
  manager decides: assessment for Ava, no further action for Ben;
* on Monday 14 September 2026, half an hour after midnight (British Summer
  Time, so still the 13th in UTC), the school refers Ava (Ben left off); it
  is acknowledged but not yet decided: a contact, not yet a referral.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.cli import ALIASES, main
from thinkfamily.core.errors import ApplicationError
from thinkfamily.people.tests.factories import make_user
from thinkfamily.prompts.tests.family import Family, carter_family
from thinkfamily.referrals.annex_a import (
    LIST_1_COLUMNS,
    LIST_3_COLUMNS,
    SOURCE_BY_AGENCY_TYPE,
    annex_a_csv,
    annex_a_list_1,
    annex_a_list_3,
)
from thinkfamily.referrals.models import Referral
from thinkfamily.referrals.services import (
    ChildOnReferral,
    FamilyInformed,
    referral_acknowledge,
    referral_confirm_family_awareness,
    referral_decide,
    referral_make,
)
from thinkfamily.referrals.tests.helpers import NOT_TOLD_RISK, gp_refers

pytestmark = pytest.mark.django_db

START, END = dt.date(2026, 3, 2), dt.date(2026, 9, 14)
TOLD_EARLY = FamilyInformed(
    answer="yes",
    informed_on=dt.date(2025, 2, 27),
    informed_by_name="Dr Gita Practice",
    informed_how="phone",
    family_response="Mother was worried but agreed.",
)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def received_on(referral: Referral, moment: dt.datetime) -> None:
    """Move a referral's dates to ``moment``, as if it had been made and received then."""
    Referral.objects.filter(pk=referral.pk).update(referred_at=moment, received_at=moment)


def named(user: User, first: str, last: str) -> User:
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


def only_ava(family: Family, by: User) -> Referral:
    return referral_make(
        by=by,
        household=family.home,
        children=[
            ChildOnReferral(family.ava, included=True),
            ChildOnReferral(family.ben, included=False, removal_reason="No worries about Ben."),
            ChildOnReferral(family.unborn, included=False, removal_reason="Not yet born."),
        ],
        concerns="Ava says there is often no food at home.",
        categories=["neglect"],
        done_so_far="Spoke to Ava with the safeguarding lead.",
        family_informed=TOLD_EARLY,
    )


class Case:
    def __init__(self) -> None:
        self.family = family = carter_family()
        self.worker = named(make_user(family.csc, User.Role.CSC_WORKER), "Priya", "Shah")
        self.manager = named(make_user(family.csc, User.Role.CSC_MANAGER), "Omar", "Hale")

        earlier = only_ava(family, make_user(family.gp))
        earlier = self.acknowledge_and_confirm(earlier)
        referral_decide(
            referral=earlier,
            by=self.worker,
            version=earlier.version,
            decisions={family.ava.pk: ("early_help", "Family support offered.")},
        )
        received_on(earlier, at(dt.date(2025, 3, 3)))
        self.earlier = earlier

        gp = gp_refers(family, TOLD_EARLY)
        gp = self.acknowledge_and_confirm(gp)
        referral_decide(
            referral=gp,
            by=self.manager,
            version=gp.version,
            decisions={
                family.ava.pk: ("assessment", "Ava's account needs assessing."),
                family.ben.pk: ("nfa", "Ben's weight is back on track."),
            },
        )
        received_on(gp, at(dt.date(2026, 3, 2)))
        self.gp = gp

        school = only_ava(family, make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD))
        referral_acknowledge(referral=school, by=self.worker, version=school.version)
        received_on(school, at(dt.date(2026, 9, 14), hour=0, minute=30))
        self.school = school

    def acknowledge_and_confirm(self, referral: Referral) -> Referral:
        referral = referral_acknowledge(referral=referral, by=self.worker, version=referral.version)
        return referral_confirm_family_awareness(
            referral=referral, by=self.worker, version=referral.version, family_aware=True
        )


@pytest.fixture
def case() -> Case:
    return Case()


def ava_and_ben(case: Case) -> tuple[str, str]:
    return f"TF{case.family.ava.pk}", f"TF{case.family.ben.pk}"


def test_list_1_has_a_contact_for_each_child_kept_on_each_referral_received(case):
    ava, ben = ava_and_ben(case)
    assert annex_a_csv(annex_a_list_1(start=START, end=END), LIST_1_COLUMNS).split("\r\n") == [
        "Child Unique ID,Gender,Ethnicity,Date of Birth,Age of Child (Years),Date of Contact,"
        "Contact Source",
        f"{ava},b) Female,s) NOBT,17/10/2018,7,02/03/2026,g) 3A: Health services",
        f"{ben},a) Male,s) NOBT,18/08/2024,1,02/03/2026,g) 3A: Health services",
        f"{ava},b) Female,s) NOBT,17/10/2018,7,14/09/2026,e) 2A: Schools",
        "",
    ]


def test_list_3_has_the_decided_referrals_with_nfa_the_12_month_count_and_who_took_them(case):
    ava, ben = ava_and_ben(case)
    assert annex_a_csv(annex_a_list_3(start=START, end=END), LIST_3_COLUMNS).split("\r\n") == [
        "Child Unique ID,Gender,Ethnicity,Date of Birth,Age of Child (Years),Date of referral,"
        "Referral Source,Referral NFA?,Number of Referrals in Last 12 Months,Allocated Team,"
        "Allocated Worker",
        f"{ava},b) Female,s) NOBT,17/10/2018,7,02/03/2026,g) 3A: Health services,b) No,2,"
        "Children's Social Care,Omar Hale",
        f"{ben},a) Male,s) NOBT,18/08/2024,1,02/03/2026,g) 3A: Health services,a) Yes,1,"
        "Children's Social Care,Omar Hale",
        "",
    ]


def test_a_child_left_off_a_referral_is_on_neither_list(case):
    unborn, ben = f"TF{case.family.unborn.pk}", f"TF{case.family.ben.pk}"
    contacts = annex_a_list_1(start=dt.date(2025, 1, 1), end=END)
    assert unborn not in {row["Child Unique ID"] for row in contacts}
    # Ben was left off the earlier and the school's referrals: his one contact is the GP's.
    assert [row["Date of Contact"] for row in contacts if row["Child Unique ID"] == ben] == [
        "02/03/2026"
    ]
    referrals = annex_a_list_3(start=dt.date(2025, 1, 1), end=END)
    assert unborn not in {row["Child Unique ID"] for row in referrals}


def test_an_undecided_referral_is_a_contact_but_not_yet_a_referral(case):
    ava, _ = ava_and_ben(case)
    september = {"start": dt.date(2026, 9, 1), "end": dt.date(2026, 9, 30)}
    assert [row["Child Unique ID"] for row in annex_a_list_1(**september)] == [ava]
    assert annex_a_list_3(**september) == []


def test_the_period_includes_both_its_first_and_last_days_in_uk_time(case):
    def contact_dates(start: dt.date, end: dt.date) -> list[str]:
        return [row["Date of Contact"] for row in annex_a_list_1(start=start, end=end)]

    assert contact_dates(START, START) == ["02/03/2026", "02/03/2026"]
    assert contact_dates(dt.date(2026, 3, 3), END) == ["14/09/2026"]
    assert contact_dates(END, END) == ["14/09/2026"]
    # Received at 00:30 BST on the 14th, which is 23:30 on the 13th in UTC.
    assert contact_dates(START, dt.date(2026, 9, 13)) == ["02/03/2026", "02/03/2026"]
    assert len(annex_a_list_3(start=START, end=START)) == 2
    assert annex_a_list_3(start=dt.date(2026, 3, 3), end=END) == []


def test_the_12_month_count_excludes_a_referral_on_the_same_date_a_year_before(case):
    def avas_count() -> str:
        (row,) = (
            r
            for r in annex_a_list_3(start=START, end=START)
            if r["Child Unique ID"].endswith(str(case.family.ava.pk))
        )
        return row["Number of Referrals in Last 12 Months"]

    assert avas_count() == "2"  # the earlier referral, 3 March 2025, is inside the 12 months
    received_on(case.earlier, at(dt.date(2025, 3, 2), hour=23, minute=59))
    assert avas_count() == "1"


def test_the_earlier_referral_is_in_a_list_of_its_own_period_with_ages_on_its_date(case):
    (row,) = annex_a_list_3(start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 31))
    assert row == {
        "Child Unique ID": f"TF{case.family.ava.pk}",
        "Gender": "b) Female",
        "Ethnicity": "s) NOBT",
        "Date of Birth": "17/10/2018",
        "Age of Child (Years)": "6",
        "Date of referral": "03/03/2025",
        "Referral Source": "g) 3A: Health services",
        "Referral NFA?": "b) No",
        "Number of Referrals in Last 12 Months": "1",
        "Allocated Team": "Children's Social Care",
        "Allocated Worker": "Priya Shah",
    }


def test_an_unborn_child_has_no_date_of_birth_age_or_gender(case):
    family = case.family
    referral = referral_make(
        by=make_user(family.midwifery),
        household=family.home,
        children=[
            ChildOnReferral(family.unborn, included=True),
            ChildOnReferral(family.ava, included=False, removal_reason="Already referred."),
            ChildOnReferral(family.ben, included=False, removal_reason="Already referred."),
        ],
        concerns="Mother has missed three antenatal appointments.",
        categories=["neglect"],
        done_so_far="Home visit attempted twice.",
        family_informed=TOLD_EARLY,
    )
    received_on(referral, at(dt.date(2026, 10, 5)))
    assert annex_a_list_1(start=dt.date(2026, 10, 5), end=dt.date(2026, 10, 5)) == [
        {
            "Child Unique ID": f"TF{family.unborn.pk}",
            "Gender": "c) Not stated/recorded",
            "Ethnicity": "s) NOBT",
            "Date of Birth": "",
            "Age of Child (Years)": "",
            "Date of Contact": "05/10/2026",
            "Contact Source": "j) 3D: Health services",
        }
    ]


def test_a_referral_waiting_for_the_referrer_s_manager_is_not_yet_a_contact(case):
    waiting = gp_refers(case.family, NOT_TOLD_RISK)
    assert waiting.status == Referral.Status.AWAITING_MANAGER
    today = timezone.localdate()
    ids = {row["Child Unique ID"] for row in annex_a_list_1(start=today, end=today)}
    assert ids == set()


def test_a_team_name_a_spreadsheet_would_run_as_a_formula_is_quoted(case):
    Agency.objects.filter(pk=case.family.csc.pk).update(name='=HYPERLINK("x")')
    rows = annex_a_list_3(start=START, end=START)
    assert {row["Allocated Team"] for row in rows} == {'\'=HYPERLINK("x")'}


def test_every_agency_type_has_an_annex_a_source():
    assert set(SOURCE_BY_AGENCY_TYPE) == set(Agency.AgencyType.values)


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ApplicationError, match=r"starts .* after it ends"):
        annex_a_list_1(start=END, end=START)


# --- the command ------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("annex_a", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_writes_the_list_and_records_the_export(case):
    text = run("--list", "3", "--from", "2026-03-02", "--to", "2026-09-14")
    assert text == annex_a_csv(annex_a_list_3(start=START, end=END), LIST_3_COLUMNS)
    entry = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).get()
    assert entry.actor is None and entry.actor_label == "system: annex_a command"
    assert (entry.object_type, entry.object_id) == ("annex_a", "list-3")
    assert entry.detail == {"list": 3, "from": "2026-03-02", "to": "2026-09-14", "rows": 2,
                            "out": ""}  # fmt: skip


def test_the_command_writes_to_a_file_with_a_byte_order_mark(case, tmp_path):
    path = tmp_path / "list-1.csv"
    assert (
        run("--list", "1", "--from", "2026-03-02", "--to", "2026-09-14", "--out", str(path)) == ""
    )
    expected = annex_a_csv(annex_a_list_1(start=START, end=END), LIST_1_COLUMNS)
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.encode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-02-30", "--to", "2026-03-01"], "--from: '2026-02-30' is not a date"),
        (["--from", "2026-03-01", "--to", "1/4/2026"], "--to: '1/4/2026' is not a date"),
        (["--from", "2026-09-14", "--to", "2026-03-02"], "--from 2026-09-14 is after --to"),
    ],
)
def test_the_command_refuses_a_period_it_cannot_read(args, message):
    with pytest.raises(CommandError, match=message):
        run("--list", "1", *args)
    assert not AuditEvent.objects.exists()


def test_the_command_refuses_a_list_other_than_1_or_3():
    with pytest.raises(CommandError, match="invalid choice: '2'"):
        run("--list", "2", "--from", "2026-03-02", "--to", "2026-09-14")


def test_the_thinkfamily_command_knows_annex_a_by_its_hyphenated_name(case, capsys):
    assert ALIASES["annex-a"] == "annex_a"
    main(["thinkfamily", "annex-a", "--list", "1", "--from", "2026-09-14", "--to", "2026-09-14"])
    assert capsys.readouterr().out.splitlines()[1].endswith("14/09/2026,e) 2A: Schools")
