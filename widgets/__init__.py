"""Panel (and ipywidgets) views of the workbench; they use only the public ``workbench`` API."""

from widgets.accuracy import AccuracyView as AccuracyView
from widgets.beliefs import BeliefView as BeliefView
from widgets.browser import HierarchyBrowser as HierarchyBrowser
from widgets.dashboard import Dashboard as Dashboard
from widgets.inspector import ObjectInspector as ObjectInspector
