"""``python -m kubeling`` runs the command line."""

from kubeling.cli.main import main

raise SystemExit(main())
