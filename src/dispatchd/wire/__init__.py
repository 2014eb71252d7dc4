"""How the domain looks outside the process: the JSON of the contract, written in one place.

The same shapes are stored (event data, policy versions, the ladder each offer keeps) and sent
(the event stream, ``GET /policy``), so the store and the API both translate through here and
the domain itself never builds a wire string.
"""
