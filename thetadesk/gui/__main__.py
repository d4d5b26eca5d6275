from thetadesk.gui.app import main

raise SystemExit(main())
