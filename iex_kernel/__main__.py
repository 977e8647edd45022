"""`python -m iex_kernel`: run the kernel (Jupyter starts it so), or `install` its kernelspec."""

import sys


def main() -> int:
    if sys.argv[1:2] == ["install"]:
        from .install import main as install

        return install(sys.argv[2:])

    # Spawn the VM first: it boots while ipykernel (a large import) loads.
    from .session import prestart

    prestart()

    from .app import ElixirKernelApp

    ElixirKernelApp.launch_instance()
    return 0


if __name__ == "__main__":
    sys.exit(main())
