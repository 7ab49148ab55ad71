"""The three arithmetic conventions of the emulated Loihi and every difference between them.

The public descriptions of Loihi's integer arithmetic do not agree bit for bit (measured on
11 cases: brian2-loihi 0.5.2 and Lava 0.10 agree on 7). Rather than silently pick one,
dynsim names three conventions and lets the user choose when the network is made,
``LoihiNetwork(..., convention=...)``:

``'silicon'`` (default)
    Loihi 1 as nengo-loihi documents it from the chip: per-synapse weight exponent (the
    two-part shift), mantissa bits dropped by an arithmetic shift, 21-bit + sign dendritic
    accumulator that wraps, u (and u + bias) wrapping at 24 bits, v saturating at
    +-(2**23 - 1), input spikes arriving one step after they are sent.
``'lava'``
    Bit-identical to Lava 0.10's bit-accurate ``LIF`` (``PyLifModelBitAcc``) fed by
    ``Dense``/``DelayDense`` (``PyDenseModelBitAcc``), including Dense's one-step delivery.
``'brian2_loihi'``
    Bit-identical to brian2-loihi 0.5.2 (Michaelis et al. 2022), whose known bugs (float
    spike times, period in seconds, stale weights, global ``defaultclock``) are fixed in
    every convention.

:data:`DIFFERENCES` is the one table of differences. Everything else is derived from it:
the :class:`Convention` objects the emulator reads (``get_convention(name).u_overflow``),
:func:`conventions_table` (a list of dict rows for a notebook or a DataFrame) and
:func:`conventions_markdown` (the table in the documentation).

What all three share: the CUBA LIF update order, ``decay`` rounding toward zero, the
threshold ``v > vth_mant << 6``, reset to 0 with v held for ``refractory - 1`` steps,
synaptic delays of ``1 + delay`` steps between two neurons, and learning as brian2-loihi
defines it (per-synapse 7-bit traces, its rule grammar, x0/y0 timing, rounding of ``dw``)
with the seeded, counter-based random numbers of stochastic rounding. Learning is
reproducible, not bit-exact with any chip: Lava's own learning engine (Loihi 2 style,
"bit-approximate") is not emulated; on Loihi 1, x traces belong to axons and y traces to
compartments rather than to synapses.

References
----------
Michaelis et al. (2022), Front. Neuroinform. 16:1015624; Lava 0.10 (lava-nc/lava),
issue #322 (bit-accurate LIF vs NxSDK); nengo-loihi ``discretize.py`` and
``emulator/interface.py``; Davies et al. (2018), IEEE Micro 38(1).

Examples
--------
>>> from dynsim.loihi.conventions import get_convention, conventions_table
>>> get_convention("lava").exponent_scope
'projection'
>>> rows = conventions_table()
>>> sorted(rows[0])
['aspect', 'brian2_loihi', 'key', 'lava', 'silicon', 'source']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from dynsim.errors import UnknownConventionError, suggest
from dynsim.loihi import registers as R

__all__ = [
    "CONVENTION_NAMES",
    "DEFAULT_CONVENTION",
    "DIFFERENCES",
    "Convention",
    "Difference",
    "conventions_markdown",
    "conventions_table",
    "get_convention",
]

#: The names a user can pass as ``convention=``.
CONVENTION_NAMES: tuple[str, ...] = ("silicon", "lava", "brian2_loihi")
#: The convention of a network made without ``convention=``.
DEFAULT_CONVENTION = "silicon"


@dataclass(frozen=True)
class Difference:
    """One row of the table: an aspect of the arithmetic on which the conventions differ.

    Parameters
    ----------
    key : str
        The attribute of :class:`Convention` that the emulator reads.
    aspect : str
        What the row is about, in words.
    values : dict
        The machine value per convention name.
    text : dict
        The human description per convention name.
    source : str
        Where the behaviour comes from (file, issue, measurement).
    """

    key: str
    aspect: str
    values: dict[str, Any]
    text: dict[str, str]
    source: str


def _row(key: str, aspect: str, source: str, **per: tuple[Any, str]) -> Difference:
    return Difference(
        key=key,
        aspect=aspect,
        values={name: per[name][0] for name in CONVENTION_NAMES},
        text={name: per[name][1] for name in CONVENTION_NAMES},
        source=source,
    )


#: The one table of differences between the conventions.
DIFFERENCES: tuple[Difference, ...] = (
    _row(
        "mantissa_rounding",
        "dropping low weight-mantissa bits (num_weight_bits < 8 or mixed sign)",
        "measured: brian2-loihi int(w/2**s)*2**s vs Lava weightutils.truncate_weights",
        silicon=("mixed_floor", "mixed: two's complement shift, rounds down (-3 -> -4); "
                                "inhibitory: the magnitude is truncated (-255 -> -252)"),
        lava=("mixed_floor", "mixed: two's complement shift, rounds down (-3 -> -4); "
                             "inhibitory: the magnitude is truncated (-255 -> -252)"),
        brian2_loihi=("toward_zero", "truncates toward zero in every sign mode (-3 -> -2)"),
    ),
    _row(
        "exponent_scope", "where the weight exponent w_exp is applied",
        "nengo-loihi discretize_weights (lossy two-part shift); Lava PyDenseModelBitAcc",
        silicon=("synapse", "per synapse, floor(w * 2**w_exp) << 6, then summed"),
        lava=("projection", "mantissas summed per projection and step, then "
                            "floor(sum * 2**w_exp) << 6"),
        brian2_loihi=("synapse", "per synapse, floor(w * 2**w_exp) << 6, then summed"),
    ),
    _row(
        "weight_limit", "limit of one actual weight",
        "brian2-loihi calcActualWeights",
        silicon=(None, "none (abs(w_act) <= 2**21 fits the accumulator)"),
        lava=(None, "none"),
        brian2_loihi=(R.WEIGHT_LIMIT_BRIAN2_LOIHI, "clipped to +-(2**21 - 64)"),
    ),
    _row(
        "inhibitory_min", "smallest inhibitory weight mantissa that reaches the synapse",
        "Lava weightutils.clip_weights (num_bits=8)",
        silicon=(-256, "-256"),
        lava=(-255, "-255 (Dense clips -256 to -255)"),
        brian2_loihi=(-256, "-256"),
    ),
    _row(
        "accumulator_overflow", "dendritic accumulator (sum of a step's inputs)",
        "nengo-loihi Q_BITS = 21, overflow_signed",
        silicon=("wrap", f"21 bits + sign, wraps ({R.ACC_MIN}..{R.ACC_MAX})"),
        lava=("none", "32-bit, no overflow in practice"),
        brian2_loihi=("none", "float64, no overflow"),
    ),
    _row(
        "u_overflow", "current u beyond 24 bits",
        "Lava AbstractPyLifModelFixed.subthr_dynamics; nengo-loihi U_BITS = 23",
        silicon=("wrap", f"two's complement wrap ({R.U_MIN}..{R.U_MAX})"),
        lava=("lava_wrap", "one correction by 2**24 into (-2**23, 2**23]"),
        brian2_loihi=("none", "never wraps"),
    ),
    _row(
        "bias_overflow", "u + bias before it enters v",
        "nengo-loihi CompartmentState.update (u2 overflow)",
        silicon=("wrap", "wraps at 24 bits like u"),
        lava=("none", "not wrapped"),
        brian2_loihi=("none", "not wrapped (brian2-loihi has no bias)"),
    ),
    _row(
        "v_overflow", "voltage v beyond 24 bits",
        "Lava np.clip(v, -2**23 + 1, 2**23 - 1); nengo-loihi vmin/vmax",
        silicon=("clip", f"saturates at +-{R.V_MAX}"),
        lava=("clip", f"saturates at +-{R.V_MAX}"),
        brian2_loihi=("none", "never saturates"),
    ),
    _row(
        "generator_delay", "extra steps before a spike generator's spike reaches u",
        "nengo-loihi inject_current ('input spikes take one time-step to arrive'); "
        "Lava Dense buffers a_out by one step; brian2-loihi generator runs at 'start'",
        silicon=(1, "one step: sent at t, in u at t + 1 + delay"),
        lava=(1, "one step: sent at t, in u at t + 1 + delay"),
        brian2_loihi=(0, "same step: sent at t, in u at t + delay"),
    ),
    _row(
        "decay_I_min", "smallest effective current decay decay_I (= du + 1)",
        "Lava ds_offset = 1 on a 12-bit du register; brian2-loihi accepts 0..4096",
        silicon=(1, "1 (du = 0); decay_I = 0 is not representable"),
        lava=(1, "1 (du = 0)"),
        brian2_loihi=(0, "0 (no current decay)"),
    ),
    _row(
        "decay_v_max", "largest effective voltage decay decay_v (= dv)",
        "Lava dm_offset = 0 on a 12-bit dv register; brian2-loihi accepts 0..4096",
        silicon=(R.DECAY_REGISTER_MAX, "4095"),
        lava=(R.DECAY_REGISTER_MAX, "4095"),
        brian2_loihi=(R.DECAY_EFFECTIVE_MAX, "4096 (v forgets everything each step)"),
    ),
    _row(
        "refractory_source", "refractory period",
        "nengo-loihi ref_count; brian2-loihi '(unless refractory)'; Lava 0.10 LIF has none",
        silicon=("chip", "v held at 0 for refractory - 1 steps, u integrates"),
        lava=("chip", "as silicon; Lava 0.10's bit-accurate LIF has no refractory "
                      "period, so Lava agrees for refractory = 1 only"),
        brian2_loihi=("chip", "v held at 0 for refractory - 1 steps, u integrates"),
    ),
    _row(
        "trace_decay", "decay factor of the traces x1, x2, y1, y2, y3 per step",
        "nengo-loihi update_traces and Lava's learning engine use exp(-1/tau); "
        "brian2-loihi x * (1 - 1/tau)",
        silicon=("exp", "round(2**16 exp(-1/tau)) / 2**16, stochastic rounding"),
        lava=("exp", "round(2**16 exp(-1/tau)) / 2**16, stochastic rounding"),
        brian2_loihi=("linear", "(tau - 1) / tau exactly, stochastic rounding"),
    ),
    _row(
        "learning_truncates", "weights written by learning enter w_act",
        "brian2-loihi learning equations (w_act from w_clipped, no precision shift)",
        silicon=(True, "truncated to num_weight_bits"),
        lava=(True, "truncated to num_weight_bits"),
        brian2_loihi=(False, "not truncated"),
    ),
    _row(
        "x0_needs_trace", "when x0 / y0 are set on a spike",
        "brian2-loihi sets x0 (y0) only if a pre (post) trace is defined",
        silicon=(False, "on every pre (post) spike"),
        lava=(False, "on every pre (post) spike"),
        brian2_loihi=(True, "only if a pre (post) trace is defined"),
    ),
)


@dataclass(frozen=True)
class Convention:
    """The arithmetic of one convention: one attribute per row of :data:`DIFFERENCES`.

    Built from the table; read by the emulator. Attributes are documented in the table
    (``conventions_table()``).
    """

    name: str
    mantissa_rounding: str
    exponent_scope: str
    weight_limit: int | None
    inhibitory_min: int
    accumulator_overflow: str
    u_overflow: str
    bias_overflow: str
    v_overflow: str
    generator_delay: int
    decay_I_min: int
    decay_v_max: int
    refractory_source: str
    trace_decay: str
    learning_truncates: bool
    x0_needs_trace: bool
    text: MappingProxyType = field(repr=False, compare=False, default_factory=dict)

    def describe(self, key: str) -> str:
        """Return the human description of one aspect in this convention."""
        return self.text[key]


def _build() -> dict[str, Convention]:
    out = {}
    for name in CONVENTION_NAMES:
        values = {row.key: row.values[name] for row in DIFFERENCES}
        text = MappingProxyType({row.key: row.text[name] for row in DIFFERENCES})
        out[name] = Convention(name=name, text=text, **values)
    return out


_CONVENTIONS = _build()


def get_convention(name: str | Convention | None = None) -> Convention:
    """Return the :class:`Convention` called ``name`` (default :data:`DEFAULT_CONVENTION`).

    Parameters
    ----------
    name : str, Convention or None
        ``'silicon'``, ``'lava'`` or ``'brian2_loihi'``.

    Raises
    ------
    dynsim.errors.UnknownConventionError
        For any other name, with a "did you mean" hint.

    Examples
    --------
    >>> get_convention("brian2-loihi")
    Traceback (most recent call last):
    ...
    dynsim.errors.UnknownConventionError: unknown Loihi arithmetic convention 'brian2-loihi'; choose one of 'silicon', 'lava', 'brian2_loihi'. Did you mean 'brian2_loihi'?
    """  # noqa: E501
    if isinstance(name, Convention):
        return name
    if name is None:
        name = DEFAULT_CONVENTION
    try:
        return _CONVENTIONS[name]
    except (KeyError, TypeError):
        choices = ", ".join(f"'{c}'" for c in CONVENTION_NAMES)
        raise UnknownConventionError(
            f"unknown Loihi arithmetic convention {name!r}; choose one of {choices}."
            + suggest(str(name), CONVENTION_NAMES)
        ) from None


def conventions_table() -> list[dict[str, str]]:
    """Return the table of differences as rows for a notebook, a DataFrame or the docs.

    Returns
    -------
    list of dict
        One dict per aspect with the keys ``'key'``, ``'aspect'``, ``'silicon'``, ``'lava'``,
        ``'brian2_loihi'`` (human descriptions) and ``'source'``.

    Examples
    --------
    >>> [row["brian2_loihi"] for row in conventions_table() if row["key"] == "u_overflow"]
    ['never wraps']
    """
    return [
        {"key": row.key, "aspect": row.aspect, **{n: row.text[n] for n in CONVENTION_NAMES},
         "source": row.source}
        for row in DIFFERENCES
    ]


def conventions_markdown() -> str:
    """Return the table of differences as a Markdown table (aspect and the three columns)."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    head = "| aspect | silicon (default) | lava | brian2_loihi |\n|---|---|---|---|\n"
    body = "".join(
        f"| {cell(r['aspect'])} | {cell(r['silicon'])} | {cell(r['lava'])} | "
        f"{cell(r['brian2_loihi'])} |\n"
        for r in conventions_table()
    )
    return head + body
