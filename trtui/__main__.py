from trtui.cli import main

raise SystemExit(main())
