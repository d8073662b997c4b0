"""The 22 training-pipeline stages: plain functions over files, listed once in :mod:`components.stages`."""
