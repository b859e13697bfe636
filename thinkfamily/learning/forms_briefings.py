"""The briefing forms: writing a 7-minute briefing, and recording a session that delivered one.

The forms parse what was typed; the services (``briefing_write``,
``session_record``) decide what is missing and say so by field, and the views
put each message against its question. So the fields are named as the
services name them, and are optional here.
"""

from __future__ import annotations

from typing import Any

from django import forms

from thinkfamily.accounts.models import Agency
from thinkfamily.learning.services import BRIEFING_MAX_WORDS
from thinkfamily.learning.vocabulary import THEMES
from thinkfamily.referrals.forms import DATE_HINT, parse_day


def _text(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, help_text=help_text, required=False, widget=forms.Textarea)


class BriefingForm(forms.Form):
    """The five parts of a 7-minute briefing, and its title."""

    title = forms.CharField(label="Title", required=False, max_length=200)
    background = _text("1. Background", "What happened, in a few sentences. Use the pseudonym.")
    why_it_matters = _text("2. Why it matters")
    findings = _text("3. Findings", "What the review found.")
    what_to_do = _text("4. What to do", "What practitioners should do differently.")
    questions = _text("5. Questions to reflect on", "One question on each line.")

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields[
            "title"
        ].help_text = (
            f"The whole briefing must fit on one page: {BRIEFING_MAX_WORDS} words at most."
        )


class SessionForm(forms.Form):
    """A session at which the briefing was delivered to one agency's staff."""

    delivered_on = forms.CharField(
        label="When was it delivered?", help_text=DATE_HINT, required=False
    )
    agency = forms.ChoiceField(
        label="Whose staff attended?", widget=forms.RadioSelect, required=False
    )
    audience = forms.CharField(
        label="Who was it for?", help_text='For example "Designated leads".', required=False
    )
    attendance = forms.CharField(label="How many attended?", required=False)

    def __init__(self, *args: Any, agencies: list[Agency], **kw: Any) -> None:
        super().__init__(*args, **kw)
        choices = [(str(agency.pk), agency.name) for agency in agencies]
        self.fields["agency"].choices = choices  # type: ignore[attr-defined]
        if len(choices) == 1:
            self.initial.setdefault("agency", choices[0][0])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        typed = (cleaned.get("delivered_on") or "").strip()
        day = parse_day(typed) if typed else None
        if typed and day is None:
            self.add_error(
                "delivered_on", f"Enter the date as day month year ({DATE_HINT.lower()})"
            )
        cleaned["delivered_on_date"] = day
        count = (cleaned.get("attendance") or "").strip()
        if count and not count.isdigit():
            self.add_error("attendance", "Enter how many attended as a number, like 12")
        cleaned["attendance_count"] = int(count) if count.isdigit() else None
        agency = cleaned.get("agency") or ""
        cleaned["agency_id"] = int(agency) if str(agency).isdigit() else None
        return cleaned


class LearningSearchForm(forms.Form):
    """Search across the learning: words, and themes a review must all have.

    Only parses (``learning.search`` reads it); lives here beside the other
    forms that carry the learning to practitioners.
    """

    q = forms.CharField(
        label="Words to search for",
        help_text='For example: new partner, or "voice of the child". Put - before a word to '
        "leave it out.",
        required=False,
        max_length=200,
    )
    theme = forms.MultipleChoiceField(
        label="Themes",
        help_text="Only reviews with every theme you select.",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["theme"].choices = [  # type: ignore[attr-defined]
            (theme.key, theme.label) for theme in THEMES.values()
        ]
