"""Grading checks called from the notebooks' test cells (public checks and hidden tests).

Each ``check_*`` function takes the student's function, runs it on fixed and (with ``hidden=True``)
freshly randomized cases, and raises :class:`~autograder.checks.common.CheckFailed` with a message
that names the mistake when it recognizes one.
"""
