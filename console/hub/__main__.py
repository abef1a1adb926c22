"""`python -m console.hub ACTION …`: the hub's commands without the console's command line."""

from console.cli.hub import main

raise SystemExit(main())
