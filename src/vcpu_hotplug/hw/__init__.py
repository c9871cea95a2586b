"""The hardware boundary: guest memory, MMIO bus, interrupt lines, hypercall conduit,
simulated clock and the trace of every crossing. Knows nothing above it."""
