"""`python -m console`, and the entry point of the PyInstaller bundle."""

import sys

if sys.argv[1:2] == ["--register-worker"]:  # register.worker.WORKER_ARGUMENT, checked before any heavy import
    from console.store.register.worker import worker_main

    worker_main()
else:
    from console.cli import main

    raise SystemExit(main())
