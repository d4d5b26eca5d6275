from thetadesk.cli import main

raise SystemExit(main())
