"""The dashboard as a Panel script: ``panel serve widgets/app.py`` (the store: ``WORKBENCH_URL``).

``workbench serve`` serves the same page; this file is for Panel's own command line and its
options (``--port``, ``--allow-websocket-origin``, ``--autoreload`` while developing).
"""

from widgets.dashboard import create_app

if __name__.startswith("bokeh"):  # run by `panel serve`, once per browser session
    create_app().servable(title="workbench")
