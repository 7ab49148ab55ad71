"""The one table of conventions, and the behaviour each row describes."""

from __future__ import annotations

import dataclasses

import pytest

from dynsim.errors import UnknownConventionError
from dynsim.loihi import (
    CONVENTION_NAMES,
    DEFAULT_CONVENTION,
    LoihiNetwork,
    conventions_markdown,
    conventions_table,
    get_convention,
)
from dynsim.loihi.conventions import DIFFERENCES, Convention


def test_table_rows_render_and_drive_the_convention_objects():
    rows = conventions_table()
    assert len(rows) == len(DIFFERENCES) >= 12
    fields = {f.name for f in dataclasses.fields(Convention)} - {"name", "text"}
    assert {r["key"] for r in rows} == fields  # every difference is one row, and vice versa
    for row in rows:
        assert set(row) == {"key", "aspect", "silicon", "lava", "brian2_loihi", "source"}
        assert all(isinstance(row[c], str) and row[c] for c in CONVENTION_NAMES)
    for name in CONVENTION_NAMES:
        conv = get_convention(name)
        for d in DIFFERENCES:
            assert getattr(conv, d.key) == d.values[name]
            assert conv.describe(d.key) == d.text[name]
    md = conventions_markdown()
    assert md.count("\n") == len(rows) + 2 and "| u_overflow" not in md
    assert "| current u beyond 24 bits | two's complement wrap" in md


def test_every_row_differs_somewhere_except_documented_caveats():
    for d in DIFFERENCES:
        values = {repr(v) for v in d.values.values()}
        texts = set(d.text.values())
        assert len(values) > 1 or len(texts) > 1, d.key


def test_default_and_unknown_conventions():
    assert DEFAULT_CONVENTION == "silicon" == get_convention(None).name
    assert LoihiNetwork(name="conv_default_net").convention.name == "silicon"
    with pytest.raises(UnknownConventionError, match="Did you mean 'lava'"):
        get_convention("Lava")
    with pytest.raises(UnknownConventionError, match="choose one of"):
        get_convention(3)


def test_measured_disagreements_are_in_the_table():
    silicon, lava, b2l = (get_convention(n) for n in CONVENTION_NAMES)
    assert lava.mantissa_rounding != b2l.mantissa_rounding      # 1. odd negative weights
    assert lava.exponent_scope == "projection" != b2l.exponent_scope  # 2. coincident inputs
    assert lava.u_overflow != "none" == b2l.u_overflow           # 3. u overflow
    assert lava.v_overflow == "clip" != b2l.v_overflow           # 4. v saturation
    assert lava.generator_delay == 1 and b2l.generator_delay == 0  # timing
    assert silicon.exponent_scope == "synapse" and silicon.accumulator_overflow == "wrap"
