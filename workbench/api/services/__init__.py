"""Services: what the public calls do, as functions of a :class:`~workbench.api.context.Context`.

A service takes the context (and plain values), runs in the context's transaction, asks the
store (:mod:`workbench.store`) for rows and returns frozen records or plain values, never
handles. Services import the context and each other, never the handles or the facade.
"""
