"""The desktop app: the only package that imports Qt (PyQt6).

Everything here wires widgets to the Qt-free engine (:mod:`snowcam.pipeline`,
:mod:`snowcam.sources`, :mod:`snowcam.sinks`); start it with :func:`snowcam.ui.app.run_app`.
"""
