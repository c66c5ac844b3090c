from wahooks.cli import main

raise SystemExit(main())
