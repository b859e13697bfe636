"""The draft register entry that the ingest makes from a published review."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RecommendationDraft:
    """One recommendation as the review worded it: its own number (or its place in an
    unnumbered list), its text, and the addressee keys read from it, for a person to
    confirm before it enters the register. An empty ``addressees`` means the review did not
    say whom it addresses and a person must fill it in."""

    number: int
    text: str
    addressees: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "text": self.text, "addressees": list(self.addressees)}


@dataclass(frozen=True)
class ReviewDraft:
    """A draft register entry for a published case review: its title, recommendations,
    the number of recommendations it says it made (when it says so in words), its lessons
    learnt, key findings and themes. Nothing in it is invented: an item is here only if
    the review lists it, and a review that says it "made 14 recommendations" without
    listing them gives a count and no items. A person confirms the draft before it
    becomes the register entry."""

    title: str
    recommendations: tuple[RecommendationDraft, ...]
    recommendation_count_stated: int | None
    lessons: tuple[str, ...]
    findings: tuple[str, ...]
    themes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The draft as plain data, with the keys of ``thinkfamily ingest-review --json``."""
        return {
            "title": self.title,
            "recommendations": [
                recommendation.as_dict() for recommendation in self.recommendations
            ],
            "recommendation_count_stated": self.recommendation_count_stated,
            "lessons": list(self.lessons),
            "findings": list(self.findings),
            "themes": list(self.themes),
        }
