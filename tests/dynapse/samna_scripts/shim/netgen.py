"""Test shim: a ``netgen`` module as the board tutorials import it, re-exporting dynsim's."""

from dynsim.dynapse.netgen import *  # noqa: F403
