"""Think Family: a multi-agency safeguarding record in which no child in a family is invisible."""
