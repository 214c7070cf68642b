"""Authentication: who a request comes from.

Today: the cluster's service account tokens (``serviceaccount_tokens``), the
JWS they are written in (``jwt``) and the OIDC discovery documents that let
others verify them (``issuer_discovery``). Client certificates are read in
``apiserver.server``; bearer-token authentication of requests comes with the
security issue and will call ``ServiceAccountTokens.verify``.
"""
