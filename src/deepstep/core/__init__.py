"""The maths of one network, and nothing else: activations, the kernels and the course's step functions (forward
beside backward), costs and tasks, initialization, optimizers and schedules, the Gram form of the first layer,
gradient checking.  Imports only the base (errors, limits, extras)."""
