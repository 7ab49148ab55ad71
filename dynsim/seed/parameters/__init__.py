"""The seed's ``parameters`` package: :mod:`dynsim.seed.parameters.dynapse_param`."""
