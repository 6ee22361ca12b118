"""``python -m deepstep.apps.playground`` (and deepstep 0.2's ``python -m deepstep.playground``): imports the
playground and runs nothing, as the module did in 0.2 (``deepstep playground`` starts it)."""
