from thinkfamily.matching.deterministic import IdentifiedRecord, group_by_identifiers

NHS_A, NHS_B = "9434765919", "9434765870"
UPN_A, UPN_B = "B801200005001", "X801200000001"


def test_records_sharing_an_nhs_number_are_one_person():
    groups, conflicts = group_by_identifiers(
        [
            IdentifiedRecord(1, NHS_A, ""),
            IdentifiedRecord(2, NHS_A, ""),
            IdentifiedRecord(3, "", ""),
        ]
    )
    assert groups == [[1, 2], [3]]
    assert conflicts == []


def test_nhs_number_and_upn_chain_records_together():
    groups, _ = group_by_identifiers(
        [
            IdentifiedRecord(1, NHS_A, ""),
            IdentifiedRecord(2, NHS_A, UPN_A),
            IdentifiedRecord(3, "", UPN_A),
        ]
    )
    assert groups == [[1, 2, 3]]


def test_a_link_that_would_give_one_person_two_nhs_numbers_is_refused_as_a_conflict():
    # Two siblings with their own NHS numbers; a school attached one UPN to both.
    groups, conflicts = group_by_identifiers(
        [
            IdentifiedRecord(1, NHS_A, UPN_A),
            IdentifiedRecord(2, NHS_B, UPN_A),
        ]
    )
    assert groups == [[1], [2]]
    assert [(c.record_pk, c.other_record_pk, c.identifier) for c in conflicts] == [(2, 1, UPN_A)]
    assert "different NHS numbers" in conflicts[0].reason


def test_the_grouping_does_not_depend_on_the_order_records_arrive_in():
    records = [
        IdentifiedRecord(5, "", UPN_B),
        IdentifiedRecord(2, NHS_B, UPN_B),
        IdentifiedRecord(9, NHS_B, ""),
        IdentifiedRecord(1, "", ""),
    ]
    assert group_by_identifiers(records) == group_by_identifiers(list(reversed(records)))
    assert group_by_identifiers(records)[0] == [[1], [2, 5, 9]]
