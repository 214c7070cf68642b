"""Service account tokens: issued, verified, and verifiable by others.

The cluster's service account tokens (``serviceaccount_tokens``: issued for
TokenRequest, verified as the service account token authenticator of
``apiserver.authn``), the JWS they are written in (``jwt``) and the OIDC
discovery documents that let others verify them (``issuer_discovery``).
"""
