import sys

from sardana_nxsas.writer.service import main

sys.exit(main())
