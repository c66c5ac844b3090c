"""`python -m wahooks.sim`: the simulator without the rest of the CLI."""

import argparse
import sys

from wahooks.sim.command import add_arguments, run


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wahooks.sim", description="Simulated Meta WhatsApp Cloud API"
    )
    add_arguments(parser)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
