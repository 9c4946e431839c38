"""Allow ``python -m`` with the package's name."""

from .cli import main

raise SystemExit(main())
