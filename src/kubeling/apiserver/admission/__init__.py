"""Mutating admission plugins that Kubernetes enables by default, as plain functions.

Each module is one upstream plugin; the resource's strategy calls it where
admission runs in Kubernetes (after defaulting, before validation).
"""
