import sys

from sardana_nxsas.reducer.service import main

sys.exit(main())
