# ruff: noqa: RUF001, RUF003 - the review's own typography (curly quotes) is part of what is asserted.
"""The reference review (serious case review H, a scraped web page) comes out exactly."""

from thinkfamily.learning.ingest import RecommendationDraft, draft_from_file
from thinkfamily.learning.tests.helpers import REFERENCE_REVIEW as REFERENCE


def test_reference_review_gives_its_six_recommendations_with_their_addressees() -> None:
    draft = draft_from_file(REFERENCE)

    assert draft.recommendations == (
        RecommendationDraft(
            1,
            "The LSCB’s expectations regarding working in partnership with families are "
            "reinforced and that agencies are compliant with the LSCB proce-dures when "
            "sharing information.",
            ("partnership",),
        ),
        RecommendationDraft(
            2,
            "Cafcass to consider how its work on supporting staff to distinguish be-tween "
            "coercive and situational couple violence can include considera-tion of:\n"
            "1. the different treatment options\n"
            "2. how safe and beneficial contact can be achieved when the child’s age means "
            "that indirect contact can not be meaningful.",
            ("cafcass",),
        ),
        RecommendationDraft(
            3,
            "LSCB ensures that partners understand the mechanisms of ‘What If’ dis-cussions "
            "and checks compliance with the actions agreed",
            ("partnership",),
        ),
        RecommendationDraft(
            4,
            "CSC consider their procedures in regard to verbal agreement and define their "
            "expectations regarding good practice in their use.",
            ("childrens_social_care",),
        ),
        RecommendationDraft(
            5,
            "Education settings review their recording processes and ensure there are not "
            "parallel systems which impact on the effectiveness of seeing an holistic picture "
            "of the child and their family",
            ("education",),
        ),
        RecommendationDraft(
            6,
            "The LSCB considers how to ensure that the message “Think Sibling” is disseminated.",
            ("partnership",),
        ),
    )


def test_reference_review_lessons_are_the_bullets_of_its_lessons_learnt_section() -> None:
    draft = draft_from_file(REFERENCE)

    assert draft.lessons == (
        "Family’s situation was not unusual",
        "Professionals work with many families were there are concerns about the effect of "
        "a new partner",
        "H’s death was not predictable",
        "Low probability events do OCCUR",
        "“Think Sibling”",
        "Working in partnership with families",
        "Need to claify status and outcome of professional conversations",
        "The use of verbal agreements",
    )


def test_reference_review_states_no_count_and_has_no_findings_heading() -> None:
    draft = draft_from_file(REFERENCE)

    assert draft.recommendation_count_stated is None
    assert draft.findings == ()


def test_reference_review_themes() -> None:
    draft = draft_from_file(REFERENCE)

    assert draft.themes == (
        "domestic_abuse",  # "coercive and situational couple violence"
        "new_partner",  # "Mother’s Boyfriend", "a new partner"
        "sibling",  # "Think Sibling"
        "preschool_children",  # "preschool children who have the potential to be less visible"
        "recording",  # "recording guidelines", "Recording systems"
        "information_sharing",  # "sharing information"
        "working_with_families",  # "working in partnership with families", "whole family"
        "professional_conversations",  # "“What If” conversations", "professional conversations"
        "verbal_agreements",  # "The use of verbal agreements"
        "multi_agency_working",  # "interagency feedback", "multidisciplinary team meeting"
    )


def test_reference_review_title_falls_back_to_the_file_name() -> None:
    # The scraped page lost its heading; the file name is offered for a person to correct.
    assert draft_from_file(REFERENCE).title == "serious case review H"
