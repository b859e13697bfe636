"""The review decision and the undo reason, with messages written the GOV.UK way."""

from __future__ import annotations

from typing import Any

from django import forms


class CandidateDecisionForm(forms.Form):
    """Confirm, reject or defer a candidate pair; a rejection must say how it is known."""

    CONFIRM = "confirm"
    REJECT = "reject"
    DEFER = "defer"

    decision = forms.ChoiceField(
        label="Are these records the same person?",
        choices=[
            (CONFIRM, "Yes, the same person — Their people are merged into one."),
            (REJECT, "No, different people — They will never be merged."),
            (DEFER, "Not sure yet — The pair stays on the list for later."),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether these records are the same person"},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea,
        help_text="Say how you decided. Required if they are different people.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == self.REJECT and not cleaned.get("note", "").strip():
            self.add_error("note", "Enter how you know these are different people")
        return cleaned


class MergeUndoForm(forms.Form):
    reason = forms.CharField(
        label="Why are you undoing this merge?",
        widget=forms.Textarea,
        help_text="For example: twins with the same name; a parent and child of one name.",
        error_messages={"required": "Enter why you are undoing this merge"},
    )
