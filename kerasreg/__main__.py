"""`python -m kerasreg`: the demo's command line, `kerasreg.demo.cli`.

Only this entry script knows the demo; the library never imports it.
"""

import sys

if __name__ == "__main__":
    from kerasreg.demo.cli import main

    sys.exit(main(prog="python -m kerasreg"))
