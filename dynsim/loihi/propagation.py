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

__all__ = ["Propagator", "eligible", "make_propagator"]

#: The weights w_in of every convention are bounded by the registers (|w_in| <= 2**21);
#: a projection whose w_in does not fit int32 runs through Brian2's path for that run.
_INT32 = np.iinfo(np.int32)

_KERNEL = r"""
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
# distutils: language = c++
from libc.stdint cimport int32_t, int64_t


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
"""


@functools.cache
def _kernel_class() -> type:
    """Compile (once per process; cached on disk by Brian2) and return the kernel class."""
    from brian2 import prefs
    from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager

    module = cython_extension_manager.create_extension(
        _KERNEL, extra_compile_args=list(prefs["codegen.cpp.extra_compile_args_gcc"]),
        owner_name="dynsim_loihi_propagation")
    return module.Kernel


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
        self._kernel = _kernel_class()()

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


def make_propagator(pathway: Any, engine: str) -> Propagator | None:
    """Return a :class:`Propagator` for a Brian2 ``SynapticPathway``, or None (Brian2's path).

    Only the Cython engine, and only :func:`eligible` LoihiSynapses pre-synaptic pathways.
    """
    if engine != "cython" or getattr(pathway, "prepost", None) != "pre":
        return None
    synapses = getattr(pathway, "synapses", None)
    try:
        synapses = synapses.__repr__.__self__  # weakproxy -> object
    except (AttributeError, ReferenceError):
        return None
    from dynsim.loihi.synapses import LoihiSynapses

    if not isinstance(synapses, LoihiSynapses) or not eligible(synapses):
        return None
    return Propagator(pathway, synapses)
