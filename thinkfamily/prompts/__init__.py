"""Think Sibling: the rules that react to a concern or a new adult, and the worklists they fill."""
