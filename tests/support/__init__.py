"""Helpers the tests share: real external processes (etcd) and free ports."""
