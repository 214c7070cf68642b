"""Streams over an upgraded HTTP connection, as Kubernetes' ``httpstream`` packages carry them.

``kubectl exec``, ``attach`` and ``port-forward`` leave HTTP after the first request: the
connection is upgraded (``101 Switching Protocols``) to a WebSocket or to SPDY/3.1, and the
bytes that follow are framed by those protocols. The pieces here are shared by the API server
(which splices an upgraded client connection onto the kubelet's) and the kubelet (which speaks
the protocols):

- :mod:`.channels`: the remote-command WebSocket channel protocols (``v4``/``v5.channel.k8s.io``)
  and the Status messages their error channel carries; sans-IO.
- :mod:`.spdy`: SPDY/3.1 frames and header-block compression; sans-IO.
- :mod:`.spdy_session`: a SPDY session over any byte channel (asyncio).
- :mod:`.hijack`: taking over an aiohttp server connection once a 101 is sent.
- :mod:`.upgrade`: the client side of an upgrade request on a raw connection.
"""
