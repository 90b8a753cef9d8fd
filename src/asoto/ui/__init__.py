"""The run inspector at ``/ui``: server-rendered HTML fragments with a little plain JavaScript.

The page itself holds no data; its script asks ``/ui/parts/…`` for fragments with the key the
person typed once (kept in ``sessionStorage``, sent as ``x-api-key`` like any client), so the
inspector sees exactly what the API shows that key: the same roles, the same views of drafts,
the same 404 for another member's thread. Actions (decide an approval, fork from a checkpoint)
call the public API, never a route of their own.
"""
