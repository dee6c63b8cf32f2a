"""``python -m strbench`` (also ``torchrun ... -m strbench train ...``): the command line."""

from strbench.cli.main import main

raise SystemExit(main())
