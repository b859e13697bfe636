"""The register's forms: a review, a document to draft from, confirmation, publication, a
recommendation, its indicators, an action, its status, evidence and compliance checks.

As elsewhere, forms parse what was typed and the services decide what is
missing, naming each problem by field; so fields are named as the services
name them, and most are optional here.
"""

from __future__ import annotations

from typing import Any

from django import forms

from thinkfamily.accounts.models import Agency
from thinkfamily.agreements.forms import DatesForm
from thinkfamily.learning.indicators import INDICATORS
from thinkfamily.learning.models import CaseReview, ComplianceCheck, PlanAction, Recommendation
from thinkfamily.learning.services import EVIDENCE_MAX_BYTES, EVIDENCE_TYPES
from thinkfamily.learning.vocabulary import ADDRESSEES, THEMES
from thinkfamily.referrals.forms import DATE_HINT


def _date(label: str, help_text: str = DATE_HINT) -> forms.CharField:
    return forms.CharField(label=label, help_text=help_text, required=False)


def _text(label: str, help_text: str = "", *, area: bool = False) -> forms.CharField:
    widget = forms.Textarea if area else forms.TextInput
    return forms.CharField(label=label, help_text=help_text, required=False, widget=widget)


def _agency_choices(blank: str = "Select an agency") -> list[tuple[str, str]]:
    return [("", blank)] + [
        (str(pk), name) for pk, name in Agency.objects.values_list("pk", "name")
    ]


class ReviewForm(DatesForm):
    """A review's entry on the register."""

    DATE_FIELDS = (
        "incident_on",
        "became_aware_on",
        "notified_on",
        "rapid_review_on",
        "lcspr_decided_on",
        "report_completed_on",
        "period_start",
        "period_end",
    )

    reference = _text("Reference", "The partnership's own reference, for example NSCP-2026-03.")
    kind = forms.ChoiceField(
        label="What kind of review is it?",
        choices=CaseReview.Kind.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    title = _text("Title for the register", "Not published.")
    child_pseudonym = _text("The child's pseudonym", 'As the review names them, like "Child H".')
    subject = _text(
        "The child's record number in Think Family (optional)",
        "Links the integrated chronology for the review period. Never published.",
    )
    incident_on = _date("When did the incident happen?")
    became_aware_on = _date("When did the local authority become aware of it?")
    notified_on = _date("When was it notified to the national panel?")
    rapid_review_on = _date("When was the rapid review completed?")
    lcspr_decided_on = _date("When was a local practice review decided on?")
    report_completed_on = _date("When was the review's report completed?")
    period_start = _date("Review period: from")
    period_end = _date("Review period: to")
    agencies = forms.MultipleChoiceField(
        label="Agencies involved", required=False, widget=forms.CheckboxSelectMultiple
    )
    themes = forms.MultipleChoiceField(
        label="Themes",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(key, theme.label) for key, theme in THEMES.items()],
    )

    def __init__(self, *args: Any, with_status: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agencies"].choices = _agency_choices()[1:]
        if with_status:
            self.fields["status"] = forms.ChoiceField(
                label="Status",
                choices=CaseReview.Status.choices,
                widget=forms.RadioSelect,
                required=False,
            )

    def clean_subject(self) -> int | None:
        typed = (self.cleaned_data.get("subject") or "").strip()
        if not typed:
            return None
        if not typed.isdigit():
            raise forms.ValidationError("Enter the record number as digits, like 1234")
        return int(typed)


class IngestForm(forms.Form):
    """A published review document to draft the register entry from."""

    document = forms.FileField(
        label="The review document",
        help_text="A PDF, a web page saved as HTML, or plain text; up to 20 MB.",
        required=False,
    )
    reference = _text("Reference", "The partnership's own reference for the review.")
    kind = forms.ChoiceField(
        label="What kind of review is it?",
        choices=CaseReview.Kind.choices,
        widget=forms.RadioSelect,
        required=False,
    )

    MAX_BYTES = 20 * 1024 * 1024

    def clean_document(self) -> Any:
        document = self.cleaned_data.get("document")
        if document is None:
            raise forms.ValidationError("Choose the review document")
        if document.size > self.MAX_BYTES:
            raise forms.ValidationError("The document must be smaller than 20 MB")
        return document


class ConfirmForm(forms.Form):
    """A person has read the draft against the document."""

    child_pseudonym = _text("The child's pseudonym", 'As the review names them, like "Child H".')


class PublicationForm(forms.Form):
    """What of a review the public page shows."""

    published = forms.ChoiceField(
        label="Publish this review?",
        choices=[
            ("yes", "Yes — show it on the public page of published findings"),
            ("no", "No — withdraw it, or keep it off the page"),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    public_title = _text("Title to publish")
    public_summary = _text(
        "Summary to publish",
        "Written for the public: nothing that identifies the child or family.",
        area=True,
    )
    items = forms.MultipleChoiceField(
        label="Findings and lessons to publish", required=False, widget=forms.CheckboxSelectMultiple
    )
    recommendations = forms.MultipleChoiceField(
        label="Recommendations to publish", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, review: CaseReview, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.review = review
        self.fields["items"].choices = [
            (str(item.pk), f"{item.get_kind_display()} {item.position} — {item.text[:160]}")
            for item in review.items.all()
        ]
        self.recommendation_list = list(review.recommendations.all())
        self.fields["recommendations"].choices = [
            (str(r.pk), f"Recommendation {r.number} — {r.text[:160]}")
            for r in self.recommendation_list
        ]
        for recommendation in self.recommendation_list:
            self.fields[f"progress_{recommendation.pk}"] = _text(
                f"Progress on recommendation {recommendation.number}, to publish",
                "Optional. Written for the public.",
                area=True,
            )

    def progress_fields(self) -> list[forms.BoundField]:
        return [self[f"progress_{r.pk}"] for r in self.recommendation_list]

    def public_progress(self) -> dict[int, str]:
        return {
            r.pk: self.cleaned_data.get(f"progress_{r.pk}") or "" for r in self.recommendation_list
        }


class RecommendationForm(forms.Form):
    """A recommendation's words and whom it is addressed to."""

    text = _text("Recommendation", area=True)
    addressees = forms.MultipleChoiceField(
        label="Addressed to",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(key, addressee.label) for key, addressee in ADDRESSEES.items()],
    )


class IndicatorsForm(forms.Form):
    """Which indicators measure whether a recommendation changed practice, and their targets."""

    indicators = forms.MultipleChoiceField(
        label="Indicators to follow",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(code, indicator.title) for code, indicator in INDICATORS.items()],
    )

    def __init__(self, *args: Any, recommendation: Recommendation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, indicator in INDICATORS.items():
            self.fields[f"target_{code}"] = forms.FloatField(
                label=f"Target for “{indicator.title}” (%)",
                help_text=f"Default {indicator.default_target:g}%.",
                required=False,
                min_value=0,
                max_value=100,
            )

    def target_fields(self) -> list[forms.BoundField]:
        return [self[f"target_{code}"] for code in INDICATORS]

    def targets(self) -> dict[str, float | None]:
        return {
            code: self.cleaned_data.get(f"target_{code}")
            for code in self.cleaned_data.get("indicators") or ()
        }


class ActionForm(DatesForm):
    """An action of a recommendation's plan."""

    DATE_FIELDS = ("due_on",)

    description = _text("What will be done?", area=True)
    owner_agency = forms.ChoiceField(label="Which agency owns it?", required=False)
    owner = _text("Who owns it? (optional)", "Their username, in the owning agency.")
    due_on = _date("When is it due?")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_agency"].choices = _agency_choices()


class RagForm(forms.Form):
    """The owner's judgement of an action's progress."""

    rag = forms.ChoiceField(
        label="How is the action going?",
        choices=PlanAction.Rag.choices,
        widget=forms.RadioSelect,
        required=False,
    )


class EvidenceForm(forms.Form):
    """Something that shows an action happened."""

    kind = forms.ChoiceField(
        label="What kind of evidence?",
        choices=[
            ("text", "A note — what was done, where and when"),
            ("link", "A link — to a document, policy or page"),
            ("file", "A file — " + ", ".join(sorted(EVIDENCE_TYPES)).upper()),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    text = _text("Note", area=True)
    url = _text("Web address", "Starting https://")
    file = forms.FileField(
        label="File",
        help_text=f"Up to {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB.",
        required=False,
    )


class CheckForm(DatesForm):
    """A compliance check of an action."""

    DATE_FIELDS = ("checked_on", "next_check_on")

    checked_on = _date("When was it checked?")
    result = forms.ChoiceField(
        label="What did the check find?",
        choices=ComplianceCheck.Result.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    note = _text("What the check found", area=True)
    next_check_on = _date("When is the next check? (required unless compliant)")
