"""What the predictor, the facade and the worker share, so none of them imports another.

- :mod:`serving.common.cache`: the prediction cache (key, SCAN pattern, value codec, the async cache).
- :mod:`serving.common.v2_client`: the KServe v2 clients (async for the facade, sync for workers).
- :mod:`serving.common.jobs`: the Celery app, its queues and task names, and how the facade submits jobs.

Nothing here imports :mod:`serving.api`, :mod:`serving.predictor` or :mod:`serving.worker`.
"""
