"""Wiring only: the plain pipeline (:mod:`flows.run`), the Prefect flows and the CLI.

Nothing in ``pipeline``, ``extractors`` or ``outputs`` imports from here.
"""
