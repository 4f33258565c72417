"""`python -m rm_core …`: the command line."""
from rm_core.cli import main

raise SystemExit(main())
