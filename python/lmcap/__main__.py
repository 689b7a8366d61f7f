import sys

from lmcap.cli import main

sys.exit(main())
