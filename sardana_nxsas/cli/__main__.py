import sys

from sardana_nxsas.cli.main import main

sys.exit(main())
