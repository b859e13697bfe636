"""Constrained clustering: strongest links first, never joining two people who cannot be one."""

from __future__ import annotations

from thinkfamily.linkage.clustering import Edge, cluster

NHS_A, NHS_B = "9434765919", "9434765870"


def test_a_chain_through_a_shared_record_cannot_join_two_nhs_numbers() -> None:
    result = cluster(
        [1, 2, 3],
        identifiers={1: (NHS_A, ""), 3: (NHS_B, "")},
        edges=[Edge(1, 2, 0.999, "model"), Edge(2, 3, 0.998, "model")],
    )
    assert result.cluster_of == {1: 1, 2: 1, 3: 3}
    assert result.refused == 1


def test_strongest_link_wins_when_a_record_could_go_two_ways() -> None:
    result = cluster(
        [1, 2, 3],
        identifiers={1: (NHS_A, ""), 3: (NHS_B, "")},
        edges=[Edge(1, 2, 0.97, "model"), Edge(2, 3, 0.999, "model")],
    )
    assert result.cluster_of == {1: 1, 2: 2, 3: 2}


def test_cannot_link_pairs_stay_apart_whatever_the_score() -> None:
    """Twins (or siblings an agency relates) never join, even through a third record."""
    result = cluster(
        [1, 2, 3],
        identifiers={},
        edges=[Edge(1, 3, 0.9999, "model"), Edge(2, 3, 0.9998, "model")],
        cannot_link=[(1, 2)],
    )
    assert result.cluster_of[1] != result.cluster_of[2]
    assert result.refused == 1
    assert result.review == [], "a pair that can never be one person is not offered for review"


def test_doubtful_pairs_go_to_review_instead_of_linking() -> None:
    result = cluster([1, 2], identifiers={}, edges=[Edge(1, 2, 0.999, "model")], doubtful=[(1, 2)])
    assert result.cluster_of == {1: 1, 2: 2}
    assert [(edge.left, edge.right) for edge in result.review] == [(1, 2)]


def test_identifier_links_are_not_held_back_by_doubt() -> None:
    result = cluster(
        [1, 2],
        identifiers={1: (NHS_A, ""), 2: (NHS_A, "")},
        edges=[Edge(1, 2, 1.0, "nhs_number")],
        doubtful=[(1, 2)],
    )
    assert result.cluster_of == {1: 1, 2: 1}


def test_edges_that_are_not_automatic_are_only_offered_for_review() -> None:
    result = cluster([1, 2], identifiers={}, edges=[Edge(1, 2, 0.7, "model", automatic=False)])
    assert result.cluster_of == {1: 1, 2: 2}
    assert len(result.review) == 1


def test_review_pairs_already_joined_by_other_links_are_not_offered() -> None:
    result = cluster(
        [1, 2, 3],
        identifiers={},
        edges=[
            Edge(1, 2, 0.99, "model"),
            Edge(2, 3, 0.99, "model"),
            Edge(1, 3, 0.6, "model", automatic=False),
        ],
    )
    assert set(result.cluster_of.values()) == {1}
    assert result.review == []


def test_one_gp_practice_at_a_time() -> None:
    """Identifier slots can hold registrations: two practices are two people."""
    result = cluster(
        [1, 2],
        identifiers={1: ("", "", "GP-A"), 2: ("", "", "GP-B")},
        edges=[Edge(1, 2, 0.999, "model")],
    )
    assert result.cluster_of == {1: 1, 2: 2}


def test_the_result_does_not_depend_on_the_order_edges_arrive_in() -> None:
    edges = [Edge(1, 2, 0.99, "model"), Edge(3, 4, 0.99, "model"), Edge(2, 3, 0.99, "model")]
    forward = cluster([1, 2, 3, 4], identifiers={1: (NHS_A, ""), 4: (NHS_B, "")}, edges=edges)
    backward = cluster(
        [1, 2, 3, 4], identifiers={1: (NHS_A, ""), 4: (NHS_B, "")}, edges=edges[::-1]
    )
    assert forward.cluster_of == backward.cluster_of


def test_a_shared_nhs_number_outweighs_a_move_between_gp_practices() -> None:
    result = cluster(
        [1, 2],
        identifiers={1: (NHS_A, "", "GP-A"), 2: (NHS_A, "", "GP-B")},
        edges=[Edge(1, 2, 1.0, "nhs_number")],
    )
    assert result.cluster_of == {1: 1, 2: 1}


def test_a_shared_identifier_that_cannot_join_is_reported_as_a_conflict() -> None:
    """One UPN on two children with different NHS numbers: two people, and a conflict."""
    result = cluster(
        [1, 2],
        identifiers={1: (NHS_A, "UPN1"), 2: (NHS_B, "UPN1")},
        edges=[Edge(1, 2, 1.0, "upn")],
    )
    assert result.cluster_of == {1: 1, 2: 2}
    assert [(edge.left, edge.right, edge.rule) for edge in result.conflicts] == [(1, 2, "upn")]
