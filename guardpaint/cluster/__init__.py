"""Protecting an archive on a Ray cluster (``guardpaint batch --ray``; ``pip install "guardpaint[cluster]"``).

Ray is imported only here, and only when the cluster path runs. ``storage`` reads and writes local
folders and the URIs pyarrow's filesystems know (``s3://``, ``gs://``, ``file://``); ``worker`` is
what one actor does with one image (the same :func:`~guardpaint.core.batch.protect_item` as
``guardpaint batch``); ``run`` lists the inputs, streams them through a pool of actors that load the
model once each, and collects one report per image.
"""
