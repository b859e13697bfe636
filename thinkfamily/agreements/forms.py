"""The verbal agreement forms: recording one, sharing it, signing it off, reviewing it, and the
partnership's settings.

The forms parse what was typed; the services decide what is missing and say
so by field (``ApplicationError.extra``), and the views put each message
against its field. So fields are named as the services name them, and most
are optional here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from thinkfamily.agreements.models import AgreementReview, AgreementShare
from thinkfamily.people.models import Person
from thinkfamily.referrals.forms import DATE_HINT, parse_day


def _text(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, help_text=help_text, required=False, widget=forms.Textarea)


def _date(label: str, help_text: str = DATE_HINT) -> forms.CharField:
    return forms.CharField(label=label, help_text=help_text, required=False)


def _people(label: str, help_text: str, people: list[Person]) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        help_text=help_text,
        choices=[(str(p.pk), f"{p.given_name} {p.family_name}") for p in people],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class DatesForm(forms.Form):
    """A form whose ``DATE_FIELDS`` are typed days: each parsed into ``<name>_date``."""

    DATE_FIELDS: tuple[str, ...] = ()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.DATE_FIELDS:
            typed = (cleaned.get(name) or "").strip()
            day: dt.date | None = parse_day(typed) if typed else None
            if typed and day is None:
                self.add_error(name, f"Enter the date as day month year ({DATE_HINT.lower()})")
            cleaned[f"{name}_date"] = day
        return cleaned


class RecordAgreementForm(DatesForm):
    """A verbal agreement made with family members of one household about its children."""

    DATE_FIELDS = ("made_on", "review_on")

    agreed = _text("What was agreed?", "In the family's words where you can.")
    need = _text(
        "What need or risk does the agreement address?",
        "An agreement must be proportionate to an identified need.",
    )
    if_not_kept = _text("What will happen if the agreement is not kept?")
    made_on = _date("When was it agreed?")
    review_on = _date("When will it be reviewed?")

    def __init__(
        self, *args: Any, adults: list[Person], children: list[Person], max_weeks: int, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["made_with"] = _people(
            "Who made the agreement?", "The family members who agreed to it.", adults
        )
        self.fields["children"] = _people(
            "Which children does it concern?", "Select all that apply.", children
        )
        self.fields[
            "review_on"
        ].help_text = f"No more than {max_weeks} weeks after it was agreed. {DATE_HINT}"
        self.order_fields(["made_with", "children", "agreed", "need", "if_not_kept"])

    def ids(self, name: str) -> list[int]:
        return [int(pk) for pk in self.cleaned_data[name]]


class ShareForm(DatesForm):
    """Someone in the family's network told of the agreement."""

    DATE_FIELDS = ("shared_on",)

    person = forms.ChoiceField(
        label="Who was it shared with?",
        help_text="People in the family's network: the household, and relatives agencies record.",
        widget=forms.RadioSelect,
        required=False,
    )
    how = forms.ChoiceField(
        label="How was it shared?",
        choices=AgreementShare.How.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    shared_on = _date("When was it shared?")

    def __init__(self, *args: Any, network: list[Person], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["person"].choices = [  # type: ignore[attr-defined]
            (str(p.pk), f"{p.given_name} {p.family_name}") for p in network
        ]

    def person_id(self) -> int | None:
        value = self.cleaned_data.get("person") or ""
        return int(value) if str(value).isdigit() else None


class ReviewForm(DatesForm):
    """A review of the agreement: its outcome, what was found and, if it continues, when next."""

    DATE_FIELDS = ("reviewed_on", "next_review_on")

    outcome = forms.ChoiceField(
        label="Was the agreement kept?",
        choices=[
            (AgreementReview.Outcome.KEPT, "Kept — it continues; set the next review"),
            (AgreementReview.Outcome.NOT_KEPT, "Not kept — it continues; set the next review"),
            (AgreementReview.Outcome.ENDED, "Ended — no longer needed"),
            (AgreementReview.Outcome.CONVERTED, "Converted into a written agreement"),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    note = _text("What did you find?", "Who you spoke to and what they said.")
    reviewed_on = _date("When was it reviewed?")
    next_review_on = _date("When will it next be reviewed?", f"If it continues. {DATE_HINT}")


class PolicyForm(forms.Form):
    """The partnership's settings for verbal agreements."""

    max_weeks_to_review = forms.IntegerField(
        label="Maximum weeks to a review",
        help_text="Every review date must fall within this many weeks.",
        required=False,
        error_messages={"invalid": "Enter a whole number of weeks"},
    )
    sign_off_required = forms.ChoiceField(
        label="Must a manager sign off each new agreement?",
        help_text="A manager or designated safeguarding lead of the recording agency, other than "
        "the person who recorded it.",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
    )
    local_expectations = _text(
        "Local expectations for good practice", "Shown beside the form for recording an agreement."
    )
