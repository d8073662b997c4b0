"""Orchestration of the stage table: DVC (dvc.yaml), Kubeflow Pipelines (compile, local run, submit)."""
