"""The KServe predictor of ``soccer-1x2`` (v2 protocol): champion hot swap, Redis cache, snapshot lookup.

Start it with ``python -m serving.predictor``; the modules import kserve and MLflow only where they
need them (``model.py`` and ``server.py`` are the heavy ones).
"""
