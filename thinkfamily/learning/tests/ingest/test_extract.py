# ruff: noqa: RUF001 - reviews' own typography (curly quotes, en dashes) is part of what is read.
"""The extractor on synthetic reviews, one per layout real reviews use.

Each review in ``reviews/`` is invented (Child Q, Family R, Northshire Safeguarding
Children Partnership); each test asserts the whole draft, so an item gained or lost in any
layout shows.
"""

from pathlib import Path
from typing import Any

from thinkfamily.learning.ingest import draft_from_file

REVIEWS = Path(__file__).parent / "reviews"


def _draft(name: str) -> dict[str, Any]:
    return draft_from_file(REVIEWS / name).as_dict()


def test_numbered_recommendations_with_an_intro_and_learning_paragraphs() -> None:
    assert _draft("numbered.txt") == {
        "title": "Child Q: Local Child Safeguarding Practice Review",
        "recommendations": [
            {
                "number": 1,
                "text": "Northshire Safeguarding Children Partnership should seek "
                "assurance that agencies ask about every adult living in or "
                "visiting a household with a baby.",
                "addressees": ["partnership"],
            },
            {
                "number": 2,
                "text": "Health visitors and GPs should record the names of all adults "
                "in the household at each contact.",
                "addressees": ["health"],
            },
            {
                "number": 3,
                "text": "Police and children's social care should share information "
                "about domestic incidents within one working day.",
                "addressees": ["police", "childrens_social_care"],
            },
            {
                "number": 4,
                "text": "Schools should make sure that the older sibling's view is "
                "heard at every child protection conference.",
                "addressees": ["education"],
            },
        ],
        "recommendation_count_stated": None,
        "lessons": [
            "When a child is injured, practitioners need to think about every other child in "
            "the household.",
            "Professional curiosity about new adults is everyone's business.",
        ],
        "findings": [],
        "themes": [
            "domestic_abuse",
            "new_partner",
            "sibling",
            "preschool_children",
            "information_sharing",
            "physical_abuse",
            "professional_curiosity",
        ],
    }


def test_bulleted_findings_and_unnumbered_recommendations_numbered_in_order() -> None:
    assert _draft("bulleted.txt") == {
        "title": "Family R: Rapid Review Summary",
        "recommendations": [
            {
                "number": 1,
                "text": "The Partnership should refresh the neglect strategy and the "
                "use of the graded care profile.",
                "addressees": ["partnership"],
            },
            {
                "number": 2,
                "text": "Schools and early years settings should escalate persistent "
                "absence to children's social care.",
                "addressees": ["education"],
            },
            {
                "number": 3,
                "text": "Housing and health should agree how they share information "
                "about overcrowded households.",
                "addressees": ["housing", "health"],
            },
            {
                "number": 4,
                "text": "Practitioners should be supported to use the escalation policy.",
                "addressees": [],
            },
        ],
        "recommendation_count_stated": None,
        "lessons": [],
        "findings": [
            "The neglect of the children was cumulative and was not recognised for two years.",
            "Attendance at school fell to 62% without any agency escalating the concern.",
            "The mother's depression was known to her GP but not to the school.",
        ],
        "themes": [
            "neglect",
            "information_sharing",
            "mental_health",
            "escalation",
            "housing",
            "education_attendance",
        ],
    }


def test_semicolon_separated_recommendations_and_lessons_take_the_lead_in_addressee() -> None:
    assert _draft("semicolon.txt") == {
        "title": "Child S: Learning Review",
        "recommendations": [
            {
                "number": 1,
                "text": "review the multi-agency exploitation pathway",
                "addressees": ["partnership"],
            },
            {
                "number": 2,
                "text": "ask the youth offending service to join the exploitation panel",
                "addressees": ["partnership"],
            },
            {
                "number": 3,
                "text": "publish a briefing for parents on county lines",
                "addressees": ["partnership"],
            },
        ],
        "recommendation_count_stated": None,
        "lessons": [
            "exploitation is abuse, whatever the child's own choices",
            "a missing episode is a chance to talk to the child",
            "exclusion from school increases risk",
        ],
        "findings": [],
        "themes": ["exploitation", "multi_agency_working", "education_attendance"],
    }


def test_pipe_table_agency_column_gives_the_addressees_and_tab_table_findings() -> None:
    assert _draft("table-pipe.txt") == {
        "title": "Child T: Serious Case Review",
        "recommendations": [
            {
                "number": 1,
                "text": "Review the pathway for parents who misuse alcohol and drugs so "
                "that children are considered.",
                "addressees": ["health", "adult_social_care"],
            },
            {
                "number": 2,
                "text": "Provide training on disguised compliance for frontline staff.",
                "addressees": ["all_agencies"],
            },
            {
                "number": 3,
                "text": "Audit strategy discussions held out of hours.",
                "addressees": ["police", "childrens_social_care"],
            },
            {
                "number": 4,
                "text": "Check that the review's learning is disseminated.",
                "addressees": ["partnership"],
            },
        ],
        "recommendation_count_stated": None,
        "lessons": [],
        "findings": [
            "Professionals accepted the father's account of his drug use without checking it.",
            "Information about the father's cannabis use was not shared with the nursery.",
        ],
        "themes": ["disguised_compliance", "substance_misuse", "multi_agency_working"],
    }


def test_tab_separated_table_with_an_empty_agency_cell_leaves_addressees_to_the_text() -> None:
    assert _draft("table-tab.txt") == {
        "title": "Child U: Practice Review",
        "recommendations": [
            {
                "number": 1,
                "text": "The probation service should tell children's social care when "
                "a person it supervises moves into a household with children.",
                "addressees": ["probation"],
            },
            {
                "number": 2,
                "text": "The integrated care board should audit how GP practices record "
                "who lives with a child.",
                "addressees": ["health"],
            },
            {
                "number": 3,
                "text": "Review the use of written agreements with families.",
                "addressees": [],
            },
        ],
        "recommendation_count_stated": None,
        "lessons": [],
        "findings": [],
        "themes": ["verbal_agreements"],
    }


def test_findings_and_recommendations_section_splits_finding_and_recommendation_items() -> None:
    assert _draft("findings-and-recommendations.txt") == {
        "title": "Child V: Child Safeguarding Practice Review",
        "recommendations": [
            {
                "number": 1,
                "text": "The Partnership should ask agencies how they record the child's voice.",
                "addressees": ["partnership"],
            },
            {
                "number": 2,
                "text": "That the mental health trust and schools agree a protocol for "
                "sharing information when a parent is admitted to hospital.",
                "addressees": ["health", "education"],
            },
            {
                "number": 3,
                "text": "Children's social care to consider the needs of every sibling "
                "when a parent is admitted.",
                "addressees": ["childrens_social_care"],
            },
        ],
        "recommendation_count_stated": None,
        "lessons": [],
        "findings": [
            "Professionals focused on the mother's mental health and the voice of the child "
            "was not heard.",
            "Information sharing between adult mental health services and schools was limited.",
        ],
        "themes": ["sibling", "information_sharing", "mental_health", "voice_of_the_child"],
    }


def test_considerations_for_the_board_are_recommendations_and_conclusions_are_findings() -> None:
    assert _draft("considerations.txt") == {
        "title": "Child W: Learning Review",
        "recommendations": [
            {
                "number": 1,
                "text": "How can the board be assured that bruising in non-mobile "
                "babies is always referred?",
                "addressees": ["partnership"],
            },
            {
                "number": 2,
                "text": "Is the board confident that practitioners use the escalation "
                "policy when they disagree?",
                "addressees": ["partnership"],
            },
            {
                "number": 3,
                "text": "How does the board know that fathers and male carers are "
                "included in assessments?",
                "addressees": ["partnership"],
            },
        ],
        "recommendation_count_stated": None,
        "lessons": [],
        "findings": [
            "The injury to Child W could not have been predicted, but the bruising was an "
            "opportunity to protect him that was missed."
        ],
        "themes": ["preschool_children", "physical_abuse", "escalation"],
    }


def test_messages_for_practitioners_and_managers_are_lessons() -> None:
    assert _draft("messages.txt") == {
        "title": "Family X: Thematic Review Briefing",
        "recommendations": [],
        "recommendation_count_stated": None,
        "lessons": [
            "Ask about coercive control directly and more than once.",
            "Think about what a day in the life of the child is like.",
            "Record who told you what, and when.",
            "Make time in supervision for practitioners to reflect on families where nothing "
            "seems to change.",
            "Check that MARAC actions are followed up.",
        ],
        "findings": [],
        "themes": ["domestic_abuse", "voice_of_the_child"],
    }


def test_contents_page_and_numbered_section_headings_are_not_items() -> None:
    assert _draft("contents.txt") == {
        "title": "Serious Case Review: Child Y",
        "recommendations": [
            {
                "number": 1,
                "text": "Health visiting services should transfer records in person "
                "when a family with a child under 5 moves out of area.",
                "addressees": ["health"],
            },
            {
                "number": 2,
                "text": "Housing providers should tell the health visiting service when "
                "a family with a baby is placed in temporary accommodation.",
                "addressees": ["housing"],
            },
        ],
        "recommendation_count_stated": None,
        "lessons": [],
        "findings": [
            "Agencies did not know about the family's frequent moves.",
            "The health visiting service closed the case when the family moved out of area.",
        ],
        "themes": ["preschool_children", "housing"],
    }


def test_page_furniture_running_headers_and_footers_are_removed() -> None:
    assert _draft("furniture.txt") == {
        "title": "Child Z: Serious Case Review",
        "recommendations": [
            {
                "number": 1,
                "text": "The Fire and Rescue Service and children's social care should "
                "agree a home safety referral route.",
                "addressees": ["childrens_social_care"],
            },
            {
                "number": 2,
                "text": "All agencies should include fire safety in their neglect training.",
                "addressees": ["all_agencies"],
            },
        ],
        "recommendation_count_stated": None,
        "lessons": [
            "Alcohol misuse by a parent can reduce their capacity to keep a child safe at night.",
            "Practitioners should ask about smoke alarms during home visits.",
        ],
        "findings": [],
        "themes": ["neglect", "substance_misuse", "housing"],
    }


def test_a_stated_count_without_a_list_records_the_count_and_no_items() -> None:
    assert _draft("stated-count.txt") == {
        "title": "Child AA: Serious Case Review – Executive Summary",
        "recommendations": [],
        "recommendation_count_stated": 14,
        "lessons": [],
        "findings": [
            "The review found that the risks posed by a new partner were not understood. "
            "There was evidence of disguised compliance and of poor record keeping."
        ],
        "themes": ["new_partner", "preschool_children", "recording", "disguised_compliance"],
    }


def test_html_review_reads_lists_and_a_table_and_drops_navigation_and_footer() -> None:
    assert _draft("review.html") == {
        "title": "Child BB: Learning Review",
        "recommendations": [
            {
                "number": 1,
                "text": "The Police and children's social care should hold a strategy "
                "discussion within one working day of a disclosure.",
                "addressees": ["police", "childrens_social_care"],
            },
            {
                "number": 2,
                "text": "The partnership should commission training on harmful sexual behaviour.",
                "addressees": ["partnership"],
            },
            {
                "number": 3,
                "text": "Review the school nursing offer for children who have disclosed abuse.",
                "addressees": ["health"],
            },
            {
                "number": 4,
                "text": "Make sure that every school has a trained designated "
                "safeguarding lead and deputy.",
                "addressees": ["education"],
            },
        ],
        "recommendation_count_stated": None,
        "lessons": [
            "Children tell adults they trust; the teacher's quick response was good practice.",
            "Harmful sexual behaviour between siblings needs a specialist assessment.",
        ],
        "findings": [],
        "themes": ["sibling", "sexual_abuse", "multi_agency_working"],
    }
