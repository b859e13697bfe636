"""Referrals to children's social care, made in partnership with the family."""
