"""Recording a concern and answering a prompt, with messages written the GOV.UK way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from thinkfamily.events.models import Event
from thinkfamily.prompts.models import Prompt
from thinkfamily.referrals.models import Referral


class ConcernForm(forms.Form):
    """A concern about a child (or an adult), as a practitioner records it."""

    occurred_on = forms.DateField(
        label="When did this happen?",
        help_text="For example, 3 11 2026 or 2026-11-03. Leave as today if it was today.",
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d-%m-%Y"],
        error_messages={
            "required": "Enter the date of the concern",
            "invalid": "Enter the date of the concern as day month year, for example 3 11 2026",
        },
    )
    category = forms.ChoiceField(
        label="What is the concern about?",
        choices=Event.Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the concern is about"},
    )
    summary = forms.CharField(
        label="Describe the concern",
        widget=forms.Textarea,
        help_text="What was seen or said, by whom, and what you did.",
        error_messages={"required": "Describe the concern"},
    )
    seen_in_person = forms.ChoiceField(
        label="Did you see the child in person?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you saw the child in person"},
    )
    restricted = forms.ChoiceField(
        label="Should this be restricted?",
        choices=[
            ("no", "No — Other agencies that know the child may read it."),
            (
                "yes",
                "Yes — Only your agency's managers and safeguarding leads, and children's "
                "social care managers, may read it, for example when it concerns an ongoing "
                "police investigation.",
            ),
        ],
        widget=forms.RadioSelect,
        initial="no",
        error_messages={"required": "Select whether the concern should be restricted"},
    )

    def clean_occurred_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date of the concern must be today or in the past")
        return day

    def occurred_at(self) -> dt.datetime:
        """The moment of the concern: now if it happened today, otherwise midday that day."""
        day = self.cleaned_data["occurred_on"]
        if day == timezone.localdate():
            return timezone.now()
        return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


class PromptAnswerForm(forms.Form):
    """The answer to a prompt: one of three outcomes, what was done, and a note."""

    response = forms.ChoiceField(
        label="What has your agency done about this prompt?",
        # " — " separates each label from its hint (see govuk_radios).
        choices=[
            (
                Prompt.Response.NO_CONCERN,
                "Considered: no concern for this child — Nothing more is needed now.",
            ),
            (
                Prompt.Response.ACTION_TAKEN,
                "Considered: action taken — Say what below, for example a home visit booked.",
            ),
            (
                Prompt.Response.REFERRAL_MADE,
                "Referral made — You referred the child to children's social care.",
            ),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select what your agency has done about this prompt"},
    )
    action_taken = forms.CharField(
        label="What action was taken?",
        required=False,
        widget=forms.Textarea,
        help_text="Required if you took action. For example: home visit booked for 2 December.",
    )
    referral = forms.ChoiceField(
        label="Which referral did you make?",
        required=False,
        widget=forms.RadioSelect,
        help_text="Required if you made a referral: the referrals your agency made with this "
        "child on them, newest first.",
    )
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea,
        help_text="What you considered and why you decided as you did.",
        error_messages={"required": "Enter a note explaining your answer"},
    )

    def __init__(self, *args: Any, referrals: list[Referral] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.referrals = {str(referral.pk): referral for referral in referrals or []}
        self.fields["referral"].choices = [  # type: ignore[attr-defined]
            (pk, f"Referral {pk}, made {referral.referred_at:%d %B %Y} — "
                 f"{referral.get_status_display()}")
            for pk, referral in self.referrals.items()
        ]  # fmt: skip

    def chosen_referral(self) -> Referral | None:
        return self.referrals.get(self.cleaned_data.get("referral") or "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("response") == Prompt.Response.ACTION_TAKEN
            and not cleaned.get("action_taken", "").strip()
        ):
            self.add_error("action_taken", "Enter what action was taken")
        if cleaned.get("response") == Prompt.Response.REFERRAL_MADE and not cleaned.get("referral"):
            self.add_error("referral", "Choose the referral you made for this child")
        return cleaned
