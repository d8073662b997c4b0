"""The Streamlit web UI: pages over the facade, which it reaches only over HTTP with a key kept server side.

Run it with ``python -m serving.ui`` (settings ``SOCCER_UI_*`` and ``SOCCER_BIND_HOST``); the pages are in
:mod:`serving.ui.app`, the facade's client in :mod:`serving.ui.client`, the view rules in :mod:`serving.ui.views`.
"""
