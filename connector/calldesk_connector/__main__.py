from calldesk_connector.cli import main

raise SystemExit(main())
