"""The register of verbal agreements made with families: need, network, review."""
