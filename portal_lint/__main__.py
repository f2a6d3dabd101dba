import sys

from portal_lint.cli import main

sys.exit(main())
