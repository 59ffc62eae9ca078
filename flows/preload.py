"""Imported by the fork server of ``piao batch`` (:mod:`flows.workers`): the stages imported and
their caches filled once, before the worker processes are forked from it."""

from flows.workers import warm

warm()
