"""Panel (and ipywidgets) views of the workbench; they use only the public ``workbench`` API."""
