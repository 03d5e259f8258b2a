"""`python -m trtui`: the same command line as the `trtui` script (`trtui.cli.main`)."""

from trtui.cli import main

raise SystemExit(main())
