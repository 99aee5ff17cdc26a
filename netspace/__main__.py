import sys

from netspace.cli import main

sys.exit(main())
