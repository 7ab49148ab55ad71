"""Wall time of an emulated DYNAP-SE1 chip, and of the full 4-chip board, through the samna layer.

Chip: 1024 neurons (4 cores x 256), each with 64 CAM entries listening to virtual neurons
(40 AMPA, 8 NMDA, 8 GABA_A, 8 GABA_B), driven by the board's Poisson generator (1023 virtual
neurons at 10 Hz), dt = 0.1 ms, default biases.

Board: the same wiring on each of the 4 chips (4096 neurons, 262,144 CAM entries). The board's
Poisson generator serves one chip at a time (``set_chip_id``, as on the hardware), so the board
is driven by the FPGA spike generator playing Poisson trains (10 Hz) of 1023 virtual neurons per
chip, generated in advance.

    python benchmarks/dynapse_chip.py [duration_s] [engine]          # one chip (as before)
    python benchmarks/dynapse_chip.py 1 cython --chips 4 --dt-ms 0.2  # the board, dt 0.2 ms
    python benchmarks/dynapse_chip.py --dt-accuracy                   # rates vs dt (a lever)
    python benchmarks/dynapse_chip.py 1 cython --chips 4 --active     # a working network
    python benchmarks/dynapse_chip.py 1 standalone --chips 4          # the compiled board

Engines: ``cython`` / ``numpy`` (Brian2 runtime) or ``standalone`` (the model compiled into
one C++ program, :class:`dynsim.dynapse.standalone.StandaloneBoard`; OpenMP threads from
``$DYNSIM_STANDALONE_THREADS``, default the usable cores).

``--active`` raises the AMPA weight bias (``PS_WEIGHT_EXC_F_N``, :data:`ACTIVE_AMPA_WEIGHT`)
on every core and drives the 64 inputs of every neuron at :data:`ACTIVE_RATE_HZ`, so the
network works (mean output 5-20 Hz, printed) instead of being nearly silent (about 0.2 Hz
with the default biases): the synaptic load of a working network is measured too.

prints the build time (configuration + Brian2 objects), the first run (includes code
generation and compilation when the cache is cold), the wall time of warm runs of the same
duration, and the real-time factor (simulated seconds per wall-clock second). ``--json PATH``
writes the numbers (``benchmarks/run.py`` uses it). Chip and board share one model name, so
they share their compiled code.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
from _script import finish
from brian2 import ms, second

from dynsim.dynapse import (
    Dynapse1Model,
    Dynapse1Parameter,
    NetworkGenerator,
    Neuron,
    fpga_events_from_times,
)
from dynsim.dynapse.constants import NEURONS_PER_CHIP, NEURONS_PER_CORE, split_global_id

TYPES = ["AMPA"] * 40 + ["NMDA"] * 8 + ["GABA_A"] * 8 + ["GABA_B"] * 8
#: Name of the benchmark's Brian2 objects (chip and board share the compiled code).
NAME = "bench_dynapse"
#: ``--active``: the AMPA weight bias (coarse, fine) and the input rate (Hz) of a working
#: network (mean output about 9 Hz on one chip, numpy engine, 0.3 s: chosen by trying values)
ACTIVE_AMPA_WEIGHT = (2, 60)
ACTIVE_RATE_HZ = 15.0


def build(seed: int = 0, n_chips: int = 1) -> NetworkGenerator:
    """Return a generator with 65,536 connections per chip (chip 0's wiring never changes)."""
    rng = np.random.default_rng(seed)
    net = NetworkGenerator()
    connections = []
    for chip in range(n_chips):
        pre_ids = rng.integers(1, NEURONS_PER_CHIP, size=(NEURONS_PER_CHIP, len(TYPES)))
        spike_gens = [Neuron(chip, *split_global_id(i)[1:], is_spike_gen=True)
                      for i in range(NEURONS_PER_CHIP)]
        for post_id in range(NEURONS_PER_CHIP):
            post = Neuron(chip, *split_global_id(post_id)[1:])
            connections += [(spike_gens[p], post, kind)
                            for p, kind in zip(pre_ids[post_id], TYPES, strict=True)]
    net.add_connections(connections)
    return net


def fpga_poisson_stimulus(n_chips: int, rate_hz: float, length_s: float, seed: int = 0
                          ) -> tuple[list, int]:
    """Return FPGA events (and the ISI multiplier) playing Poisson trains to every chip.

    Virtual neurons 1..1023 of each chip fire at ``rate_hz`` for ``length_s`` seconds; each
    event goes to all four cores of its chip.
    """
    rng = np.random.default_rng(seed + 1000)
    times, ids, chips = [], [], []
    for chip in range(n_chips):
        for virtual in range(1, NEURONS_PER_CHIP):
            count = rng.poisson(rate_hz * length_s)
            times.append(rng.random(count) * length_s)
            ids.append(np.full(count, virtual))
            chips.append(np.full(count, chip))
    all_times = np.concatenate(times)
    order = np.argsort(all_times, kind="stable")
    return fpga_events_from_times(all_times[order] * second, np.concatenate(ids)[order],
                                  np.concatenate(chips)[order])


def make_model(n_chips: int = 1, engine: str = "cython", seed: int = 0, rate_hz: float = 10.0,
               dt_ms: float = 0.1, stimulus_s: float = 2.0, active: bool = False
               ) -> Dynapse1Model:
    """Return the configured, built benchmark model (chip: Poisson generator; board: FPGA).

    ``stimulus_s`` is the length of the FPGA stimulus of a board (runs beyond it get no input).
    ``active`` sets every core's AMPA weight to :data:`ACTIVE_AMPA_WEIGHT` (a working network).
    """
    config = build(seed, n_chips).make_dynapse1_configuration()
    model = Dynapse1Model(engine=engine, seed=seed, name=NAME, dt=dt_ms * ms)
    model.apply_configuration(config)
    if active:
        weight = Dynapse1Parameter("PS_WEIGHT_EXC_F_N", *ACTIVE_AMPA_WEIGHT)
        for chip in range(n_chips):
            for core in range(4):
                model.update_single_parameter(weight, chip, core)
    if n_chips == 1:
        generator = model.get_poisson_gen()
        for neuron_id in range(1, NEURONS_PER_CHIP):
            generator.write_poisson_rate_hz(neuron_id, rate_hz)
        generator.start()
    else:
        events, multiplier = fpga_poisson_stimulus(n_chips, rate_hz, stimulus_s, seed)
        fpga = model.get_fpga_spike_gen()
        fpga.preload_stimulus(events)
        fpga.set_isi_multiplier(multiplier)
        fpga.start()
    model.simulated_neurons  # noqa: B018 - builds the Brian2 network
    return model


def profile_breakdown(model: Dynapse1Model, duration_s: float) -> dict[str, float]:
    """Profile one more run: stimulus preparation, each Brian2 code object, Python overhead.

    Uses the model's internals (benchmark only): the same steps as ``model.run``.
    """
    from brian2 import profiling_summary

    t0 = model.time_s
    start = time.perf_counter()
    indices, times = model._virtual_spikes(t0, t0 + duration_s)
    model._virtual.set_spikes(indices, times * second, sorted=True)
    stimulus = time.perf_counter() - start
    start = time.perf_counter()
    model._net.run(duration_s * second, profile=True)
    total = time.perf_counter() - start
    summary = profiling_summary(model._net)
    parts = {name.strip().removeprefix(NAME + "_"): float(t / second)
             for name, t in zip(summary.names, summary.times, strict=True)}
    return {"stimulus_s": stimulus, "network_run_s": total,
            "python_overhead_s": total - sum(parts.values()),
            **{f"codeobject_{k}_s": v for k, v in parts.items()}}


def cpu_time() -> float:
    """CPU time (s) of this process and of its ended children (the compiled program's runs)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_benchmark(duration_s: float = 1.0, engine: str = "cython", seed: int = 0,
                  rate_hz: float = 10.0, n_chips: int = 1, dt_ms: float = 0.1,
                  repeats: int = 1, profile: bool = False, active: bool = False
                  ) -> dict[str, float]:
    """Build and run the chip (or board); return timings (s) and the output spike count.

    ``first_run_s`` includes code generation and compilation when the cache is cold;
    ``warm_run_s`` is the best of ``repeats`` further runs of ``duration_s`` (all timings
    include the stimulus preparation of ``model.run``); ``warm_cpu_s`` the least CPU time of
    those runs, this process's and the compiled program's (less sensitive to other jobs on
    the machine; above the wall time when OpenMP threads run at once).
    """
    start = time.perf_counter()
    model = make_model(n_chips, engine, seed, rate_hz, dt_ms,
                       stimulus_s=duration_s * (repeats + 2), active=active)
    built = time.perf_counter()
    spikes = len(model.run(duration_s * second))
    first_done = time.perf_counter()
    warm, cpu = [], []
    for _ in range(repeats):
        a, c = time.perf_counter(), cpu_time()
        spikes += len(model.run(duration_s * second))
        warm.append(time.perf_counter() - a)
        cpu.append(cpu_time() - c)
    result = {"build_s": built - start, "first_run_s": first_done - built,
              "warm_run_s": min(warm), "warm_runs_s": warm, "warm_cpu_s": min(cpu),
              "duration_s": duration_s,
              "spikes": float(spikes), "n_neurons": float(len(model.simulated_neurons)),
              "n_chips": n_chips, "dt_ms": dt_ms, "engine": model.engine, "active": active,
              "rate_in_hz": rate_hz,
              "rate_out_hz": spikes / ((repeats + 1) * duration_s * n_chips * NEURONS_PER_CHIP)}
    result["wall_per_sim_s"] = result["warm_run_s"] / duration_s
    result["real_time_factor"] = duration_s / result["warm_run_s"]
    if model._program is not None:  # engine 'standalone'
        result["threads"] = model._program.threads
    elif profile:  # a runtime network's code objects (the compiled program has none)
        result["profile"] = profile_breakdown(model, duration_s)
    return result


def dt_accuracy(dts_ms: tuple[float, ...] = (0.025, 0.05, 0.1, 0.2, 0.5), duration_s: float = 1.0,
                engine: str = "cython") -> dict:
    """Firing rates of DC-driven neurons at several dt: what a coarser dt costs in accuracy.

    One monitored neuron per core of chip 0, one DC level (``IF_DC_P``) per core, no synaptic
    input; the rate of each is 1 / (mean inter-spike interval). Errors are relative to the
    finest dt. Synaptic and AHP decays are exact at any dt; the membrane is forward Euler.
    """
    levels = [(2, 110), (2, 200), (3, 50), (3, 90)]
    out: dict = {"levels": levels, "dt_ms": list(dts_ms), "rates_hz": [], "max_rel_error": []}
    for dt_ms in dts_ms:
        model = Dynapse1Model(engine=engine, dt=dt_ms * ms, name="bench_dynapse_dt")
        for core, (coarse, fine) in enumerate(levels):
            model.update_single_parameter(Dynapse1Parameter("IF_DC_P", coarse, fine), 0, core)
        model.monitor([core * NEURONS_PER_CORE + 1 for core in range(4)], variables=["Imem"])
        events = model.run(duration_s * second)
        rates = []
        for core in range(4):
            times = np.array([e.timestamp for e in events if e.core_id == core]) * 1e-6
            rates.append(float(1 / np.mean(np.diff(times))) if len(times) > 2 else 0.0)
        out["rates_hz"].append(rates)
    reference = np.array(out["rates_hz"][0])
    for rates in out["rates_hz"]:
        rel = np.abs(np.array(rates) - reference) / np.maximum(reference, 1e-9)
        out["max_rel_error"].append(float(rel.max()))
    return out


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print the result, optionally write it as JSON; return it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("duration", nargs="?", type=float, default=1.0,
                        help="simulated seconds per run (default 1)")
    parser.add_argument("engine", nargs="?", default="cython",
                        help="cython (default), numpy or standalone")
    parser.add_argument("--chips", type=int, default=1, choices=[1, 2, 3, 4])
    parser.add_argument("--dt-ms", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=1, help="warm runs (best is reported)")
    parser.add_argument("--rate", type=float, default=None,
                        help="input rate per virtual neuron (default 10 Hz, --active 15 Hz)")
    parser.add_argument("--active", action="store_true",
                        help="a working network: stronger AMPA weight, inputs at 15 Hz")
    parser.add_argument("--profile", action="store_true", help="add a per-code-object profile")
    parser.add_argument("--dt-accuracy", action="store_true",
                        help="measure firing rates against dt instead")
    parser.add_argument("--json", help="write the result to this file")
    args = parser.parse_args(argv)
    if args.dt_accuracy:
        result = dt_accuracy(duration_s=args.duration, engine=args.engine)
        for dt_ms, rates, err in zip(result["dt_ms"], result["rates_hz"],
                                     result["max_rel_error"], strict=True):
            print(f"dt {dt_ms:g} ms: rates {', '.join(f'{r:.2f}' for r in rates)} Hz; "
                  f"largest error vs dt {result['dt_ms'][0]:g} ms: {100 * err:.2f} %")
    else:
        if args.rate is None:
            args.rate = ACTIVE_RATE_HZ if args.active else 10.0
        result = run_benchmark(args.duration, args.engine, n_chips=args.chips,
                               dt_ms=args.dt_ms, repeats=args.repeats, rate_hz=args.rate,
                               profile=args.profile, active=args.active)
        what = "full DYNAP-SE1 chip" if args.chips == 1 else f"{args.chips}-chip board"
        threads = f" ({result['threads']} threads)" if "threads" in result else ""
        print(f"{what}, {int(result['n_neurons'])} neurons x 64 inputs, {args.rate:g} Hz "
              f"Poisson, dt {args.dt_ms:g} ms, engine {result['engine']}{threads}")
        print(f"  build (configuration + Brian2 objects): {result['build_s']:.2f} s")
        print(f"  first run of {args.duration:g} s (includes compilation if cold): "
              f"{result['first_run_s']:.2f} s")
        print(f"  warm run of {args.duration:g} s: {result['warm_run_s']:.2f} s "
              f"({result['wall_per_sim_s']:.2f} s per simulated s, real-time factor "
              f"{result['real_time_factor']:.2f}; CPU {result['warm_cpu_s']:.2f} s), "
              f"{result['rate_out_hz']:.1f} Hz mean output rate")
        for key, value in result.get("profile", {}).items():
            print(f"    {key}: {value:.3f} s")
    return finish(result, args.json)


if __name__ == "__main__":
    main(sys.argv[1:])
