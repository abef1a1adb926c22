"""`python -m console`, and the entry point of the PyInstaller bundle."""

import sys

if sys.argv[1:2] == ["--register-worker"]:  # register_import.WORKER_ARGUMENT, checked before any heavy import
    from console.store.register_import import _worker_main

    _worker_main()
else:
    from console.cli import main

    raise SystemExit(main())
