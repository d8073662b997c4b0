"""Monitoring: metric definitions and drift."""
