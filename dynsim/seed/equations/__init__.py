"""The seed's ``equations`` package: :mod:`dynsim.seed.equations.dynapse_eq`."""
