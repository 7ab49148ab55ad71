"""Wall time of a full emulated DYNAP-SE1 chip through the samna layer.

1024 neurons (4 cores x 256), each with 64 CAM entries listening to virtual neurons of the
Poisson generator (40 AMPA, 8 NMDA, 8 GABA_A, 8 GABA_B), 1024 virtual neurons at 10 Hz,
dt = 0.1 ms, default biases.

    python benchmarks/dynapse_chip.py [duration_s] [engine]

prints the build time (configuration + Brian2 objects), the first run (includes code
generation and compilation when the cache is cold) and the wall time of a second run of the
same duration (warm), and the ratio to real time.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from brian2 import second

from dynsim.dynapse import Dynapse1Model, NetworkGenerator, Neuron
from dynsim.dynapse.constants import NEURONS_PER_CHIP, split_global_id

TYPES = ["AMPA"] * 40 + ["NMDA"] * 8 + ["GABA_A"] * 8 + ["GABA_B"] * 8


def build(seed: int = 0) -> NetworkGenerator:
    """Return a generator with the benchmark's 65,536 connections."""
    rng = np.random.default_rng(seed)
    net = NetworkGenerator()
    pre_ids = rng.integers(1, NEURONS_PER_CHIP, size=(NEURONS_PER_CHIP, len(TYPES)))
    spike_gens = [Neuron(*split_global_id(i), is_spike_gen=True) for i in range(NEURONS_PER_CHIP)]
    connections = []
    for post_id in range(NEURONS_PER_CHIP):
        post = Neuron(*split_global_id(post_id))
        connections += [(spike_gens[p], post, kind)
                        for p, kind in zip(pre_ids[post_id], TYPES, strict=True)]
    net.add_connections(connections)
    return net


def run_benchmark(duration_s: float = 1.0, engine: str = "cython", seed: int = 0,
                  rate_hz: float = 10.0) -> dict[str, float]:
    """Build and run the full chip; return timings (s) and the output spike count."""
    start = time.perf_counter()
    config = build(seed).make_dynapse1_configuration()
    model = Dynapse1Model(engine=engine, seed=seed, name="bench_chip")
    model.apply_configuration(config)
    generator = model.get_poisson_gen()
    for neuron_id in range(1, NEURONS_PER_CHIP):
        generator.write_poisson_rate_hz(neuron_id, rate_hz)
    generator.start()
    model.simulated_neurons  # noqa: B018 - builds the Brian2 network
    built = time.perf_counter()
    first = model.run(duration_s * second)
    first_done = time.perf_counter()
    second_run = model.run(duration_s * second)
    done = time.perf_counter()
    return {"build_s": built - start, "first_run_s": first_done - built,
            "warm_run_s": done - first_done, "duration_s": duration_s,
            "spikes": float(len(first) + len(second_run))}


def main(argv: list[str]) -> None:
    """Run the benchmark and print the result."""
    duration = float(argv[0]) if argv else 1.0
    engine = argv[1] if len(argv) > 1 else "cython"
    result = run_benchmark(duration, engine)
    print(f"full DYNAP-SE1 chip, 1024 neurons x 64 inputs, 10 Hz Poisson, engine {engine}")
    print(f"  build (configuration + Brian2 objects): {result['build_s']:.2f} s")
    print(f"  first run of {duration:g} s (includes compilation if cold): "
          f"{result['first_run_s']:.2f} s")
    print(f"  warm run of {duration:g} s: {result['warm_run_s']:.2f} s "
          f"({result['warm_run_s'] / duration:.2f} x real time), "
          f"{result['spikes'] / (2 * duration * 1024):.1f} Hz mean output rate")


if __name__ == "__main__":
    main(sys.argv[1:])
