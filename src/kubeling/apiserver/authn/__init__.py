"""Authentication: who a request comes from, as Kubernetes 1.32 decides it.

One module per authenticator, each a small class with Kubernetes' rules:

- ``x509``: client certificates (CN user, O groups);
- ``bearer_token``: ``Authorization: Bearer``, checked by the token
  authenticators: ``token_file`` (``--token-auth-file``), service account
  JWTs (``apiserver.auth.serviceaccount_tokens``) and ``bootstrap_tokens``,
  asked in turn by ``token_union``;
- ``anonymous``: no credentials at all.

``authentication`` runs them as kube-apiserver's chain (first recognised wins,
``system:authenticated`` added, a refused credential is a 401, never
anonymous); ``chain`` assembles it from the server's settings;
``impersonation`` applies ``Impersonate-*`` headers after it; ``token_review``
answers TokenReviews with the same token authenticators. ``request_user``
puts the resulting :class:`~kubeling.api.authentication.user.UserInfo` on the
aiohttp request, where authorization picks it up.
"""
