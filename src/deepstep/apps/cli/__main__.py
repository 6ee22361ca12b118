"""``python -m deepstep.apps.cli`` (and deepstep 0.2's ``python -m deepstep.cli``): the ``deepstep`` command."""

import sys

from deepstep.apps.cli import main  # absolute: also run as deepstep 0.2's deepstep.cli

sys.exit(main())
