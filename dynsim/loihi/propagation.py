"""Event-driven spike propagation for the Cython engine: one compiled call per projection.

Brian2 propagates a spike in two code objects per projection and step: ``push_spikes``
copies the index of every synapse of every spiking neuron into a spike queue (a Python
method calling the compiled queue), then the ``synapses`` code object reads the queue and,
for each queued synapse, looks up its target and its weight. For a projection that only
adds ``w_in`` to the target's accumulator (no traces, no learning) and has no delay, dynsim's
Cython engine replaces both with :class:`Propagator`: the synapses grouped by presynaptic
neuron (CSR order, built when the network is prepared), and per step::

    for each spike i of the source:  for k in synapses of i:  acc[post[k]] += w[k]

reading two contiguous int32 arrays (the target index and the weight ``w_in`` in CSR order,
copied when a run starts; the weights change only between runs, learning projections are
never replaced). Integer addition is exact and associative, so the accumulators, and hence
every spike, are identical to Brian2's propagation (the Cython tests compare both engines
with the reference emulator bit for bit).

The spike queue of a replaced projection stays empty (delay 0: Brian2 empties it within the
step), so a later run through Brian2's own path (``report=``, ``profile=True``) continues
exactly.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

__all__ = ["Propagator", "SpikeRecorder", "eligible", "make_kernel"]

#: The weights w_in of every convention are bounded by the registers (|w_in| <= 2**21);
#: a projection whose w_in does not fit int32 runs through Brian2's path for that run.
_INT32 = np.iinfo(np.int32)

_KERNEL = r"""
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
# distutils: language = c++
from libc.stdint cimport int32_t, int64_t

import numpy as np


cdef class Kernel:
    cdef const int32_t[::1] spikespace
    cdef const int64_t[::1] indptr
    cdef const int32_t[::1] post
    cdef const int32_t[::1] w
    cdef int64_t[::1] acc
    cdef int32_t start, stop

    def bind(self, spikespace, indptr, post, w, acc, int start, int stop):
        self.spikespace = spikespace
        self.indptr = indptr
        self.post = post
        self.w = w
        self.acc = acc
        self.start = start
        self.stop = stop

    def __call__(self):
        cdef Py_ssize_t n_spikes = self.spikespace[self.spikespace.shape[0] - 1]
        cdef Py_ssize_t s, k, k_end
        cdef int32_t i
        cdef const int32_t * post = &self.post[0] if self.post.shape[0] else NULL
        cdef const int32_t * w = &self.w[0] if self.w.shape[0] else NULL
        cdef int64_t * acc = &self.acc[0]
        for s in range(n_spikes):
            i = self.spikespace[s]
            if i < self.start or i >= self.stop:
                continue
            i -= self.start
            k_end = self.indptr[i + 1]
            for k in range(self.indptr[i], k_end):
                acc[post[k]] += w[k]


cdef class Recorder:
    cdef const int32_t[::1] spikespace
    cdef int32_t[::1] count
    cdef const double[::1] t
    cdef int32_t start, stop
    cdef int32_t[::1] i_view
    cdef double[::1] t_view
    cdef public object i_buffer, t_buffer
    cdef public Py_ssize_t n

    def bind(self, spikespace, count, t, int start, int stop, Py_ssize_t capacity):
        self.spikespace = spikespace
        self.count = count
        self.t = t
        self.start = start
        self.stop = stop
        self.n = 0
        self.i_buffer = np.empty(max(capacity, 1024), dtype=np.int32)
        self.t_buffer = np.empty(max(capacity, 1024), dtype=np.float64)
        self.i_view = self.i_buffer
        self.t_view = self.t_buffer

    cdef grow(self, Py_ssize_t need):
        size = max(need, 2 * self.i_view.shape[0])
        i_new = np.empty(size, dtype=np.int32)
        t_new = np.empty(size, dtype=np.float64)
        i_new[:self.n] = self.i_buffer[:self.n]
        t_new[:self.n] = self.t_buffer[:self.n]
        self.i_buffer, self.t_buffer = i_new, t_new
        self.i_view = i_new
        self.t_view = t_new

    def __call__(self):
        cdef Py_ssize_t n_spikes = self.spikespace[self.spikespace.shape[0] - 1]
        cdef Py_ssize_t s
        cdef int32_t i
        if self.n + n_spikes > self.i_view.shape[0]:
            self.grow(self.n + n_spikes)
        for s in range(n_spikes):
            i = self.spikespace[s]
            if i < self.start or i >= self.stop:
                continue
            i -= self.start
            self.i_view[self.n] = i
            self.t_view[self.n] = self.t[0]
            self.n += 1
            self.count[i] += 1
"""


@functools.cache
def _kernels() -> Any:
    """Compile (once per process; cached on disk by Brian2) and return the kernel module."""
    from brian2 import prefs
    from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager

    return cython_extension_manager.create_extension(
        _KERNEL, extra_compile_args=list(prefs["codegen.cpp.extra_compile_args_gcc"]),
        owner_name="dynsim_loihi_propagation")


def eligible(synapses: Any) -> bool:
    """Tell whether a LoihiSynapses object's propagation can run as a :class:`Propagator`.

    Its only per-spike statement is the accumulation (no traces, no learning), it has no
    delay, and it propagates on presynaptic spikes only.
    """
    return (not getattr(synapses, "_traces", True) and getattr(synapses, "_rule", 1) is None
            and getattr(synapses, "_delay_steps", 1) == 0
            and len(getattr(synapses, "_pathways", ())) == 1)


class Propagator:
    """One projection's propagation in one compiled call per step.

    Parameters
    ----------
    pathway : brian2.synapses.synapses.SynapticPathway
        The pre-synaptic pathway of ``synapses``.
    synapses : dynsim.loihi.LoihiSynapses
        An :func:`eligible` projection whose network has been prepared.
    """

    def __init__(self, pathway: Any, synapses: Any) -> None:
        self._pathway = pathway
        self._synapses = synapses
        self._start = int(pathway.spikes_start)
        self._stop = int(pathway.spikes_stop)
        pre = np.asarray(synapses.variables["_synaptic_pre"].get_value())
        counts = np.bincount(pre - self._start, minlength=self._stop - self._start)
        self._indptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=self._indptr[1:])
        if len(pre) and np.any(pre[1:] < pre[:-1]):
            self._order: np.ndarray | None = np.argsort(pre, kind="stable")
        else:
            self._order = None
        post = np.asarray(synapses.variables["_synaptic_post"].get_value())
        self._post = np.ascontiguousarray(
            post if self._order is None else post[self._order], dtype=np.int32)
        self._kernel = _kernels().Kernel()

    def bind(self) -> bool:
        """Take the current weights and arrays for a run; False: use Brian2's path instead."""
        syn = self._synapses
        w_in = np.asarray(syn.variables["w_in"].get_value())
        if len(w_in) != len(self._post):
            return False
        if len(w_in) and (w_in.min() < _INT32.min or w_in.max() > _INT32.max):
            return False
        w = (w_in if self._order is None else w_in[self._order]).astype(np.int32)
        pathway = self._pathway
        spikespace = pathway.variables[pathway.eventspace_name].get_value()
        acc = syn._parent_target.variables[syn._acc_name].get_value()
        self._kernel.bind(spikespace, self._indptr, self._post, w, acc, self._start,
                          self._stop)
        return True

    def __call__(self) -> None:
        """Propagate this step's spikes of the source into the target's accumulator."""
        self._kernel()

    def finish(self) -> None:
        """End of a run: nothing to hand back."""


class SpikeRecorder:
    """A spike monitor's recording in one compiled call per step (Brian2's arrays at the end).

    Brian2's Cython spike monitor calls back into Python every step with spikes to grow its
    arrays (``SpikeMonitor.resize``: four Python calls per variable). The recorder appends
    the step's spikes (index and ``t``, in the order Brian2 records them) to buffers of its
    own and counts them in the monitor's ``count``; :meth:`finish` copies them into the
    monitor's arrays once per run (or per progress chunk), so the monitor holds exactly what
    Brian2's would.

    Parameters
    ----------
    monitor : brian2.SpikeMonitor
        A monitor of the ``spike`` event recording every spike's ``i`` and ``t`` only.
    """

    def __init__(self, monitor: Any) -> None:
        self._monitor = monitor
        source = monitor.source
        self._start = int(getattr(source, "start", 0))
        self._stop = int(getattr(source, "stop", len(source)))
        self._kernel = _kernels().Recorder()
        self._capacity = 1024

    def bind(self) -> bool:
        """Take the monitor's arrays for a run; False: use Brian2's path instead."""
        var = self._monitor.variables
        count = var["count"].get_value()
        if count.dtype != np.int32 or var["i"].dtype != np.int32 \
                or var["t"].dtype != np.float64:
            return False
        self._kernel.bind(var["_spikespace"].get_value(), count,
                          var["_clock_t"].get_value(), self._start, self._stop,
                          self._capacity)
        return True

    def __call__(self) -> None:
        """Record this step's spikes."""
        self._kernel()

    def finish(self) -> None:
        """Append the run's spikes to the monitor's arrays (as Brian2's monitor would)."""
        n = int(self._kernel.n)
        self._capacity = max(self._capacity, n)
        if not n:
            return
        mon = self._monitor
        var = mon.variables
        old = int(var["N"].get_value().item())
        mon.resize(old + n)
        var["i"].get_value()[old:old + n] = self._kernel.i_buffer[:n]
        var["t"].get_value()[old:old + n] = self._kernel.t_buffer[:n]
        var["N"].set_value(old + n)
        self._kernel.n = 0


def make_kernel(obj: Any, engine: str) -> Propagator | SpikeRecorder | None:
    """Return the compiled replacement of a Brian2 object's code objects, or None.

    Only with the Cython engine: a :class:`Propagator` for the pre-synaptic pathway of an
    :func:`eligible` LoihiSynapses, a :class:`SpikeRecorder` for a spike monitor that records
    every spike's ``i`` and ``t`` only; None for everything else (Brian2's own code).
    """
    if engine != "cython":
        return None
    from dynsim.loihi.monitors import LoihiSpikeMonitor

    if isinstance(obj, LoihiSpikeMonitor):
        if (getattr(obj, "event", None) == "spike" and obj.record
                and sorted(obj.record_variables) == ["i", "t"]):
            return SpikeRecorder(obj)
        return None
    return _make_propagator(obj)


def _make_propagator(pathway: Any) -> Propagator | None:
    if getattr(pathway, "prepost", None) != "pre":
        return None
    synapses = getattr(pathway, "synapses", None)
    try:
        synapses = synapses.__repr__.__self__  # weakproxy -> object
    except (AttributeError, ReferenceError):
        return None
    from dynsim.loihi.synapses import LoihiSynapses

    if not isinstance(synapses, LoihiSynapses) or not eligible(synapses):
        return None
    queue = getattr(pathway, "queue", None)
    if queue is not None and any(len(slot) for slot in queue._full_state()[1]):
        return None  # spikes still in flight from a run with a delay: Brian2 delivers them
    return Propagator(pathway, synapses)
