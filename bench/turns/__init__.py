"""Dialogue-turn benchmark: Karmabot against stock Rasa (`python -m bench.turns`).

Modules:
    scripts: what the simulated learners say.
    load: closed-loop (capacity) and open-loop Poisson (latency) load generators.
    stats: percentiles and medians.
    systems: start and stop stock Rasa and the Karmabot stack.
    report: the machine description and the Markdown section in docs/PERFORMANCE.md.
    runner: the plan of measurements, alternating systems.
"""
