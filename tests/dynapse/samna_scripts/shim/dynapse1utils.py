"""Test shim: a ``dynapse1utils`` module as the board tutorials import it (dynsim's helpers)."""

from dynsim.dynapse.dynapse1utils import *  # noqa: F403
