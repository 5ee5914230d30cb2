"""The offline LLM simulator: a deterministic, documented stand-in for a chat model.

It lets every notebook run without a key or a network, and it fails on demand (rate limits,
timeouts, 5xx, broken JSON, truncation, refusals, latency spikes) so the hardening lessons have
something to harden against. Its numbers are a teaching instrument, not claims about real
models; docs/SIMULATOR.md says exactly what drives each behaviour.

    from course.sim import Simulator, SimRequest
    sim = Simulator()
    sim.complete(SimRequest(model="sim-small", messages=[{"role": "user", "content": "Hi"}]))
    sim.embed("sim-embed", ["a lexical stand-in for an embeddings model"])
"""

from course.sim.engine import EmbedResult, SimRequest, SimResult, Simulator
from course.sim.faults import (
    FAULT_KINDS,
    FaultPlan,
    SimFault,
    SimRateLimit,
    SimServerError,
    SimTimeout,
)

__all__ = [
    "FAULT_KINDS",
    "EmbedResult",
    "FaultPlan",
    "SimFault",
    "SimRateLimit",
    "SimRequest",
    "SimResult",
    "SimServerError",
    "SimTimeout",
    "Simulator",
]
