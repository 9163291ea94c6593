"""Handles: what a user holds of a stored element (a model definition, an object, a sensor...).

A handle is a snapshot of the element's record, taken when it was read, with methods built on
the services (:mod:`workbench.api.services`); :meth:`refresh` reads it again. It keeps the
context it was read through, and hands out its workspace as ``ws``.
"""
