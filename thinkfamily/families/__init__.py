"""Families: the people of a household drawn together, as a genogram."""
